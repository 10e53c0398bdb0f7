using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Register-blocked products of the dense engine. Each result is bitwise the value of the one-pair reference
/// (<see cref="Dot"/>, or a fused multiply-add chain in a fixed order), only computed several pairs at a time so that
/// each loaded vector feeds several fused multiply-adds: the blocking changes the speed, never a bit of the output.
/// </summary>
/// <remarks>
/// <para><see cref="Dot"/>'s order (two 4-lane accumulators over blocks of 8, one block of 4, a fixed horizontal sum,
/// the scalar tail) equals one 8-lane accumulator whose low half is accumulator 0 and high half accumulator 1, so the
/// AVX-512 tile keeps 4 × 4 such accumulators (16 of the 32 zmm registers): per block of 8 it loads 8 vectors and does
/// 16 fused multiply-adds, compute-bound rather than load-bound. Without AVX-512 the products fall back to
/// <see cref="Dot"/> pair by pair (same values).</para>
/// <para>The transposed product (<see cref="AccumulateTransposedProduct"/>) keeps, for each output element, the
/// chain t ← fma(w_k, c_k, t) over k = 0, 1, … in increasing order starting from +0, whatever the blocking.</para>
/// </remarks>
internal static class DenseKernels
{
    /// <summary>
    /// The four lanes of a 4-lane accumulator summed in the fixed order (s0 + s1) + (s2 + s3) that every dot product of
    /// the engines ends with, whatever the machine's vector width (docs/performance.md §4: the order fixes the bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double LaneSum(Vector256<double> sums) =>
        (sums.GetElement(0) + sums.GetElement(1)) + (sums.GetElement(2) + sums.GetElement(3));

    private const int Tile = 4;

    /// <summary>True when the AVX-512 tiles run (else the pairwise reference path).</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<double>.Count == 8;

    /// <summary>1 when z &gt; 0 (the strict indicator ξ; NaN gives 0), else 0, without a branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ActiveBit(double z) => z > 0 ? 1UL : 0UL;

    /// <summary>relu(z) = z when z &gt; 0, else +0 (also for −0 and NaN): exactly <c>z &gt; 0 ? z : 0</c>, without a branch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Relu(double z) =>
        BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(z) & -(long)ActiveBit(z));

    /// <summary>
    /// x · y with a summation order fixed by this code: two 4-lane fused multiply-add accumulators over blocks of 8,
    /// one over a remaining block of 4, a fixed horizontal sum, then the scalar tail. Vector256 is emulated exactly
    /// where the hardware lacks it, so the result does not depend on the machine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var length = x.Length;
        if (y.Length != length) throw new ArgumentException("Dot: x and y differ in length", nameof(y));
        return Dot(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Dot(ref double xs, ref double ys, int length)
    {
        var i = 0;
        var sum = 0.0;
        if (length >= 4)
        {
            var accumulator0 = Vector256<double>.Zero;
            var accumulator1 = Vector256<double>.Zero;
            for (; i <= length - 8; i += 8)
            {
                accumulator0 = Vector256.FusedMultiplyAdd(
                    Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i), accumulator0);
                accumulator1 = Vector256.FusedMultiplyAdd(
                    Vector256.LoadUnsafe(ref xs, (nuint)(i + 4)), Vector256.LoadUnsafe(ref ys, (nuint)(i + 4)), accumulator1);
            }
            if (i <= length - 4)
            {
                accumulator0 = Vector256.FusedMultiplyAdd(
                    Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i), accumulator0);
                i += 4;
            }
            var total = accumulator0 + accumulator1;
            sum = LaneSum(total);
        }
        for (; i < length; i++) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i), sum);
        return sum;
    }

    /// <summary>
    /// products[r·productStride + c] = <see cref="Dot"/>(x_r, y_c) for r &lt; rowCount, c &lt; columnCount, where
    /// x_r = rows[r·rowStride ..][..length] and y_c = columns[c·columnStride ..][..length]. Bitwise equal to the
    /// pairwise loop; allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotProducts(
        ReadOnlySpan<double> rows, int rowStride, int rowCount,
        ReadOnlySpan<double> columns, int columnStride, int columnCount,
        int length, Span<double> products, int productStride)
    {
        if (rowCount == 0 || columnCount == 0) return;
        if ((long)(rowCount - 1) * rowStride + length > rows.Length ||
            (long)(columnCount - 1) * columnStride + length > columns.Length ||
            (long)(rowCount - 1) * productStride + columnCount > products.Length || columnCount > productStride)
            throw new ArgumentException("DotProducts: a row, column or product lies outside its span");
        ref var x = ref MemoryMarshal.GetReference(rows);
        ref var y = ref MemoryMarshal.GetReference(columns);
        ref var p = ref MemoryMarshal.GetReference(products);
        var r = 0;
        if (IsAccelerated && length >= 8)
        {
            for (; r <= rowCount - Tile; r += Tile)
            {
                ref var xr = ref Unsafe.Add(ref x, (nint)r * rowStride);
                ref var pr = ref Unsafe.Add(ref p, (nint)r * productStride);
                var c = 0;
                for (; c <= columnCount - Tile; c += Tile)
                    Tile4x4(ref xr, rowStride, ref Unsafe.Add(ref y, (nint)c * columnStride), columnStride, length,
                        ref Unsafe.Add(ref pr, c), productStride);
                if (c <= columnCount - 2)
                {
                    Tile4x2(ref xr, rowStride, ref Unsafe.Add(ref y, (nint)c * columnStride), columnStride, length,
                        ref Unsafe.Add(ref pr, c), productStride);
                    c += 2;
                }
                for (; c < columnCount; c++)
                    Tile4x1(ref xr, rowStride, ref Unsafe.Add(ref y, (nint)c * columnStride), length,
                        ref Unsafe.Add(ref pr, c), productStride);
            }
        }
        for (; r < rowCount; r++)
        {
            ref var xr = ref Unsafe.Add(ref x, (nint)r * rowStride);
            for (var c = 0; c < columnCount; c++)
                Unsafe.Add(ref p, (nint)r * productStride + c) = Dot(ref xr, ref Unsafe.Add(ref y, (nint)c * columnStride), length);
        }
    }

    /// <summary>
    /// G_ab = <see cref="Dot"/>(v_a, v_b) for the m vectors v_a = vectors[a·length ..][..length], as a full symmetric
    /// m × m matrix (the upper triangle computed, mirrored below).
    /// </summary>
    public static void Gram(ReadOnlySpan<double> vectors, int length, int m, Span<double> gram)
    {
        for (var a = 0; a < m; a += Tile)
        {
            var rowCount = Math.Min(Tile, m - a);
            // Rows a..a+3 against columns a..m−1: the upper triangle plus the few pairs below it in the diagonal tile.
            DotProducts(vectors[(a * length)..], length, rowCount, vectors[(a * length)..], length, m - a, length,
                gram[(a * m + a)..], m);
        }
        for (var a = 0; a < m; a++)
            for (var b = a + 1; b < m; b++)
                gram[b * m + a] = gram[a * m + b];
    }

    /// <summary>
    /// targets[a·width + i] ← fma(w[k·width + i], coefficients[a·coefficientStride + k], targets[a·width + i]) for
    /// k = 0 .. rowCount − 1 in that order, for a &lt; m, i &lt; width: targets_a += Σ_k c_{a,k} w_k, i.e. the
    /// transposed product Wᵀ C row by row, each element's chain in increasing k (the order of the row-by-row axpy
    /// reference; a zero coefficient leaves the element unchanged either way, as fma(w, 0, t) = t for finite w, t ≠ −0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateTransposedProduct(
        ReadOnlySpan<double> weights, int rowCount, int width,
        ReadOnlySpan<double> coefficients, int coefficientStride, int m, Span<double> targets)
    {
        if ((long)rowCount * width > weights.Length || (long)m * width > targets.Length ||
            (m > 0 && (long)(m - 1) * coefficientStride + rowCount > coefficients.Length))
            throw new ArgumentException("AccumulateTransposedProduct: spans too short");
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var c = ref MemoryMarshal.GetReference(coefficients);
        ref var t = ref MemoryMarshal.GetReference(targets);
        var a = 0;
        if (IsAccelerated && m > 2)
        {
            // Tiles of 4 inputs × 16 elements held in 8 zmm accumulators over the whole k loop. Stripes of 16 columns
            // outside, inputs inside: a stripe of W (rowCount × 128 bytes) stays in L1 while every input tile reads it.
            var tiledInputs = m / Tile * Tile;
            var i = 0;
            for (; i <= width - 16; i += 16)
            {
                for (var b = 0; b < tiledInputs; b += Tile)
                    Transposed4x16(ref Unsafe.Add(ref w, i), width, rowCount,
                        ref Unsafe.Add(ref c, (nint)b * coefficientStride), coefficientStride,
                        ref Unsafe.Add(ref t, (nint)b * width + i), width);
            }
            if (i < width)
                for (var b = 0; b < tiledInputs; b++)
                    AxpyRows(ref Unsafe.Add(ref w, i), width, rowCount, width - i,
                        ref Unsafe.Add(ref c, (nint)b * coefficientStride), ref Unsafe.Add(ref t, (nint)b * width + i));
            a = tiledInputs;
        }
        if (a < m)
        {
            // Few inputs: one pass over the rows (each row read once), axpy into every remaining target.
            for (var k = 0; k < rowCount; k++)
            {
                ref var row = ref Unsafe.Add(ref w, (nint)k * width);
                for (var b = a; b < m; b++)
                {
                    var coefficient = Unsafe.Add(ref c, (nint)b * coefficientStride + k);
                    if (coefficient == 0) continue;
                    Axpy(ref row, coefficient, ref Unsafe.Add(ref t, (nint)b * width), width);
                }
            }
        }
    }

    /// <summary>
    /// The few-input path of <see cref="AccumulateTransposedProduct"/> (m ≤ 2) over a subset of the rows:
    /// row j of <paramref name="rows"/> (width values) is row rowIndices[j] of W, the indices increasing, and for each j
    /// and input b with c_{b,k} ≠ 0 (k = rowIndices[j]): targets_b ← fma(row_j, c_{b,k}, targets_b), element by element.
    /// A row left out must have c_{b,k} = 0 for every b; the full path skips such rows too, so the chains and the
    /// result are bitwise those of <see cref="AccumulateTransposedProduct"/> over all rows (its m ≤ 2 path).
    /// </summary>
    /// <remarks>
    /// The rows are contiguous (the dense engine stores only the rows its backward pass reads), so they stream from
    /// memory as one sequence the hardware prefetcher follows (a software prefetch one to four rows ahead measured no
    /// faster). With two nonzero coefficients the row is read once for both targets (the same fused multiply-adds).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void AccumulateTransposedRows(
        ReadOnlySpan<double> rows, ReadOnlySpan<int> rowIndices, int width,
        ReadOnlySpan<double> coefficients, int coefficientStride, int m, Span<double> targets)
    {
        var count = rowIndices.Length;
        if (m is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(m), m, "AccumulateTransposedRows: m must be 1 or 2");
        if ((long)count * width > rows.Length || (long)m * width > targets.Length)
            throw new ArgumentException("AccumulateTransposedRows: spans too short");
        for (var j = 0; j < count; j++)
            if ((uint)rowIndices[j] >= (uint)coefficientStride || (j > 0 && rowIndices[j] <= rowIndices[j - 1]) ||
                (long)(m - 1) * coefficientStride + rowIndices[j] >= coefficients.Length)
                throw new ArgumentException("AccumulateTransposedRows: row indices must increase within the coefficients");
        ref var c = ref MemoryMarshal.GetReference(coefficients);
        ref var t0 = ref MemoryMarshal.GetReference(targets);
        ref var t1 = ref Unsafe.Add(ref t0, m > 1 ? width : 0);
        fixed (double* start = rows)
        {
            for (var j = 0; j < count; j++)
            {
                var k = rowIndices[j];
                var row = start + (long)j * width;
                var c0 = Unsafe.Add(ref c, k);
                var c1 = m > 1 ? Unsafe.Add(ref c, (nint)coefficientStride + k) : 0.0;
                if (c0 != 0 && c1 != 0) Axpy2(row, c0, ref t0, c1, ref t1, width);
                else if (c0 != 0) Axpy(ref Unsafe.AsRef<double>(row), c0, ref t0, width);
                else if (c1 != 0) Axpy(ref Unsafe.AsRef<double>(row), c1, ref t1, width);
            }
        }
    }

    /// <summary>t0[i] ← fma(x[i], c0, t0[i]) and t1[i] ← fma(x[i], c1, t1[i]) for i &lt; length: two axpys, x read once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Axpy2(double* x, double c0, ref double t0, double c1, ref double t1, int length)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var v0 = Vector512.Create(c0);
            var v1 = Vector512.Create(c1);
            for (; i <= length - 8; i += 8)
            {
                var w = Vector512.Load(x + i);
                Vector512.FusedMultiplyAdd(w, v0, Vector512.LoadUnsafe(ref t0, (nuint)i)).StoreUnsafe(ref t0, (nuint)i);
                Vector512.FusedMultiplyAdd(w, v1, Vector512.LoadUnsafe(ref t1, (nuint)i)).StoreUnsafe(ref t1, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var v0 = Vector256.Create(c0);
            var v1 = Vector256.Create(c1);
            for (; i <= length - 4; i += 4)
            {
                var w = Vector256.Load(x + i);
                Vector256.FusedMultiplyAdd(w, v0, Vector256.LoadUnsafe(ref t0, (nuint)i)).StoreUnsafe(ref t0, (nuint)i);
                Vector256.FusedMultiplyAdd(w, v1, Vector256.LoadUnsafe(ref t1, (nuint)i)).StoreUnsafe(ref t1, (nuint)i);
            }
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref t0, i) = Math.FusedMultiplyAdd(x[i], c0, Unsafe.Add(ref t0, i));
            Unsafe.Add(ref t1, i) = Math.FusedMultiplyAdd(x[i], c1, Unsafe.Add(ref t1, i));
        }
    }

    /// <summary>
    /// result[i] = gate[i] &gt; 0 ? values[i] : +0 for i &lt; result.Length, without branches (vector compare and
    /// select; the signs are random, so a branch per element is mispredicted half the time). With
    /// <paramref name="values"/> = <paramref name="gate"/> this is relu. Bitwise equal to the ternary loop, including
    /// −0 and NaN gates (both give +0). <paramref name="result"/> may alias <paramref name="values"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gate(ReadOnlySpan<double> gate, ReadOnlySpan<double> values, Span<double> result)
    {
        var length = result.Length;
        if (gate.Length < length || values.Length < length) throw new ArgumentException("Gate: spans too short");
        ref var g = ref MemoryMarshal.GetReference(gate);
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var r = ref MemoryMarshal.GetReference(result);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= length - 8; i += 8)
            {
                var active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref g, (nuint)i), Vector512<double>.Zero);
                (Vector512.LoadUnsafe(ref v, (nuint)i) & active).StoreUnsafe(ref r, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= length - 4; i += 4)
            {
                var active = Vector256.GreaterThan(Vector256.LoadUnsafe(ref g, (nuint)i), Vector256<double>.Zero);
                (Vector256.LoadUnsafe(ref v, (nuint)i) & active).StoreUnsafe(ref r, (nuint)i);
            }
        }
        for (; i < length; i++)
            Unsafe.Add(ref r, i) = BitConverter.Int64BitsToDouble(
                BitConverter.DoubleToInt64Bits(Unsafe.Add(ref v, i)) & -(long)ActiveBit(Unsafe.Add(ref g, i)));
    }

    /// <summary>t[i] ← fma(x[i], coefficient, t[i]) for i &lt; length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(ref double x, double coefficient, ref double t, int length)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var cv = Vector512.Create(coefficient);
            for (; i <= length - 8; i += 8)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), cv, Vector512.LoadUnsafe(ref t, (nuint)i))
                    .StoreUnsafe(ref t, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var cv = Vector256.Create(coefficient);
            for (; i <= length - 4; i += 4)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), cv, Vector256.LoadUnsafe(ref t, (nuint)i))
                    .StoreUnsafe(ref t, (nuint)i);
        }
        for (; i < length; i++)
            Unsafe.Add(ref t, i) = Math.FusedMultiplyAdd(Unsafe.Add(ref x, i), coefficient, Unsafe.Add(ref t, i));
    }

    /// <summary>Columns [0, length) of rows 0..rowCount−1 (stride <paramref name="stride"/>) into one target.</summary>
    private static void AxpyRows(ref double w, int stride, int rowCount, int length, ref double coefficients, ref double t)
    {
        for (var k = 0; k < rowCount; k++)
        {
            var coefficient = Unsafe.Add(ref coefficients, k);
            if (coefficient == 0) continue;
            Axpy(ref Unsafe.Add(ref w, (nint)k * stride), coefficient, ref t, length);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transposed4x16(
        ref double w, int stride, int rowCount, ref double c, int coefficientStride, ref double t, int targetStride)
    {
        ref var t1 = ref Unsafe.Add(ref t, targetStride);
        ref var t2 = ref Unsafe.Add(ref t, 2 * targetStride);
        ref var t3 = ref Unsafe.Add(ref t, 3 * targetStride);
        var s00 = Vector512.LoadUnsafe(ref t);
        var s01 = Vector512.LoadUnsafe(ref t, 8);
        var s10 = Vector512.LoadUnsafe(ref t1);
        var s11 = Vector512.LoadUnsafe(ref t1, 8);
        var s20 = Vector512.LoadUnsafe(ref t2);
        var s21 = Vector512.LoadUnsafe(ref t2, 8);
        var s30 = Vector512.LoadUnsafe(ref t3);
        var s31 = Vector512.LoadUnsafe(ref t3, 8);
        ref var c1 = ref Unsafe.Add(ref c, coefficientStride);
        ref var c2 = ref Unsafe.Add(ref c, 2 * coefficientStride);
        ref var c3 = ref Unsafe.Add(ref c, 3 * coefficientStride);
        for (var k = 0; k < rowCount; k++)
        {
            ref var row = ref Unsafe.Add(ref w, (nint)k * stride);
            var w0 = Vector512.LoadUnsafe(ref row);
            var w1 = Vector512.LoadUnsafe(ref row, 8);
            var a0 = Vector512.Create(Unsafe.Add(ref c, k));
            var a1 = Vector512.Create(Unsafe.Add(ref c1, k));
            var a2 = Vector512.Create(Unsafe.Add(ref c2, k));
            var a3 = Vector512.Create(Unsafe.Add(ref c3, k));
            s00 = Vector512.FusedMultiplyAdd(w0, a0, s00);
            s01 = Vector512.FusedMultiplyAdd(w1, a0, s01);
            s10 = Vector512.FusedMultiplyAdd(w0, a1, s10);
            s11 = Vector512.FusedMultiplyAdd(w1, a1, s11);
            s20 = Vector512.FusedMultiplyAdd(w0, a2, s20);
            s21 = Vector512.FusedMultiplyAdd(w1, a2, s21);
            s30 = Vector512.FusedMultiplyAdd(w0, a3, s30);
            s31 = Vector512.FusedMultiplyAdd(w1, a3, s31);
        }
        s00.StoreUnsafe(ref t);
        s01.StoreUnsafe(ref t, 8);
        s10.StoreUnsafe(ref t1);
        s11.StoreUnsafe(ref t1, 8);
        s20.StoreUnsafe(ref t2);
        s21.StoreUnsafe(ref t2, 8);
        s30.StoreUnsafe(ref t3);
        s31.StoreUnsafe(ref t3, 8);
    }

    /// <summary>16 dot products of rows x_0..x_3 with columns y_0..y_3 (length ≥ 8), each in <see cref="Dot"/>'s order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x4(ref double x, int xStride, ref double y, int yStride, int length, ref double p, int pStride)
    {
        ref var x1 = ref Unsafe.Add(ref x, xStride);
        ref var x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref var x3 = ref Unsafe.Add(ref x, 3 * xStride);
        ref var y1 = ref Unsafe.Add(ref y, yStride);
        ref var y2 = ref Unsafe.Add(ref y, 2 * yStride);
        ref var y3 = ref Unsafe.Add(ref y, 3 * yStride);
        Vector512<double> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<double> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<double> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<double> s30 = default, s31 = default, s32 = default, s33 = default;
        var i = 0;
        for (; i <= length - 8; i += 8)
        {
            var a0 = Vector512.LoadUnsafe(ref x, (nuint)i);
            var a1 = Vector512.LoadUnsafe(ref x1, (nuint)i);
            var a2 = Vector512.LoadUnsafe(ref x2, (nuint)i);
            var a3 = Vector512.LoadUnsafe(ref x3, (nuint)i);
            var b0 = Vector512.LoadUnsafe(ref y, (nuint)i);
            s00 = Vector512.FusedMultiplyAdd(a0, b0, s00);
            s10 = Vector512.FusedMultiplyAdd(a1, b0, s10);
            s20 = Vector512.FusedMultiplyAdd(a2, b0, s20);
            s30 = Vector512.FusedMultiplyAdd(a3, b0, s30);
            var b1 = Vector512.LoadUnsafe(ref y1, (nuint)i);
            s01 = Vector512.FusedMultiplyAdd(a0, b1, s01);
            s11 = Vector512.FusedMultiplyAdd(a1, b1, s11);
            s21 = Vector512.FusedMultiplyAdd(a2, b1, s21);
            s31 = Vector512.FusedMultiplyAdd(a3, b1, s31);
            var b2 = Vector512.LoadUnsafe(ref y2, (nuint)i);
            s02 = Vector512.FusedMultiplyAdd(a0, b2, s02);
            s12 = Vector512.FusedMultiplyAdd(a1, b2, s12);
            s22 = Vector512.FusedMultiplyAdd(a2, b2, s22);
            s32 = Vector512.FusedMultiplyAdd(a3, b2, s32);
            var b3 = Vector512.LoadUnsafe(ref y3, (nuint)i);
            s03 = Vector512.FusedMultiplyAdd(a0, b3, s03);
            s13 = Vector512.FusedMultiplyAdd(a1, b3, s13);
            s23 = Vector512.FusedMultiplyAdd(a2, b3, s23);
            s33 = Vector512.FusedMultiplyAdd(a3, b3, s33);
        }
        ref var p1 = ref Unsafe.Add(ref p, pStride);
        ref var p2 = ref Unsafe.Add(ref p, 2 * pStride);
        ref var p3 = ref Unsafe.Add(ref p, 3 * pStride);
        if (i == length)
        {
            // No block of 4 and no scalar tail: the horizontal sums of 4 pairs at once.
            Finish4(s00, s01, s02, s03).StoreUnsafe(ref p);
            Finish4(s10, s11, s12, s13).StoreUnsafe(ref p1);
            Finish4(s20, s21, s22, s23).StoreUnsafe(ref p2);
            Finish4(s30, s31, s32, s33).StoreUnsafe(ref p3);
            return;
        }
        p = Finish(s00, ref x, ref y, i, length);
        Unsafe.Add(ref p, 1) = Finish(s01, ref x, ref y1, i, length);
        Unsafe.Add(ref p, 2) = Finish(s02, ref x, ref y2, i, length);
        Unsafe.Add(ref p, 3) = Finish(s03, ref x, ref y3, i, length);
        p1 = Finish(s10, ref x1, ref y, i, length);
        Unsafe.Add(ref p1, 1) = Finish(s11, ref x1, ref y1, i, length);
        Unsafe.Add(ref p1, 2) = Finish(s12, ref x1, ref y2, i, length);
        Unsafe.Add(ref p1, 3) = Finish(s13, ref x1, ref y3, i, length);
        p2 = Finish(s20, ref x2, ref y, i, length);
        Unsafe.Add(ref p2, 1) = Finish(s21, ref x2, ref y1, i, length);
        Unsafe.Add(ref p2, 2) = Finish(s22, ref x2, ref y2, i, length);
        Unsafe.Add(ref p2, 3) = Finish(s23, ref x2, ref y3, i, length);
        p3 = Finish(s30, ref x3, ref y, i, length);
        Unsafe.Add(ref p3, 1) = Finish(s31, ref x3, ref y1, i, length);
        Unsafe.Add(ref p3, 2) = Finish(s32, ref x3, ref y2, i, length);
        Unsafe.Add(ref p3, 3) = Finish(s33, ref x3, ref y3, i, length);
    }

    /// <summary>8 dot products of rows x_0..x_3 with columns y_0, y_1 (length ≥ 8), each in <see cref="Dot"/>'s order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2(ref double x, int xStride, ref double y, int yStride, int length, ref double p, int pStride)
    {
        ref var x1 = ref Unsafe.Add(ref x, xStride);
        ref var x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref var x3 = ref Unsafe.Add(ref x, 3 * xStride);
        ref var y1 = ref Unsafe.Add(ref y, yStride);
        Vector512<double> s00 = default, s10 = default, s20 = default, s30 = default;
        Vector512<double> s01 = default, s11 = default, s21 = default, s31 = default;
        var i = 0;
        for (; i <= length - 8; i += 8)
        {
            var a0 = Vector512.LoadUnsafe(ref x, (nuint)i);
            var a1 = Vector512.LoadUnsafe(ref x1, (nuint)i);
            var a2 = Vector512.LoadUnsafe(ref x2, (nuint)i);
            var a3 = Vector512.LoadUnsafe(ref x3, (nuint)i);
            var b0 = Vector512.LoadUnsafe(ref y, (nuint)i);
            var b1 = Vector512.LoadUnsafe(ref y1, (nuint)i);
            s00 = Vector512.FusedMultiplyAdd(a0, b0, s00);
            s10 = Vector512.FusedMultiplyAdd(a1, b0, s10);
            s20 = Vector512.FusedMultiplyAdd(a2, b0, s20);
            s30 = Vector512.FusedMultiplyAdd(a3, b0, s30);
            s01 = Vector512.FusedMultiplyAdd(a0, b1, s01);
            s11 = Vector512.FusedMultiplyAdd(a1, b1, s11);
            s21 = Vector512.FusedMultiplyAdd(a2, b1, s21);
            s31 = Vector512.FusedMultiplyAdd(a3, b1, s31);
        }
        ref var p1 = ref Unsafe.Add(ref p, pStride);
        ref var p2 = ref Unsafe.Add(ref p, 2 * pStride);
        ref var p3 = ref Unsafe.Add(ref p, 3 * pStride);
        p = Finish(s00, ref x, ref y, i, length);
        Unsafe.Add(ref p, 1) = Finish(s01, ref x, ref y1, i, length);
        p1 = Finish(s10, ref x1, ref y, i, length);
        Unsafe.Add(ref p1, 1) = Finish(s11, ref x1, ref y1, i, length);
        p2 = Finish(s20, ref x2, ref y, i, length);
        Unsafe.Add(ref p2, 1) = Finish(s21, ref x2, ref y1, i, length);
        p3 = Finish(s30, ref x3, ref y, i, length);
        Unsafe.Add(ref p3, 1) = Finish(s31, ref x3, ref y1, i, length);
    }

    /// <summary>4 dot products of rows x_0..x_3 with one column y (length ≥ 8), each in <see cref="Dot"/>'s order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1(ref double x, int xStride, ref double y, int length, ref double p, int pStride)
    {
        ref var x1 = ref Unsafe.Add(ref x, xStride);
        ref var x2 = ref Unsafe.Add(ref x, 2 * xStride);
        ref var x3 = ref Unsafe.Add(ref x, 3 * xStride);
        Vector512<double> s0 = default, s1 = default, s2 = default, s3 = default;
        var i = 0;
        for (; i <= length - 8; i += 8)
        {
            var b = Vector512.LoadUnsafe(ref y, (nuint)i);
            s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), b, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x1, (nuint)i), b, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x2, (nuint)i), b, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x3, (nuint)i), b, s3);
        }
        p = Finish(s0, ref x, ref y, i, length);
        Unsafe.Add(ref p, pStride) = Finish(s1, ref x1, ref y, i, length);
        Unsafe.Add(ref p, 2 * pStride) = Finish(s2, ref x2, ref y, i, length);
        Unsafe.Add(ref p, 3 * pStride) = Finish(s3, ref x3, ref y, i, length);
    }

    /// <summary>
    /// <see cref="Finish"/> of four accumulators with nothing left after the blocks of 8: lane k is
    /// (t0 + t1) + (t2 + t3) of t = low + high half of accumulator k, the same additions in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Finish4(
        Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> d)
    {
        var ta = a.GetLower() + a.GetUpper();
        var tb = b.GetLower() + b.GetUpper();
        var tc = c.GetLower() + c.GetUpper();
        var td = d.GetLower() + d.GetUpper();
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            // hadd: [a0+a1, b0+b1, a2+a3, b2+b3]; then [a01, b01, c01, d01] + [a23, b23, c23, d23].
            var ab = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(ta, tb);
            var cd = System.Runtime.Intrinsics.X86.Avx.HorizontalAdd(tc, td);
            return System.Runtime.Intrinsics.X86.Avx.Permute2x128(ab, cd, 0x20)
                   + System.Runtime.Intrinsics.X86.Avx.Permute2x128(ab, cd, 0x31);
        }
        return Vector256.Create(
            LaneSum(ta),
            LaneSum(tb),
            LaneSum(tc),
            LaneSum(td));
    }

    /// <summary>
    /// The end of <see cref="Dot"/> from an 8-lane accumulator after the blocks of 8 (low half = accumulator 0,
    /// high half = accumulator 1): the block of 4, the fixed horizontal sum, the scalar tail from element i.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Finish(Vector512<double> accumulator, ref double x, ref double y, int i, int length)
    {
        var accumulator0 = accumulator.GetLower();
        var accumulator1 = accumulator.GetUpper();
        if (i <= length - 4)
        {
            accumulator0 = Vector256.FusedMultiplyAdd(
                Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i), accumulator0);
            i += 4;
        }
        var total = accumulator0 + accumulator1;
        var sum = LaneSum(total);
        for (; i < length; i++) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i), sum);
        return sum;
    }
}
