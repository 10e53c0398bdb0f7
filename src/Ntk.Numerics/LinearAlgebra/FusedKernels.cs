using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Kernels of the conditional engine's Gram path (docs/numerics.md §13) in one fixed order built on fused
/// multiply–adds: 8 lanes, each a chain of fma in increasing row, the same on every machine. Where AVX-512 runs the
/// 8 lanes are one Vector512; elsewhere they are two Vector256 halves (<see cref="Lanes8"/>), and without any
/// hardware vectors .NET computes each lane's fma exactly (correctly rounded) in software. So every path gives the
/// same bits.
/// </summary>
/// <remarks>
/// <para><b>Fused dot product</b> of length n: lane ℓ = i mod 8 keeps s_ℓ ← fma(x_i, y_i, s_ℓ)
/// from +0 over the rows i &lt; 8⌊n/8⌋; the lanes are combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
/// then the tail rows, in increasing i, total ← fma(x_i, y_i, total).</para>
/// <para><b>Fused combination</b> of terms (a_j, x_j), j = 0..J−1, per element: a_0 x_0, then y ← fma(a_j, x_j, y)
/// for j = 1, 2, … in order; +0 for no terms.</para>
/// </remarks>
internal static class FusedKernels
{
    /// <summary>Eight lanes as two Vector256 halves: lanes 0–3 (rows i..i+3) and 4–7 (rows i+4..i+7).</summary>
    internal struct Lanes8
    {
        public Vector256<double> Lower;
        public Vector256<double> Upper;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes8 Load(ref double source, int i) => new()
        {
            Lower = Vector256.LoadUnsafe(ref source, (nuint)i),
            Upper = Vector256.LoadUnsafe(ref source, (nuint)(i + 4)),
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Store(ref double target, int i)
        {
            Lower.StoreUnsafe(ref target, (nuint)i);
            Upper.StoreUnsafe(ref target, (nuint)(i + 4));
        }

        /// <summary>this ← fma(x, y, this) per lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accumulate(Lanes8 x, Lanes8 y)
        {
            Lower = Vector256.FusedMultiplyAdd(x.Lower, y.Lower, Lower);
            Upper = Vector256.FusedMultiplyAdd(x.Upper, y.Upper, Upper);
        }

        /// <summary>this ← fma(c, x, this) per lane, c broadcast.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Accumulate(Vector256<double> c, Lanes8 x)
        {
            Lower = Vector256.FusedMultiplyAdd(c, x.Lower, Lower);
            Upper = Vector256.FusedMultiplyAdd(c, x.Upper, Upper);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes8 Times(Vector256<double> c, Lanes8 x) => new() { Lower = c * x.Lower, Upper = c * x.Upper };

        /// <summary>x where x &gt; 0, else +0 (relu by mask; NaN and −0 give +0), and the 8 indicators x &gt; 0 as bits (lane i at bit i).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes8 Relu(Lanes8 x, out byte active)
        {
            var lower = Vector256.GreaterThan(x.Lower, Vector256<double>.Zero);
            var upper = Vector256.GreaterThan(x.Upper, Vector256<double>.Zero);
            active = (byte)(lower.ExtractMostSignificantBits() | upper.ExtractMostSignificantBits() << 4);
            return new Lanes8 { Lower = x.Lower & lower, Upper = x.Upper & upper };
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes8 And(Lanes8 x, Vector256<double> mask) => new() { Lower = x.Lower & mask, Upper = x.Upper & mask };

        /// <summary>x where mask &gt; 0 elementwise, else +0.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Lanes8 Where(Lanes8 x, Lanes8 mask) => new()
        {
            Lower = x.Lower & Vector256.GreaterThan(mask.Lower, Vector256<double>.Zero),
            Upper = x.Upper & Vector256.GreaterThan(mask.Upper, Vector256<double>.Zero),
        };

        /// <summary>((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly double Sum() => DenseKernels.LaneSum(Lower) + DenseKernels.LaneSum(Upper);
    }

    /// <summary>The lane combination of <see cref="Lanes8.Sum"/> for 8 lanes held in one Vector512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Sum(Vector512<double> lanes) =>
        DenseKernels.LaneSum(lanes.GetLower()) + DenseKernels.LaneSum(lanes.GetUpper());

    /// <summary>The ten lane-combined sums of an m ≤ 4 Gram matrix's upper triangle into g[a·4 + b], b ≥ a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // ten vectors would otherwise go through the stack
    internal static void StoreUpperSums(Span<double> g, Vector512<double> g00, Vector512<double> g01, Vector512<double> g02,
        Vector512<double> g03, Vector512<double> g11, Vector512<double> g12, Vector512<double> g13, Vector512<double> g22,
        Vector512<double> g23, Vector512<double> g33)
    {
        g[0] = Sum(g00); g[1] = Sum(g01); g[2] = Sum(g02); g[3] = Sum(g03);
        g[5] = Sum(g11); g[6] = Sum(g12); g[7] = Sum(g13);
        g[10] = Sum(g22); g[11] = Sum(g23); g[15] = Sum(g33);
    }

    /// <summary><see cref="StoreUpperSums(Span{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double}, Vector512{double})"/> for lanes held as two halves.</summary>
    internal static void StoreUpperSums(Span<double> g, Lanes8 g00, Lanes8 g01, Lanes8 g02, Lanes8 g03, Lanes8 g11,
        Lanes8 g12, Lanes8 g13, Lanes8 g22, Lanes8 g23, Lanes8 g33)
    {
        g[0] = g00.Sum(); g[1] = g01.Sum(); g[2] = g02.Sum(); g[3] = g03.Sum();
        g[5] = g11.Sum(); g[6] = g12.Sum(); g[7] = g13.Sum();
        g[10] = g22.Sum(); g[11] = g23.Sum(); g[15] = g33.Sum();
    }

    /// <summary>One tail row of an m ≤ 4 Gram matrix: g[a·4 + b] ← fma(x_a, x_b, g[a·4 + b]) for a ≤ b &lt; m.</summary>
    internal static void AccumulateUpper(ReadOnlySpan<double> x, int m, Span<double> g)
    {
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++) g[a * 4 + b] = Math.FusedMultiplyAdd(x[a], x[b], g[a * 4 + b]);
    }

    /// <summary>The m × m Gram matrix from its upper triangle g[a·4 + b].</summary>
    internal static void CopySymmetric(ReadOnlySpan<double> g, int m, Span<double> gram)
    {
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++) gram[a * m + b] = gram[b * m + a] = g[a * 4 + b];
    }

    /// <summary>
    /// results[e·<paramref name="yCount"/> + j] = the fused dot product of x at xOffsets[e] and y at yOffsets[j] over
    /// <paramref name="length"/> rows, for e &lt; xOffsets.Length ≤ 4 and j &lt; <paramref name="yCount"/> ≤ 4, bitwise:
    /// the same chains, all side by side in one pass, each vector loaded once per row block.
    /// </summary>
    internal static void FusedProducts(
        ReadOnlySpan<double> x, ReadOnlySpan<int> xOffsets, ReadOnlySpan<double> y, ReadOnlySpan<int> yOffsets,
        int yCount, int length, Span<double> results)
    {
        var xCount = xOffsets.Length;
        if (xCount > 4 || yCount is < 0 or > 4 || yOffsets.Length < yCount || results.Length < xCount * yCount || length < 0)
            throw new ArgumentException("FusedProducts: at most 4 × 4 vectors, one result per pair");
        foreach (var offset in xOffsets)
            if (offset < 0 || (long)offset + length > x.Length) throw new ArgumentOutOfRangeException(nameof(xOffsets));
        for (var j = 0; j < yCount; j++)
            if (yOffsets[j] < 0 || (long)yOffsets[j] + length > y.Length) throw new ArgumentOutOfRangeException(nameof(yOffsets));
        if (xCount == 0 || yCount == 0) return;
        ref var xBase = ref MemoryMarshal.GetReference(x);
        ref var yBase = ref MemoryMarshal.GetReference(y);
        ref var x0 = ref Unsafe.Add(ref xBase, xOffsets[0]);
        ref var x1 = ref Unsafe.Add(ref xBase, xOffsets[Math.Min(1, xCount - 1)]);
        ref var x2 = ref Unsafe.Add(ref xBase, xOffsets[Math.Min(2, xCount - 1)]);
        ref var x3 = ref Unsafe.Add(ref xBase, xOffsets[Math.Min(3, xCount - 1)]);
        ref var y0 = ref Unsafe.Add(ref yBase, yOffsets[0]);
        ref var y1 = ref Unsafe.Add(ref yBase, yOffsets[Math.Min(1, yCount - 1)]);
        ref var y2 = ref Unsafe.Add(ref yBase, yOffsets[Math.Min(2, yCount - 1)]);
        ref var y3 = ref Unsafe.Add(ref yBase, yOffsets[Math.Min(3, yCount - 1)]);
        var blocks = length & ~7;
        Span<double> totals = stackalloc double[16]; // [e·4 + j], only the pairs in use are summed
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default,
                s12 = default, s13 = default, s20 = default, s21 = default, s22 = default, s23 = default,
                s30 = default, s31 = default, s32 = default, s33 = default;
            for (var i = 0; i < blocks; i += 8)
            {
                var b0 = Vector512.LoadUnsafe(ref y0, (nuint)i);
                var b1 = Vector512.LoadUnsafe(ref y1, (nuint)i);
                var b2 = Vector512.LoadUnsafe(ref y2, (nuint)i);
                var b3 = Vector512.LoadUnsafe(ref y3, (nuint)i);
                var v = Vector512.LoadUnsafe(ref x0, (nuint)i);
                s00 = Vector512.FusedMultiplyAdd(v, b0, s00);
                if (yCount > 1) s01 = Vector512.FusedMultiplyAdd(v, b1, s01);
                if (yCount > 2) s02 = Vector512.FusedMultiplyAdd(v, b2, s02);
                if (yCount > 3) s03 = Vector512.FusedMultiplyAdd(v, b3, s03);
                if (xCount > 1)
                {
                    v = Vector512.LoadUnsafe(ref x1, (nuint)i);
                    s10 = Vector512.FusedMultiplyAdd(v, b0, s10);
                    if (yCount > 1) s11 = Vector512.FusedMultiplyAdd(v, b1, s11);
                    if (yCount > 2) s12 = Vector512.FusedMultiplyAdd(v, b2, s12);
                    if (yCount > 3) s13 = Vector512.FusedMultiplyAdd(v, b3, s13);
                    if (xCount > 2)
                    {
                        v = Vector512.LoadUnsafe(ref x2, (nuint)i);
                        s20 = Vector512.FusedMultiplyAdd(v, b0, s20);
                        if (yCount > 1) s21 = Vector512.FusedMultiplyAdd(v, b1, s21);
                        if (yCount > 2) s22 = Vector512.FusedMultiplyAdd(v, b2, s22);
                        if (yCount > 3) s23 = Vector512.FusedMultiplyAdd(v, b3, s23);
                        if (xCount > 3)
                        {
                            v = Vector512.LoadUnsafe(ref x3, (nuint)i);
                            s30 = Vector512.FusedMultiplyAdd(v, b0, s30);
                            if (yCount > 1) s31 = Vector512.FusedMultiplyAdd(v, b1, s31);
                            if (yCount > 2) s32 = Vector512.FusedMultiplyAdd(v, b2, s32);
                            if (yCount > 3) s33 = Vector512.FusedMultiplyAdd(v, b3, s33);
                        }
                    }
                }
            }
            totals[0] = Sum(s00);
            if (yCount > 1) totals[1] = Sum(s01);
            if (yCount > 2) totals[2] = Sum(s02);
            if (yCount > 3) totals[3] = Sum(s03);
            if (xCount > 1)
            {
                totals[4] = Sum(s10);
                if (yCount > 1) totals[5] = Sum(s11);
                if (yCount > 2) totals[6] = Sum(s12);
                if (yCount > 3) totals[7] = Sum(s13);
                if (xCount > 2)
                {
                    totals[8] = Sum(s20);
                    if (yCount > 1) totals[9] = Sum(s21);
                    if (yCount > 2) totals[10] = Sum(s22);
                    if (yCount > 3) totals[11] = Sum(s23);
                    if (xCount > 3)
                    {
                        totals[12] = Sum(s30);
                        if (yCount > 1) totals[13] = Sum(s31);
                        if (yCount > 2) totals[14] = Sum(s32);
                        if (yCount > 3) totals[15] = Sum(s33);
                    }
                }
            }
        }
        else
        {
            Lanes8 s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default,
                s12 = default, s13 = default, s20 = default, s21 = default, s22 = default, s23 = default,
                s30 = default, s31 = default, s32 = default, s33 = default;
            for (var i = 0; i < blocks; i += 8)
            {
                var b0 = Lanes8.Load(ref y0, i);
                var b1 = Lanes8.Load(ref y1, i);
                var b2 = Lanes8.Load(ref y2, i);
                var b3 = Lanes8.Load(ref y3, i);
                var v = Lanes8.Load(ref x0, i);
                s00.Accumulate(v, b0);
                if (yCount > 1) s01.Accumulate(v, b1);
                if (yCount > 2) s02.Accumulate(v, b2);
                if (yCount > 3) s03.Accumulate(v, b3);
                if (xCount > 1)
                {
                    v = Lanes8.Load(ref x1, i);
                    s10.Accumulate(v, b0);
                    if (yCount > 1) s11.Accumulate(v, b1);
                    if (yCount > 2) s12.Accumulate(v, b2);
                    if (yCount > 3) s13.Accumulate(v, b3);
                    if (xCount > 2)
                    {
                        v = Lanes8.Load(ref x2, i);
                        s20.Accumulate(v, b0);
                        if (yCount > 1) s21.Accumulate(v, b1);
                        if (yCount > 2) s22.Accumulate(v, b2);
                        if (yCount > 3) s23.Accumulate(v, b3);
                        if (xCount > 3)
                        {
                            v = Lanes8.Load(ref x3, i);
                            s30.Accumulate(v, b0);
                            if (yCount > 1) s31.Accumulate(v, b1);
                            if (yCount > 2) s32.Accumulate(v, b2);
                            if (yCount > 3) s33.Accumulate(v, b3);
                        }
                    }
                }
            }
            totals[0] = s00.Sum(); totals[1] = s01.Sum(); totals[2] = s02.Sum(); totals[3] = s03.Sum();
            totals[4] = s10.Sum(); totals[5] = s11.Sum(); totals[6] = s12.Sum(); totals[7] = s13.Sum();
            totals[8] = s20.Sum(); totals[9] = s21.Sum(); totals[10] = s22.Sum(); totals[11] = s23.Sum();
            totals[12] = s30.Sum(); totals[13] = s31.Sum(); totals[14] = s32.Sum(); totals[15] = s33.Sum();
        }
        for (var e = 0; e < xCount; e++)
        {
            ref var xe = ref Unsafe.Add(ref xBase, xOffsets[e]);
            for (var j = 0; j < yCount; j++)
            {
                var total = totals[e * 4 + j];
                if (blocks < length)
                {
                    ref var yj = ref Unsafe.Add(ref yBase, yOffsets[j]);
                    for (var i = blocks; i < length; i++) total = Math.FusedMultiplyAdd(Unsafe.Add(ref xe, i), Unsafe.Add(ref yj, i), total);
                }
                results[e * yCount + j] = total;
            }
        }
    }

    /// <summary>
    /// The backward pass's last step for m ≤ 4 (docs/numerics.md §13), in one pass over the rows: for each column c &lt;
    /// <paramref name="columns"/> ≤ 4, T_c = the fused combination of its terms (the type's remarks:
    /// termCounts[c] ≤ 8 terms, term j's coefficient at coefficients[c·8 + j] and its vector at termOffsets[c·8 + j],
    /// in <paramref name="first"/> for j &lt; firstCounts[c], else in <paramref name="second"/>); then for every input
    /// a, δ_a = T_{representativeOf[a]} where post_a &gt; 0, else +0 (+0 throughout for representativeOf[a] &lt; 0); and the
    /// Gram matrix of δ, each entry the fused dot product of δ_a and δ_b. T is never stored (inputs that share a column
    /// combine it each, the same operations).
    /// </summary>
    internal static void GateCombinationGram(
        ReadOnlySpan<double> first, ReadOnlySpan<double> second, ReadOnlySpan<int> termOffsets,
        ReadOnlySpan<int> termCounts, ReadOnlySpan<int> firstCounts, ReadOnlySpan<double> coefficients, int columns,
        int rows, int m, ReadOnlySpan<int> representativeOf, ReadOnlySpan<double> post, Span<double> delta,
        Span<double> gram) =>
        GateCombinationGram(first, second, termOffsets, termCounts, firstCounts, coefficients, columns, rows, m,
            representativeOf, post, delta, gram, default, 0, default);

    /// <summary>
    /// <see cref="GateCombinationGram(ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{double}, int, int, int, ReadOnlySpan{int}, ReadOnlySpan{double}, Span{double}, Span{double})"/>,
    /// and also, for <paramref name="basisCount"/> &gt; 0, products[k·m + a] = the fused dot product of column k &lt;
    /// <paramref name="basisCount"/> ≤ 4 of <paramref name="basis"/> (at k·rows) and δ_a: bitwise what
    /// <see cref="FusedProducts"/> gives for them (the conditional engine's Uᵀ δ of the next layer down). For m ≤ 2 they
    /// are accumulated in the same pass, so δ is not read back.
    /// </summary>
    [SkipLocalsInit] // every scratch entry is written before it is read
    internal static unsafe void GateCombinationGram(
        ReadOnlySpan<double> first, ReadOnlySpan<double> second, ReadOnlySpan<int> termOffsets,
        ReadOnlySpan<int> termCounts, ReadOnlySpan<int> firstCounts, ReadOnlySpan<double> coefficients, int columns,
        int rows, int m, ReadOnlySpan<int> representativeOf, ReadOnlySpan<double> post, Span<double> delta,
        Span<double> gram, ReadOnlySpan<double> basis, int basisCount, Span<double> products)
    {
        if (basisCount is < 0 or > 4 || (basisCount > 0 && (basis.Length < basisCount * rows || products.Length < basisCount * m)))
            throw new ArgumentException("GateCombinationGram: at most 4 basis columns, with room for their products");
        if (m is < 1 or > 4 || columns is < 0 or > 4 || termOffsets.Length < 8 * columns || termCounts.Length < columns
            || firstCounts.Length < columns || coefficients.Length < 8 * columns || representativeOf.Length < m
            || post.Length < m * rows || delta.Length < m * rows || gram.Length < m * m)
            throw new ArgumentException("GateCombinationGram: spans too short, m > 4 or more than 4 columns");
        for (var c = 0; c < columns; c++)
        {
            if (termCounts[c] is < 1 or > 8) throw new ArgumentException("GateCombinationGram: 1 to 8 terms per column");
            for (var j = 0; j < termCounts[c]; j++)
            {
                var offset = termOffsets[c * 8 + j];
                if (offset < 0 || (long)offset + rows > (j < firstCounts[c] ? first.Length : second.Length))
                    throw new ArgumentOutOfRangeException(nameof(termOffsets), "a term runs past its span");
            }
        }
        for (var a = 0; a < m; a++)
            if (representativeOf[a] >= columns) throw new ArgumentException("GateCombinationGram: representative beyond the columns");

        fixed (double* firstBase = first, secondBase = second, hBase = post, dBase = delta, coefficientBase = coefficients,
               uBase = basis)
        {
            // Per input a: its column's term vectors (8 slots), coefficients and count; count 0 for a dead input.
            var terms = stackalloc double*[32];
            var weights = stackalloc double*[4];
            var counts = stackalloc int[4];
            var h = stackalloc double*[4];
            var d = stackalloc double*[4];
            for (var a = 0; a < 4; a++)
            {
                var input = Math.Min(a, m - 1);
                h[a] = hBase + input * rows;
                d[a] = dBase + input * rows;
                var column = representativeOf[input];
                counts[a] = a < m && column >= 0 ? termCounts[column] : 0;
                weights[a] = coefficientBase + Math.Max(column, 0) * 8;
                for (var j = 0; j < 8; j++)
                    terms[a * 8 + j] = counts[a] > j
                        ? (j < firstCounts[column] ? firstBase : secondBase) + termOffsets[column * 8 + j]
                        : null;
            }
            var firstCountOf = stackalloc int[4];
            for (var a = 0; a < 4; a++) firstCountOf[a] = counts[a] > 0 ? firstCounts[representativeOf[Math.Min(a, m - 1)]] : 0;
            var slots = stackalloc double*[8];
            var blocks = rows & ~7;
            Span<double> g = stackalloc double[16];
            var fusedBasis = false;
            if (Vector512.IsHardwareAccelerated && m <= 2 && counts[0] <= 4 && counts[1] <= 4 && basisCount <= 2)
            {
                // Pairs (m ≤ 2, the common case) with at most 4 terms per column: the same operations as below, with
                // every term's vector and coefficient held in registers across the rows instead of reloaded per block,
                // and the products with the basis columns (FusedProducts' chains) taken from δ while it is in registers.
                fusedBasis = true;
                Vector512<double> g00 = default, g01 = default, g11 = default;
                Vector512<double> s00 = default, s01 = default, s10 = default, s11 = default; // [k, a]
                double* u0 = uBase, u1 = basisCount > 1 ? uBase + rows : uBase;
                double* p00 = terms[0], p01 = terms[1], p02 = terms[2], p03 = terms[3];
                double* p10 = terms[8], p11 = terms[9], p12 = terms[10], p13 = terms[11];
                var w00 = Vector512.Create(counts[0] > 0 ? weights[0][0] : 0);
                var w01 = Vector512.Create(counts[0] > 1 ? weights[0][1] : 0);
                var w02 = Vector512.Create(counts[0] > 2 ? weights[0][2] : 0);
                var w03 = Vector512.Create(counts[0] > 3 ? weights[0][3] : 0);
                var w10 = Vector512.Create(counts[1] > 0 ? weights[1][0] : 0);
                var w11 = Vector512.Create(counts[1] > 1 ? weights[1][1] : 0);
                var w12 = Vector512.Create(counts[1] > 2 ? weights[1][2] : 0);
                var w13 = Vector512.Create(counts[1] > 3 ? weights[1][3] : 0);
                int n0 = counts[0], n1 = m > 1 ? counts[1] : 0;
                double* h0 = h[0], h1 = h[1], d0 = d[0], d1 = d[1];
                for (var i = 0; i < blocks; i += 8)
                {
                    var x0 = PairColumn(n0, w00, w01, w02, w03, p00, p01, p02, p03, h0, i);
                    Vector512.Store(x0, d0 + i);
                    g00 = Vector512.FusedMultiplyAdd(x0, x0, g00);
                    Vector512<double> b0 = default, b1 = default;
                    if (basisCount > 0)
                    {
                        b0 = Vector512.Load(u0 + i);
                        s00 = Vector512.FusedMultiplyAdd(b0, x0, s00);
                        if (basisCount > 1)
                        {
                            b1 = Vector512.Load(u1 + i);
                            s10 = Vector512.FusedMultiplyAdd(b1, x0, s10);
                        }
                    }
                    if (m > 1)
                    {
                        var x1 = PairColumn(n1, w10, w11, w12, w13, p10, p11, p12, p13, h1, i);
                        Vector512.Store(x1, d1 + i);
                        g01 = Vector512.FusedMultiplyAdd(x0, x1, g01);
                        g11 = Vector512.FusedMultiplyAdd(x1, x1, g11);
                        if (basisCount > 0)
                        {
                            s01 = Vector512.FusedMultiplyAdd(b0, x1, s01);
                            if (basisCount > 1) s11 = Vector512.FusedMultiplyAdd(b1, x1, s11);
                        }
                    }
                }
                g[0] = Sum(g00);
                g[1] = Sum(g01);
                g[5] = Sum(g11);
                if (basisCount > 0)
                {
                    products[0] = Sum(s00);
                    if (m > 1) products[1] = Sum(s01);
                    if (basisCount > 1)
                    {
                        products[m] = Sum(s10);
                        if (m > 1) products[m + 1] = Sum(s11);
                    }
                }
            }
            else if (Vector512.IsHardwareAccelerated && m >= 3 && PrefixLayout(terms, counts, firstCountOf, m, slots))
            {
                // Every input's terms are X_0..X_{k−1} then H_0..H_3 of 8 shared vectors (the Gram path at rank 4): the
                // vectors are loaded once per block and each input's chain is straight-line code for its k, the same
                // operations in the same order as Gated512. (Its store and Gram lines repeat the loop below: one loop
                // choosing per input between the two chains was 1.5–2% slower at m = 4.)
                Vector512<double> g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
                    g13 = default, g22 = default, g23 = default, g33 = default;
                double* s0 = slots[0], s1 = slots[1], s2 = slots[2], s3 = slots[3], s4 = slots[4], s5 = slots[5],
                    s6 = slots[6], s7 = slots[7];
                int k0 = firstCountOf[0], k1 = firstCountOf[1], k2 = firstCountOf[2], k3 = firstCountOf[3]; // 0: dead
                for (var i = 0; i < blocks; i += 8)
                {
                    var v0 = Vector512.Load(s0 + i);
                    var v1 = Vector512.Load(s1 + i);
                    var v2 = Vector512.Load(s2 + i);
                    var v3 = Vector512.Load(s3 + i);
                    var v4 = Vector512.Load(s4 + i);
                    var v5 = Vector512.Load(s5 + i);
                    var v6 = Vector512.Load(s6 + i);
                    var v7 = Vector512.Load(s7 + i);
                    var x0 = Active(PrefixChain(k0, weights[0], v0, v1, v2, v3, v4, v5, v6, v7), h[0], i);
                    Vector512.Store(x0, d[0] + i);
                    g00 = Vector512.FusedMultiplyAdd(x0, x0, g00);
                    var x1 = Active(PrefixChain(k1, weights[1], v0, v1, v2, v3, v4, v5, v6, v7), h[1], i);
                    Vector512.Store(x1, d[1] + i);
                    g01 = Vector512.FusedMultiplyAdd(x0, x1, g01);
                    g11 = Vector512.FusedMultiplyAdd(x1, x1, g11);
                    var x2 = Active(PrefixChain(k2, weights[2], v0, v1, v2, v3, v4, v5, v6, v7), h[2], i);
                    Vector512.Store(x2, d[2] + i);
                    g02 = Vector512.FusedMultiplyAdd(x0, x2, g02);
                    g12 = Vector512.FusedMultiplyAdd(x1, x2, g12);
                    g22 = Vector512.FusedMultiplyAdd(x2, x2, g22);
                    if (m > 3)
                    {
                        var x3 = Active(PrefixChain(k3, weights[3], v0, v1, v2, v3, v4, v5, v6, v7), h[3], i);
                        Vector512.Store(x3, d[3] + i);
                        g03 = Vector512.FusedMultiplyAdd(x0, x3, g03);
                        g13 = Vector512.FusedMultiplyAdd(x1, x3, g13);
                        g23 = Vector512.FusedMultiplyAdd(x2, x3, g23);
                        g33 = Vector512.FusedMultiplyAdd(x3, x3, g33);
                    }
                }
                StoreUpperSums(g, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33);
            }
            else if (Vector512.IsHardwareAccelerated)
            {
                Vector512<double> g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
                    g13 = default, g22 = default, g23 = default, g33 = default;
                for (var i = 0; i < blocks; i += 8)
                {
                    var x0 = Gated512(terms, weights[0], counts[0], h[0], i);
                    Vector512.Store(x0, d[0] + i);
                    g00 = Vector512.FusedMultiplyAdd(x0, x0, g00);
                    if (m > 1)
                    {
                        var x1 = Gated512(terms + 8, weights[1], counts[1], h[1], i);
                        Vector512.Store(x1, d[1] + i);
                        g01 = Vector512.FusedMultiplyAdd(x0, x1, g01);
                        g11 = Vector512.FusedMultiplyAdd(x1, x1, g11);
                        if (m > 2)
                        {
                            var x2 = Gated512(terms + 16, weights[2], counts[2], h[2], i);
                            Vector512.Store(x2, d[2] + i);
                            g02 = Vector512.FusedMultiplyAdd(x0, x2, g02);
                            g12 = Vector512.FusedMultiplyAdd(x1, x2, g12);
                            g22 = Vector512.FusedMultiplyAdd(x2, x2, g22);
                            if (m > 3)
                            {
                                var x3 = Gated512(terms + 24, weights[3], counts[3], h[3], i);
                                Vector512.Store(x3, d[3] + i);
                                g03 = Vector512.FusedMultiplyAdd(x0, x3, g03);
                                g13 = Vector512.FusedMultiplyAdd(x1, x3, g13);
                                g23 = Vector512.FusedMultiplyAdd(x2, x3, g23);
                                g33 = Vector512.FusedMultiplyAdd(x3, x3, g33);
                            }
                        }
                    }
                }
                StoreUpperSums(g, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33);
            }
            else
            {
                Lanes8 g00 = default, g01 = default, g02 = default, g03 = default, g11 = default, g12 = default,
                    g13 = default, g22 = default, g23 = default, g33 = default;
                for (var i = 0; i < blocks; i += 8)
                {
                    var x0 = Gated256(terms, weights[0], counts[0], h[0], i);
                    x0.Store(ref *d[0], i);
                    g00.Accumulate(x0, x0);
                    if (m > 1)
                    {
                        var x1 = Gated256(terms + 8, weights[1], counts[1], h[1], i);
                        x1.Store(ref *d[1], i);
                        g01.Accumulate(x0, x1);
                        g11.Accumulate(x1, x1);
                        if (m > 2)
                        {
                            var x2 = Gated256(terms + 16, weights[2], counts[2], h[2], i);
                            x2.Store(ref *d[2], i);
                            g02.Accumulate(x0, x2);
                            g12.Accumulate(x1, x2);
                            g22.Accumulate(x2, x2);
                            if (m > 3)
                            {
                                var x3 = Gated256(terms + 24, weights[3], counts[3], h[3], i);
                                x3.Store(ref *d[3], i);
                                g03.Accumulate(x0, x3);
                                g13.Accumulate(x1, x3);
                                g23.Accumulate(x2, x3);
                                g33.Accumulate(x3, x3);
                            }
                        }
                    }
                }
                StoreUpperSums(g, g00, g01, g02, g03, g11, g12, g13, g22, g23, g33);
            }
            Span<double> x = stackalloc double[4];
            for (var i = blocks; i < rows; i++)
            {
                for (var a = 0; a < m; a++)
                {
                    var value = 0.0;
                    if (counts[a] > 0 && h[a][i] > 0)
                    {
                        var p = terms + a * 8;
                        value = weights[a][0] * p[0][i];
                        for (var j = 1; j < counts[a]; j++) value = Math.FusedMultiplyAdd(weights[a][j], p[j][i], value);
                    }
                    x[a] = value;
                    d[a][i] = value;
                }
                AccumulateUpper(x, m, g);
                if (fusedBasis) // FusedProducts' tail: after the lane sums, row by row
                    for (var k = 0; k < basisCount; k++)
                        for (var a = 0; a < m; a++)
                            products[k * m + a] = Math.FusedMultiplyAdd(uBase[k * rows + i], x[a], products[k * m + a]);
            }
            CopySymmetric(g, m, gram);
            if (basisCount > 0 && !fusedBasis)
            {
                Span<int> basisOffsets = stackalloc int[4];
                Span<int> deltaOffsets = stackalloc int[4];
                for (var k = 0; k < basisCount; k++) basisOffsets[k] = k * rows;
                for (var a = 0; a < m; a++) deltaOffsets[a] = a * rows;
                FusedProducts(basis, basisOffsets[..basisCount], delta, deltaOffsets, m, rows, products);
            }
        }
    }

    /// <summary>
    /// Whether every live input's terms are X_0..X_{k−1} (k ≤ 4, its draw terms) then H_0..H_3 (exactly 4 terms of h) of
    /// one shared set of 8 vectors, which it writes to <paramref name="slots"/> (0..3 the X, 4..7 the H; X slots beyond the
    /// longest prefix repeat X_0, never read). A dead input (count 0) takes no part.
    /// </summary>
    private static unsafe bool PrefixLayout(double** terms, int* counts, int* firstCountOf, int m, double** slots)
    {
        var xCount = 0;
        var any = false;
        for (var a = 0; a < m; a++)
        {
            if (counts[a] == 0) continue;
            var k = firstCountOf[a];
            if (k < 1 || k > 4 || counts[a] - k != 4) return false;
            if (!any)
            {
                for (var e = 0; e < 4; e++) slots[4 + e] = terms[a * 8 + k + e];
                any = true;
            }
            if (k > xCount)
            {
                for (var j = xCount; j < k; j++) slots[j] = terms[a * 8 + j];
                xCount = k;
            }
        }
        if (!any) return false;
        for (var j = xCount; j < 4; j++) slots[j] = slots[0];
        for (var a = 0; a < m; a++)
        {
            if (counts[a] == 0) continue;
            var k = firstCountOf[a];
            for (var j = 0; j < k; j++) if (terms[a * 8 + j] != slots[j]) return false;
            for (var e = 0; e < 4; e++) if (terms[a * 8 + k + e] != slots[4 + e]) return false;
        }
        return true;
    }

    /// <summary>The combination where h &gt; 0, else +0 (the mask of every fused pass).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<double> Active(Vector512<double> combination, double* h, int i) =>
        combination & Vector512.GreaterThan(Vector512.Load(h + i), Vector512<double>.Zero);

    /// <summary>
    /// <see cref="Gated512"/>'s combination (unmasked) for the prefix layout: w_0 X_0, then fused multiply-adds with
    /// X_1..X_{k−1} and H_0..H_3, the coefficients in that order; +0 for a dead input (k = 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<double> PrefixChain(int k, double* w, Vector512<double> x0, Vector512<double> x1,
        Vector512<double> x2, Vector512<double> x3, Vector512<double> h0, Vector512<double> h1, Vector512<double> h2,
        Vector512<double> h3)
    {
        Vector512<double> sum;
        switch (k)
        {
            case 1:
                sum = Vector512.Create(w[0]) * x0;
                return H(sum, w + 1, h0, h1, h2, h3);
            case 2:
                sum = Vector512.Create(w[0]) * x0;
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), x1, sum);
                return H(sum, w + 2, h0, h1, h2, h3);
            case 3:
                sum = Vector512.Create(w[0]) * x0;
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), x1, sum);
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), x2, sum);
                return H(sum, w + 3, h0, h1, h2, h3);
            case 4:
                sum = Vector512.Create(w[0]) * x0;
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), x1, sum);
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), x2, sum);
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(w[3]), x3, sum);
                return H(sum, w + 4, h0, h1, h2, h3);
            default:
                return Vector512<double>.Zero;
        }

        static Vector512<double> H(Vector512<double> sum, double* c, Vector512<double> h0, Vector512<double> h1,
            Vector512<double> h2, Vector512<double> h3)
        {
            sum = Vector512.FusedMultiplyAdd(Vector512.Create(c[0]), h0, sum);
            sum = Vector512.FusedMultiplyAdd(Vector512.Create(c[1]), h1, sum);
            sum = Vector512.FusedMultiplyAdd(Vector512.Create(c[2]), h2, sum);
            return Vector512.FusedMultiplyAdd(Vector512.Create(c[3]), h3, sum);
        }
    }

    /// <summary>The pair kernel's column: the fused combination of its count ≤ 4 terms at rows i..i+7, where h &gt; 0, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<double> PairColumn(int count, Vector512<double> w0, Vector512<double> w1,
        Vector512<double> w2, Vector512<double> w3, double* p0, double* p1, double* p2, double* p3, double* h, int i)
    {
        if (count == 0) return Vector512<double>.Zero;
        var x = w0 * Vector512.Load(p0 + i);
        if (count > 1) x = Vector512.FusedMultiplyAdd(w1, Vector512.Load(p1 + i), x);
        if (count > 2) x = Vector512.FusedMultiplyAdd(w2, Vector512.Load(p2 + i), x);
        if (count > 3) x = Vector512.FusedMultiplyAdd(w3, Vector512.Load(p3 + i), x);
        return Active(x, h, i);
    }

    /// <summary>The fused combination of <paramref name="count"/> terms at rows i..i+7, where h &gt; 0, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<double> Gated512(double** terms, double* weights, int count, double* h, int i)
    {
        if (count == 0) return Vector512<double>.Zero;
        var sum = Vector512.Create(weights[0]) * Vector512.Load(terms[0] + i);
        for (var j = 1; j < count; j++) sum = Vector512.FusedMultiplyAdd(Vector512.Create(weights[j]), Vector512.Load(terms[j] + i), sum);
        return Active(sum, h, i);
    }

    /// <summary><see cref="Gated512"/> on two Vector256 halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Lanes8 Gated256(double** terms, double* weights, int count, double* h, int i)
    {
        if (count == 0) return default;
        var sum = Lanes8.Times(Vector256.Create(weights[0]), Lanes8.Load(ref terms[0][i], 0));
        for (var j = 1; j < count; j++) sum.Accumulate(Vector256.Create(weights[j]), Lanes8.Load(ref terms[j][i], 0));
        return Lanes8.Where(sum, Lanes8.Load(ref h[i], 0));
    }
}
