using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Matrix–matrix products of the dense engine for m ≥ <see cref="DenseSampler.PanelFromInputCount"/> inputs, in which
/// every entry is one fused multiply-add chain in increasing k:
/// c_ij = fma(A(i,d−1), B(d−1,j), … fma(A(i,1), B(1,j), fma(A(i,0), B(0,j), c⁰_ij)) …), with c⁰ = +0, or the previous
/// C when accumulating. The order belongs to each entry alone, so the register tiles, the cache blocks and the vector
/// width (AVX-512, <see cref="Vector{T}"/>, scalar) never change a bit of the output: the result is the same on every
/// machine and equals the plain triple loop over <see cref="Math.FusedMultiplyAdd"/> (SimdKernelTests.Panel_*).
/// </summary>
/// <remarks>
/// <para>A is read through two strides, A(i,k) = a[i·rowStride + k·depthStride], so the same kernel computes W H
/// (forward: W row-major, depthStride 1), Wᵀ Δ (backward: rowStride 1, depthStride = width) and HᵀH (Gram). B and C
/// are row-major with unit column stride: B(k,j) = b[k·bStride + j], C(i,j) = c[i·cStride + j].</para>
/// <para>AVX-512 micro-kernel (the usual broadcast-and-FMA register tile of BLAS, Goto &amp; van de Geijn 2008):
/// 6 rows × 32 columns of C in 24 zmm accumulators; per k it loads 4 vectors of B's row k, broadcasts A(i,k) for the
/// 6 rows and does 24 FMAs (10 loads per 24 FMAs, so the two FMA ports, not the loads, set the pace). Narrower column
/// remainders use 6 × 16 and 6 × 8 tiles, row remainders 4-row and 1-row tiles, column remainders below 8 a scalar
/// chain.
/// Cache blocking: k in blocks of <see cref="DepthBlock"/>, so the 128 × 32 panel of B (32 KB) stays in the 48 KB L1
/// while all row tiles stream A past it; the accumulators are stored and reloaded between k blocks, which does not
/// change the chain.</para>
/// </remarks>
internal static class PanelKernels
{
    /// <summary>Rows of the AVX-512 register tile.</summary>
    private const int TileRows = 6;

    /// <summary>k per cache block: a 128 × 32 panel of B is 32 KB (L1 is 48 KB).</summary>
    internal const int DepthBlock = 128;

    /// <summary>True when the AVX-512 tiles run (else <see cref="Vector{T}"/> tiles, else scalar chains).</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// C(i,j) ← the fused multiply-add chain over k = 0 .. <paramref name="depth"/> − 1 of A(i,k) B(k,j), starting from
    /// +0 or, when <paramref name="accumulate"/>, from C(i,j); for i &lt; rowCount, j &lt; columnCount. Allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(
        ReadOnlySpan<double> a, int rowStride, int depthStride,
        ReadOnlySpan<double> b, int bStride,
        Span<double> c, int cStride,
        int rowCount, int columnCount, int depth, bool accumulate)
    {
        if (rowCount < 0 || columnCount < 0 || depth < 0 || rowStride < 0 || depthStride < 0 || bStride < 0)
            throw new ArgumentException("Multiply: negative size or stride");
        if (rowCount == 0 || columnCount == 0) return;
        if (columnCount > cStride || (long)(rowCount - 1) * cStride + columnCount > c.Length)
            throw new ArgumentException("Multiply: C lies outside its span", nameof(c));
        if (depth == 0)
        {
            if (!accumulate)
                for (var i = 0; i < rowCount; i++) c.Slice(i * cStride, columnCount).Clear();
            return;
        }
        if ((long)(rowCount - 1) * rowStride + (long)(depth - 1) * depthStride >= a.Length)
            throw new ArgumentException("Multiply: A lies outside its span", nameof(a));
        if ((long)(depth - 1) * bStride + columnCount > b.Length)
            throw new ArgumentException("Multiply: B lies outside its span", nameof(b));

        ref var aRef = ref MemoryMarshal.GetReference(a);
        ref var bRef = ref MemoryMarshal.GetReference(b);
        ref var cRef = ref MemoryMarshal.GetReference(c);
        for (var k0 = 0; k0 < depth; k0 += DepthBlock)
        {
            var length = Math.Min(DepthBlock, depth - k0);
            var load = accumulate || k0 > 0;
            ref var ak = ref Unsafe.Add(ref aRef, (nint)k0 * depthStride);
            ref var bk = ref Unsafe.Add(ref bRef, (nint)k0 * bStride);
            var j = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                for (; j <= columnCount - 32; j += 32)
                    Columns512<Four>(ref ak, rowStride, depthStride, ref Unsafe.Add(ref bk, j), bStride,
                        ref Unsafe.Add(ref cRef, j), cStride, rowCount, length, load);
                if (j <= columnCount - 16)
                {
                    Columns512<Two>(ref ak, rowStride, depthStride, ref Unsafe.Add(ref bk, j), bStride,
                        ref Unsafe.Add(ref cRef, j), cStride, rowCount, length, load);
                    j += 16;
                }
                if (j <= columnCount - 8)
                {
                    Columns512<One>(ref ak, rowStride, depthStride, ref Unsafe.Add(ref bk, j), bStride,
                        ref Unsafe.Add(ref cRef, j), cStride, rowCount, length, load);
                    j += 8;
                }
            }
            else if (Vector.IsHardwareAccelerated)
            {
                var width = Vector<double>.Count;
                for (; j <= columnCount - 2 * width; j += 2 * width)
                    ColumnsVector(ref ak, rowStride, depthStride, ref Unsafe.Add(ref bk, j), bStride,
                        ref Unsafe.Add(ref cRef, j), cStride, rowCount, length, load, two: true);
                if (j <= columnCount - width)
                {
                    ColumnsVector(ref ak, rowStride, depthStride, ref Unsafe.Add(ref bk, j), bStride,
                        ref Unsafe.Add(ref cRef, j), cStride, rowCount, length, load, two: false);
                    j += width;
                }
            }
            if (j < columnCount)
                ColumnsScalar(ref ak, rowStride, depthStride, ref Unsafe.Add(ref bk, j), bStride,
                    ref Unsafe.Add(ref cRef, j), cStride, rowCount, columnCount - j, length, load);
        }
    }

    /// <summary>k per block of a Gram product, whose A and B are both panels: 2 × 64 × 32 doubles = 32 KB in L1.</summary>
    private const int GramDepthBlock = 64;

    /// <summary>Columns per panel of a panel-major matrix (the widest register tile).</summary>
    public const int PanelWidth = 32;

    /// <summary>
    /// Columns of panel <paramref name="panel"/> of a panel-major matrix with <paramref name="stride"/> columns.
    /// Panel-major: columns in panels of <see cref="PanelWidth"/>, each panel row-major, panel t (columns 32t ..
    /// 32t + w_t − 1, w_t = min(32, stride − 32t)) starting at rows · 32t; with stride ≤ 32 it is plain row-major.
    /// Every panel is a packed B operand of <see cref="Multiply"/>: its rows are contiguous, so a block of 128 rows
    /// (32 KB) stays in L1 without cache-set conflicts.
    /// </summary>
    public static int PanelColumns(int stride, int panel) => Math.Min(PanelWidth, stride - PanelWidth * panel);

    /// <summary>Index of entry (row, column) of a panel-major matrix with <paramref name="rows"/> rows.</summary>
    public static int PanelIndex(int rows, int stride, int row, int column)
    {
        var panel = column / PanelWidth;
        return rows * PanelWidth * panel + row * PanelColumns(stride, panel) + column - PanelWidth * panel;
    }

    /// <summary>
    /// G_ab = the fused multiply-add chain over i &lt; <paramref name="rows"/> of H_ia H_ib (from +0), for a, b &lt; m:
    /// HᵀH of H (rows × stride, panel-major, see <see cref="PanelColumns"/>), written as a full symmetric m × m matrix
    /// (row-major, stride m). G_ab and G_ba are the same chain (the products commute exactly), so only the panel
    /// pairs on and above the diagonal are computed and mirrored. <paramref name="scratch"/> needs stride² doubles;
    /// columns m .. stride − 1 of H are read (padding) but not reported.
    /// </summary>
    public static void Gram(ReadOnlySpan<double> matrix, int rows, int stride, int m, Span<double> gram, Span<double> scratch)
    {
        if (m == 0) return;
        if (stride < m) throw new ArgumentException("Gram: stride < m", nameof(stride));
        if (matrix.Length < (long)rows * stride) throw new ArgumentException("Gram: matrix too short", nameof(matrix));
        if (scratch.Length < stride * stride) throw new ArgumentException("Gram: scratch too short", nameof(scratch));
        if (gram.Length < m * m) throw new ArgumentException("Gram: gram too short", nameof(gram));
        var panels = (stride + PanelWidth - 1) / PanelWidth;
        for (var first = 0; first < panels; first++)
        {
            var firstColumns = PanelColumns(stride, first);
            var rowPanel = matrix.Slice(rows * PanelWidth * first, rows * firstColumns);
            for (var second = first; second < panels; second++)
            {
                var secondColumns = PanelColumns(stride, second);
                var columnPanel = matrix.Slice(rows * PanelWidth * second, rows * secondColumns);
                var product = scratch[(PanelWidth * first * stride + PanelWidth * second)..];
                if (rows == 0)
                    Multiply(rowPanel, 1, firstColumns, columnPanel, secondColumns, product, stride,
                        firstColumns, secondColumns, 0, accumulate: false);
                // k in blocks of GramDepthBlock: both 64 × 32 panels (16 KB each) stay in L1 together.
                for (var k0 = 0; k0 < rows; k0 += GramDepthBlock)
                {
                    var depth = Math.Min(GramDepthBlock, rows - k0);
                    Multiply(rowPanel[(k0 * firstColumns)..], 1, firstColumns,
                        columnPanel[(k0 * secondColumns)..], secondColumns, product, stride,
                        firstColumns, secondColumns, depth, accumulate: k0 > 0);
                }
            }
        }
        for (var a = 0; a < m; a++)
        {
            gram[a * m + a] = scratch[a * stride + a];
            for (var b = a + 1; b < m; b++)
            {
                var value = scratch[a * stride + b];
                gram[a * m + b] = value;
                gram[b * m + a] = value;
            }
        }
    }

    /// <summary>
    /// z[j] ← scale · z[j], then h[j] = z[j] &gt; 0 ? z[j] : +0, for j &lt; z.Length: the forward pass's scaling and relu
    /// in one pass, bitwise the scalar product followed by <see cref="DenseKernels.Gate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAndRelu(Span<double> z, double scale, Span<double> h)
    {
        var length = z.Length;
        if (h.Length < length) throw new ArgumentException("ScaleAndRelu: h too short", nameof(h));
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var hRef = ref MemoryMarshal.GetReference(h);
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(scale);
            for (; j <= length - 8; j += 8)
            {
                var value = Vector512.LoadUnsafe(ref zRef, (nuint)j) * s;
                value.StoreUnsafe(ref zRef, (nuint)j);
                (value & Vector512.GreaterThan(value, Vector512<double>.Zero)).StoreUnsafe(ref hRef, (nuint)j);
            }
        }
        for (; j < length; j++)
        {
            var value = scale * Unsafe.Add(ref zRef, j);
            Unsafe.Add(ref zRef, j) = value;
            Unsafe.Add(ref hRef, j) = BitConverter.Int64BitsToDouble(
                BitConverter.DoubleToInt64Bits(value) & -(long)DenseKernels.ActiveBit(value));
        }
    }

    /// <summary>
    /// δ[j] ← gate[j] &gt; 0 ? scale · δ[j] : +0 for j &lt; δ.Length: the backward pass's scaling and ξ mask in one
    /// pass, bitwise the scalar product followed by <see cref="DenseKernels.Gate"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAndGate(Span<double> delta, double scale, ReadOnlySpan<double> gate)
    {
        var length = delta.Length;
        if (gate.Length < length) throw new ArgumentException("ScaleAndGate: gate too short", nameof(gate));
        ref var dRef = ref MemoryMarshal.GetReference(delta);
        ref var gRef = ref MemoryMarshal.GetReference(gate);
        var j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512.Create(scale);
            for (; j <= length - 8; j += 8)
            {
                var active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref gRef, (nuint)j), Vector512<double>.Zero);
                ((Vector512.LoadUnsafe(ref dRef, (nuint)j) * s) & active).StoreUnsafe(ref dRef, (nuint)j);
            }
        }
        for (; j < length; j++)
            Unsafe.Add(ref dRef, j) = BitConverter.Int64BitsToDouble(
                BitConverter.DoubleToInt64Bits(scale * Unsafe.Add(ref dRef, j)) & -(long)DenseKernels.ActiveBit(Unsafe.Add(ref gRef, j)));
    }

    private interface IVectorCount
    {
        static abstract int Count { get; }
    }

    private readonly struct One : IVectorCount
    {
        public static int Count => 1;
    }

    private readonly struct Two : IVectorCount
    {
        public static int Count => 2;
    }

    private readonly struct Four : IVectorCount
    {
        public static int Count => 4;
    }

    /// <summary>All rows against 8·TCount columns of B for one k block: 6-row tiles, then 1-row tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns512<TCount>(
        ref double a, int rowStride, int depthStride, ref double b, int bStride, ref double c, int cStride,
        int rowCount, int depth, bool load) where TCount : struct, IVectorCount
    {
        // 6-row tiles, then 4-row tiles for the remainder (2 or 3 left over take one 6-row tile back: 8 or 9 = 4 + 4
        // (+ 1)), then single rows: 32 rows are 4 × 6 + 2 × 4, 512 are 84 × 6 + 2 × 4.
        var sixes = rowCount / TileRows;
        var rest = rowCount - sixes * TileRows;
        if (sixes > 0 && rest is 2 or 3) sixes--;
        var i = 0;
        for (; i < sixes * TileRows; i += TileRows)
            Tile6<TCount>(ref Unsafe.Add(ref a, (nint)i * rowStride), rowStride, depthStride, ref b, bStride,
                ref Unsafe.Add(ref c, (nint)i * cStride), cStride, depth, load);
        for (; i <= rowCount - 4; i += 4)
            Tile4<TCount>(ref Unsafe.Add(ref a, (nint)i * rowStride), rowStride, depthStride, ref b, bStride,
                ref Unsafe.Add(ref c, (nint)i * cStride), cStride, depth, load);
        for (; i < rowCount; i++)
            Tile1<TCount>(ref Unsafe.Add(ref a, (nint)i * rowStride), depthStride, ref b, bStride,
                ref Unsafe.Add(ref c, (nint)i * cStride), depth, load);
    }

    /// <summary>6 rows × 8·TCount columns in 6·TCount zmm accumulators, one FMA chain per entry.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile6<TCount>(
        ref double a, int rowStride, int depthStride, ref double b, int bStride, ref double c, int cStride,
        int depth, bool load) where TCount : struct, IVectorCount
    {
        var count = TCount.Count;
        ref var c1 = ref Unsafe.Add(ref c, cStride);
        ref var c2 = ref Unsafe.Add(ref c, 2 * cStride);
        ref var c3 = ref Unsafe.Add(ref c, 3 * cStride);
        ref var c4 = ref Unsafe.Add(ref c, 4 * cStride);
        ref var c5 = ref Unsafe.Add(ref c, 5 * cStride);
        Vector512<double> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<double> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<double> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<double> s30 = default, s31 = default, s32 = default, s33 = default;
        Vector512<double> s40 = default, s41 = default, s42 = default, s43 = default;
        Vector512<double> s50 = default, s51 = default, s52 = default, s53 = default;
        if (load)
        {
            s00 = Vector512.LoadUnsafe(ref c);
            s10 = Vector512.LoadUnsafe(ref c1);
            s20 = Vector512.LoadUnsafe(ref c2);
            s30 = Vector512.LoadUnsafe(ref c3);
            s40 = Vector512.LoadUnsafe(ref c4);
            s50 = Vector512.LoadUnsafe(ref c5);
            if (count >= 2)
            {
                s01 = Vector512.LoadUnsafe(ref c, 8);
                s11 = Vector512.LoadUnsafe(ref c1, 8);
                s21 = Vector512.LoadUnsafe(ref c2, 8);
                s31 = Vector512.LoadUnsafe(ref c3, 8);
                s41 = Vector512.LoadUnsafe(ref c4, 8);
                s51 = Vector512.LoadUnsafe(ref c5, 8);
            }
            if (count >= 4)
            {
                s02 = Vector512.LoadUnsafe(ref c, 16);
                s12 = Vector512.LoadUnsafe(ref c1, 16);
                s22 = Vector512.LoadUnsafe(ref c2, 16);
                s32 = Vector512.LoadUnsafe(ref c3, 16);
                s42 = Vector512.LoadUnsafe(ref c4, 16);
                s52 = Vector512.LoadUnsafe(ref c5, 16);
                s03 = Vector512.LoadUnsafe(ref c, 24);
                s13 = Vector512.LoadUnsafe(ref c1, 24);
                s23 = Vector512.LoadUnsafe(ref c2, 24);
                s33 = Vector512.LoadUnsafe(ref c3, 24);
                s43 = Vector512.LoadUnsafe(ref c4, 24);
                s53 = Vector512.LoadUnsafe(ref c5, 24);
            }
        }
        ref var a1 = ref Unsafe.Add(ref a, rowStride);
        ref var a2 = ref Unsafe.Add(ref a, 2 * rowStride);
        ref var a3 = ref Unsafe.Add(ref a, 3 * rowStride);
        ref var a4 = ref Unsafe.Add(ref a, 4 * rowStride);
        ref var a5 = ref Unsafe.Add(ref a, 5 * rowStride);
        nint ka = 0, kb = 0;
        for (var k = 0; k < depth; k++)
        {
            var b0 = Vector512.LoadUnsafe(ref b, (nuint)kb);
            var b1 = count >= 2 ? Vector512.LoadUnsafe(ref b, (nuint)(kb + 8)) : default;
            var b2 = count >= 4 ? Vector512.LoadUnsafe(ref b, (nuint)(kb + 16)) : default;
            var b3 = count >= 4 ? Vector512.LoadUnsafe(ref b, (nuint)(kb + 24)) : default;
            var x = Vector512.Create(Unsafe.Add(ref a, ka));
            s00 = Vector512.FusedMultiplyAdd(x, b0, s00);
            if (count >= 2) s01 = Vector512.FusedMultiplyAdd(x, b1, s01);
            if (count >= 4)
            {
                s02 = Vector512.FusedMultiplyAdd(x, b2, s02);
                s03 = Vector512.FusedMultiplyAdd(x, b3, s03);
            }
            x = Vector512.Create(Unsafe.Add(ref a1, ka));
            s10 = Vector512.FusedMultiplyAdd(x, b0, s10);
            if (count >= 2) s11 = Vector512.FusedMultiplyAdd(x, b1, s11);
            if (count >= 4)
            {
                s12 = Vector512.FusedMultiplyAdd(x, b2, s12);
                s13 = Vector512.FusedMultiplyAdd(x, b3, s13);
            }
            x = Vector512.Create(Unsafe.Add(ref a2, ka));
            s20 = Vector512.FusedMultiplyAdd(x, b0, s20);
            if (count >= 2) s21 = Vector512.FusedMultiplyAdd(x, b1, s21);
            if (count >= 4)
            {
                s22 = Vector512.FusedMultiplyAdd(x, b2, s22);
                s23 = Vector512.FusedMultiplyAdd(x, b3, s23);
            }
            x = Vector512.Create(Unsafe.Add(ref a3, ka));
            s30 = Vector512.FusedMultiplyAdd(x, b0, s30);
            if (count >= 2) s31 = Vector512.FusedMultiplyAdd(x, b1, s31);
            if (count >= 4)
            {
                s32 = Vector512.FusedMultiplyAdd(x, b2, s32);
                s33 = Vector512.FusedMultiplyAdd(x, b3, s33);
            }
            x = Vector512.Create(Unsafe.Add(ref a4, ka));
            s40 = Vector512.FusedMultiplyAdd(x, b0, s40);
            if (count >= 2) s41 = Vector512.FusedMultiplyAdd(x, b1, s41);
            if (count >= 4)
            {
                s42 = Vector512.FusedMultiplyAdd(x, b2, s42);
                s43 = Vector512.FusedMultiplyAdd(x, b3, s43);
            }
            x = Vector512.Create(Unsafe.Add(ref a5, ka));
            s50 = Vector512.FusedMultiplyAdd(x, b0, s50);
            if (count >= 2) s51 = Vector512.FusedMultiplyAdd(x, b1, s51);
            if (count >= 4)
            {
                s52 = Vector512.FusedMultiplyAdd(x, b2, s52);
                s53 = Vector512.FusedMultiplyAdd(x, b3, s53);
            }
            ka += depthStride;
            kb += bStride;
        }
        s00.StoreUnsafe(ref c);
        s10.StoreUnsafe(ref c1);
        s20.StoreUnsafe(ref c2);
        s30.StoreUnsafe(ref c3);
        s40.StoreUnsafe(ref c4);
        s50.StoreUnsafe(ref c5);
        if (count >= 2)
        {
            s01.StoreUnsafe(ref c, 8);
            s11.StoreUnsafe(ref c1, 8);
            s21.StoreUnsafe(ref c2, 8);
            s31.StoreUnsafe(ref c3, 8);
            s41.StoreUnsafe(ref c4, 8);
            s51.StoreUnsafe(ref c5, 8);
        }
        if (count >= 4)
        {
            s02.StoreUnsafe(ref c, 16);
            s12.StoreUnsafe(ref c1, 16);
            s22.StoreUnsafe(ref c2, 16);
            s32.StoreUnsafe(ref c3, 16);
            s42.StoreUnsafe(ref c4, 16);
            s52.StoreUnsafe(ref c5, 16);
            s03.StoreUnsafe(ref c, 24);
            s13.StoreUnsafe(ref c1, 24);
            s23.StoreUnsafe(ref c2, 24);
            s33.StoreUnsafe(ref c3, 24);
            s43.StoreUnsafe(ref c4, 24);
            s53.StoreUnsafe(ref c5, 24);
        }
    }

    /// <summary>4 rows × 8·TCount columns in 4·TCount zmm accumulators (a row remainder of <see cref="Tile6{TCount}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile4<TCount>(
        ref double a, int rowStride, int depthStride, ref double b, int bStride, ref double c, int cStride,
        int depth, bool load) where TCount : struct, IVectorCount
    {
        var count = TCount.Count;
        ref var c1 = ref Unsafe.Add(ref c, cStride);
        ref var c2 = ref Unsafe.Add(ref c, 2 * cStride);
        ref var c3 = ref Unsafe.Add(ref c, 3 * cStride);
        Vector512<double> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<double> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<double> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<double> s30 = default, s31 = default, s32 = default, s33 = default;
        if (load)
        {
            s00 = Vector512.LoadUnsafe(ref c);
            s10 = Vector512.LoadUnsafe(ref c1);
            s20 = Vector512.LoadUnsafe(ref c2);
            s30 = Vector512.LoadUnsafe(ref c3);
            if (count >= 2)
            {
                s01 = Vector512.LoadUnsafe(ref c, 8);
                s11 = Vector512.LoadUnsafe(ref c1, 8);
                s21 = Vector512.LoadUnsafe(ref c2, 8);
                s31 = Vector512.LoadUnsafe(ref c3, 8);
            }
            if (count >= 4)
            {
                s02 = Vector512.LoadUnsafe(ref c, 16);
                s12 = Vector512.LoadUnsafe(ref c1, 16);
                s22 = Vector512.LoadUnsafe(ref c2, 16);
                s32 = Vector512.LoadUnsafe(ref c3, 16);
                s03 = Vector512.LoadUnsafe(ref c, 24);
                s13 = Vector512.LoadUnsafe(ref c1, 24);
                s23 = Vector512.LoadUnsafe(ref c2, 24);
                s33 = Vector512.LoadUnsafe(ref c3, 24);
            }
        }
        ref var a1 = ref Unsafe.Add(ref a, rowStride);
        ref var a2 = ref Unsafe.Add(ref a, 2 * rowStride);
        ref var a3 = ref Unsafe.Add(ref a, 3 * rowStride);
        nint ka = 0, kb = 0;
        for (var k = 0; k < depth; k++)
        {
            var b0 = Vector512.LoadUnsafe(ref b, (nuint)kb);
            var b1 = count >= 2 ? Vector512.LoadUnsafe(ref b, (nuint)(kb + 8)) : default;
            var b2 = count >= 4 ? Vector512.LoadUnsafe(ref b, (nuint)(kb + 16)) : default;
            var b3 = count >= 4 ? Vector512.LoadUnsafe(ref b, (nuint)(kb + 24)) : default;
            var x = Vector512.Create(Unsafe.Add(ref a, ka));
            s00 = Vector512.FusedMultiplyAdd(x, b0, s00);
            if (count >= 2) s01 = Vector512.FusedMultiplyAdd(x, b1, s01);
            if (count >= 4)
            {
                s02 = Vector512.FusedMultiplyAdd(x, b2, s02);
                s03 = Vector512.FusedMultiplyAdd(x, b3, s03);
            }
            x = Vector512.Create(Unsafe.Add(ref a1, ka));
            s10 = Vector512.FusedMultiplyAdd(x, b0, s10);
            if (count >= 2) s11 = Vector512.FusedMultiplyAdd(x, b1, s11);
            if (count >= 4)
            {
                s12 = Vector512.FusedMultiplyAdd(x, b2, s12);
                s13 = Vector512.FusedMultiplyAdd(x, b3, s13);
            }
            x = Vector512.Create(Unsafe.Add(ref a2, ka));
            s20 = Vector512.FusedMultiplyAdd(x, b0, s20);
            if (count >= 2) s21 = Vector512.FusedMultiplyAdd(x, b1, s21);
            if (count >= 4)
            {
                s22 = Vector512.FusedMultiplyAdd(x, b2, s22);
                s23 = Vector512.FusedMultiplyAdd(x, b3, s23);
            }
            x = Vector512.Create(Unsafe.Add(ref a3, ka));
            s30 = Vector512.FusedMultiplyAdd(x, b0, s30);
            if (count >= 2) s31 = Vector512.FusedMultiplyAdd(x, b1, s31);
            if (count >= 4)
            {
                s32 = Vector512.FusedMultiplyAdd(x, b2, s32);
                s33 = Vector512.FusedMultiplyAdd(x, b3, s33);
            }
            ka += depthStride;
            kb += bStride;
        }
        s00.StoreUnsafe(ref c);
        s10.StoreUnsafe(ref c1);
        s20.StoreUnsafe(ref c2);
        s30.StoreUnsafe(ref c3);
        if (count >= 2)
        {
            s01.StoreUnsafe(ref c, 8);
            s11.StoreUnsafe(ref c1, 8);
            s21.StoreUnsafe(ref c2, 8);
            s31.StoreUnsafe(ref c3, 8);
        }
        if (count >= 4)
        {
            s02.StoreUnsafe(ref c, 16);
            s12.StoreUnsafe(ref c1, 16);
            s22.StoreUnsafe(ref c2, 16);
            s32.StoreUnsafe(ref c3, 16);
            s03.StoreUnsafe(ref c, 24);
            s13.StoreUnsafe(ref c1, 24);
            s23.StoreUnsafe(ref c2, 24);
            s33.StoreUnsafe(ref c3, 24);
        }
    }

    /// <summary>1 row × 8·TCount columns (the row remainder of <see cref="Tile6{TCount}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile1<TCount>(
        ref double a, int depthStride, ref double b, int bStride, ref double c, int depth, bool load)
        where TCount : struct, IVectorCount
    {
        var count = TCount.Count;
        Vector512<double> s0 = default, s1 = default, s2 = default, s3 = default;
        if (load)
        {
            s0 = Vector512.LoadUnsafe(ref c);
            if (count >= 2) s1 = Vector512.LoadUnsafe(ref c, 8);
            if (count >= 4)
            {
                s2 = Vector512.LoadUnsafe(ref c, 16);
                s3 = Vector512.LoadUnsafe(ref c, 24);
            }
        }
        nint ka = 0, kb = 0;
        for (var k = 0; k < depth; k++)
        {
            var x = Vector512.Create(Unsafe.Add(ref a, ka));
            s0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref b, (nuint)kb), s0);
            if (count >= 2) s1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref b, (nuint)(kb + 8)), s1);
            if (count >= 4)
            {
                s2 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref b, (nuint)(kb + 16)), s2);
                s3 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref b, (nuint)(kb + 24)), s3);
            }
            ka += depthStride;
            kb += bStride;
        }
        s0.StoreUnsafe(ref c);
        if (count >= 2) s1.StoreUnsafe(ref c, 8);
        if (count >= 4)
        {
            s2.StoreUnsafe(ref c, 16);
            s3.StoreUnsafe(ref c, 24);
        }
    }

    /// <summary>
    /// Without AVX-512: tiles of 4 rows × 1 or 2 <see cref="Vector{T}"/> of columns (AVX2: 4 lanes, Arm64 NEON: 2),
    /// then single rows. The same chains as the AVX-512 tiles.
    /// </summary>
    private static void ColumnsVector(
        ref double a, int rowStride, int depthStride, ref double b, int bStride, ref double c, int cStride,
        int rowCount, int depth, bool load, bool two)
    {
        var width = Vector<double>.Count;
        var i = 0;
        for (; i <= rowCount - 4; i += 4)
        {
            ref var a0 = ref Unsafe.Add(ref a, (nint)i * rowStride);
            ref var a1 = ref Unsafe.Add(ref a0, rowStride);
            ref var a2 = ref Unsafe.Add(ref a0, 2 * rowStride);
            ref var a3 = ref Unsafe.Add(ref a0, 3 * rowStride);
            ref var c0 = ref Unsafe.Add(ref c, (nint)i * cStride);
            ref var c1 = ref Unsafe.Add(ref c0, cStride);
            ref var c2 = ref Unsafe.Add(ref c0, 2 * cStride);
            ref var c3 = ref Unsafe.Add(ref c0, 3 * cStride);
            Vector<double> s00 = default, s01 = default, s10 = default, s11 = default;
            Vector<double> s20 = default, s21 = default, s30 = default, s31 = default;
            if (load)
            {
                s00 = Vector.LoadUnsafe(ref c0);
                s10 = Vector.LoadUnsafe(ref c1);
                s20 = Vector.LoadUnsafe(ref c2);
                s30 = Vector.LoadUnsafe(ref c3);
                if (two)
                {
                    s01 = Vector.LoadUnsafe(ref c0, (nuint)width);
                    s11 = Vector.LoadUnsafe(ref c1, (nuint)width);
                    s21 = Vector.LoadUnsafe(ref c2, (nuint)width);
                    s31 = Vector.LoadUnsafe(ref c3, (nuint)width);
                }
            }
            nint ka = 0, kb = 0;
            for (var k = 0; k < depth; k++)
            {
                var b0 = Vector.LoadUnsafe(ref b, (nuint)kb);
                var b1 = two ? Vector.LoadUnsafe(ref b, (nuint)(kb + width)) : default;
                var x0 = new Vector<double>(Unsafe.Add(ref a0, ka));
                var x1 = new Vector<double>(Unsafe.Add(ref a1, ka));
                var x2 = new Vector<double>(Unsafe.Add(ref a2, ka));
                var x3 = new Vector<double>(Unsafe.Add(ref a3, ka));
                s00 = Vector.FusedMultiplyAdd(x0, b0, s00);
                s10 = Vector.FusedMultiplyAdd(x1, b0, s10);
                s20 = Vector.FusedMultiplyAdd(x2, b0, s20);
                s30 = Vector.FusedMultiplyAdd(x3, b0, s30);
                if (two)
                {
                    s01 = Vector.FusedMultiplyAdd(x0, b1, s01);
                    s11 = Vector.FusedMultiplyAdd(x1, b1, s11);
                    s21 = Vector.FusedMultiplyAdd(x2, b1, s21);
                    s31 = Vector.FusedMultiplyAdd(x3, b1, s31);
                }
                ka += depthStride;
                kb += bStride;
            }
            s00.StoreUnsafe(ref c0);
            s10.StoreUnsafe(ref c1);
            s20.StoreUnsafe(ref c2);
            s30.StoreUnsafe(ref c3);
            if (two)
            {
                s01.StoreUnsafe(ref c0, (nuint)width);
                s11.StoreUnsafe(ref c1, (nuint)width);
                s21.StoreUnsafe(ref c2, (nuint)width);
                s31.StoreUnsafe(ref c3, (nuint)width);
            }
        }
        for (; i < rowCount; i++)
        {
            ref var ai = ref Unsafe.Add(ref a, (nint)i * rowStride);
            ref var ci = ref Unsafe.Add(ref c, (nint)i * cStride);
            var s0 = load ? Vector.LoadUnsafe(ref ci) : default;
            var s1 = load && two ? Vector.LoadUnsafe(ref ci, (nuint)width) : default;
            nint ka = 0, kb = 0;
            for (var k = 0; k < depth; k++)
            {
                var x = new Vector<double>(Unsafe.Add(ref ai, ka));
                s0 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref b, (nuint)kb), s0);
                if (two) s1 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref b, (nuint)(kb + width)), s1);
                ka += depthStride;
                kb += bStride;
            }
            s0.StoreUnsafe(ref ci);
            if (two) s1.StoreUnsafe(ref ci, (nuint)width);
        }
    }

    /// <summary>The plain chains, for column remainders and machines without vector units.</summary>
    private static void ColumnsScalar(
        ref double a, int rowStride, int depthStride, ref double b, int bStride, ref double c, int cStride,
        int rowCount, int columnCount, int depth, bool load)
    {
        for (var i = 0; i < rowCount; i++)
        {
            ref var ai = ref Unsafe.Add(ref a, (nint)i * rowStride);
            ref var ci = ref Unsafe.Add(ref c, (nint)i * cStride);
            for (var j = 0; j < columnCount; j++)
            {
                var sum = load ? Unsafe.Add(ref ci, j) : 0.0;
                nint ka = 0, kb = j;
                for (var k = 0; k < depth; k++)
                {
                    sum = Math.FusedMultiplyAdd(Unsafe.Add(ref ai, ka), Unsafe.Add(ref b, kb), sum);
                    ka += depthStride;
                    kb += bStride;
                }
                Unsafe.Add(ref ci, j) = sum;
            }
        }
    }
}
