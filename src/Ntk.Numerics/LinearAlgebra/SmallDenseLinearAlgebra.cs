using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Rank-revealing factorizations of tall-thin (n × m, m small) and small symmetric (m × m) matrices, for the
/// conditional Gaussian sampler (docs/science.md §3). Everything works in place on caller buffers and allocates nothing.
/// </summary>
/// <remarks>
/// Invariant callers rely on: an exactly-zero column (or row/column of a Gram matrix) stays exactly zero in every
/// output, because every update of it multiplies by that zero. Rank decisions are deterministic functions of the input.
/// </remarks>
internal static class SmallDenseLinearAlgebra
{
    /// <summary>
    /// Householder QR with column pivoting of A (rows × cols, column-major: a[j·rows + i] = A_ij), truncated at the
    /// numerical rank r: A P = Q R + E with Q = H_0 H_1 ⋯ H_{r−1} orthogonal (rows × rows), R (r × cols) upper
    /// trapezoidal and every column of E of norm ≤ <paramref name="relativeTolerance"/> · max_j ‖A_j‖
    /// (Golub &amp; Van Loan §5.4.1; LAPACK dgeqp3/dlarfg conventions). Returns r.
    /// </summary>
    /// <remarks>
    /// On return, for pivoted position p: <paramref name="pivots"/>[p] is the original column index, R_kp (k ≤ min(p, r−1))
    /// is at a[p·rows + k], and for p &lt; r the reflector H_p = I − τ_p v_p v_pᵀ has v_p = (0,…,0, 1, a[p·rows + p + 1 …])
    /// with τ_p = <paramref name="tau"/>[p]. Entries below row r of columns p ≥ r hold the discarded residual.
    /// Trailing column norms are recomputed at each step (no downdating), so the pivot choice is exact up to rounding.
    /// A zero matrix (or cols = 0) has rank 0. <paramref name="columnNorms"/> is scratch of length ≥ cols.
    /// </remarks>
    public static int PivotedQr(
        Span<double> a, int rows, int cols, double relativeTolerance,
        Span<double> tau, Span<int> pivots, Span<double> columnNorms)
    {
        if (a.Length < rows * cols) throw new ArgumentException("a: need rows × cols values", nameof(a));
        for (var j = 0; j < cols; j++) pivots[j] = j;
        if (cols == 0) return 0;

        // Bitwise PivotedQrByPasses (the same norms, pivots, reflectors and updates), in fewer passes over A: every
        // sum of squares a step needs, ‖A_j below row k‖² for the pivot choice and ‖A_j below row k + 1‖² for the
        // reflector of whichever column becomes the pivot, is taken in the pass of the previous step's update of A_j
        // (UpdateAndSumsOfSquares), or for step 0 in one pass before it; each is Dot's chain over its own rows.
        Span<double> normSums = cols <= 128 ? stackalloc double[cols] : new double[cols];
        Span<double> belowSums = cols <= 128 ? stackalloc double[cols] : new double[cols];
        Span<int> lengths = stackalloc int[4];
        Span<int> offsets = stackalloc int[4];
        Span<double> sums = stackalloc double[4];
        lengths[0] = lengths[1] = rows;
        lengths[2] = lengths[3] = Math.Max(rows - 1, 0);
        for (var j = 0; j < cols; j += 2)
        {
            var next = Math.Min(j + 1, cols - 1); // an odd last column is paired with itself
            offsets[0] = j * rows;
            offsets[1] = next * rows;
            offsets[2] = j * rows + 1;
            offsets[3] = next * rows + 1;
            DotFour(a, a, lengths, offsets, offsets, sums);
            (normSums[j], belowSums[j], normSums[next], belowSums[next]) = (sums[0], sums[2], sums[1], sums[3]);
        }
        var largest = 0.0;
        for (var j = 0; j < cols; j++)
        {
            var norm = NormFromSumOfSquares(a.Slice(j * rows, rows), normSums[j]);
            columnNorms[j] = norm;
            if (norm > largest) largest = norm;
        }
        if (!(largest > 0)) return 0;
        var threshold = relativeTolerance * largest;

        var steps = Math.Min(rows, cols);
        Span<double> w = stackalloc double[4];
        for (var k = 0; k < steps; k++)
        {
            // Pivot: the column with the largest residual norm below row k (first one on ties).
            var best = k;
            var bestNorm = -1.0;
            for (var j = k; j < cols; j++)
            {
                var norm = k == 0 ? columnNorms[j] : NormFromSumOfSquares(a.Slice(j * rows + k, rows - k), normSums[j]);
                columnNorms[j] = norm;
                if (norm > bestNorm)
                {
                    bestNorm = norm;
                    best = j;
                }
            }
            if (!(bestNorm > threshold)) return k;
            var bestBelowSum = belowSums[best];

            if (best != k)
            {
                SwapColumns(a, rows, k, best);
                (pivots[k], pivots[best]) = (pivots[best], pivots[k]);
                (columnNorms[k], columnNorms[best]) = (columnNorms[best], columnNorms[k]);
            }

            // Reflector mapping x = A[k.., k] to (β, 0, …, 0): dlarfg with ‖x‖ = columnNorms[k].
            var column = a.Slice(k * rows, rows);
            var alpha = column[k];
            var below = column.Slice(k + 1);
            var belowNorm = NormFromSumOfSquares(below, bestBelowSum);
            var scale = 0.0; // the reflector's scaling of x below row k, applied in the first trailing product pass
            var scaled = false;
            if (belowNorm == 0)
            {
                tau[k] = 0; // H_k = I; R_kk = α.
            }
            else
            {
                var beta = -Math.CopySign(Hypot(alpha, belowNorm), alpha);
                tau[k] = (beta - alpha) / beta;
                scale = 1 / (alpha - beta);
                scaled = true;
                column[k] = beta;
            }
            var t = tau[k];
            if (scaled && (k + 1 >= steps || t == 0))
                System.Numerics.Tensors.TensorPrimitives.Multiply(below, scale, below); // elementwise: the scalar loop's products
            if (k + 1 >= steps) break; // no further step reads the trailing columns' sums; a zero τ leaves them as they are

            // Apply H_k to the trailing columns: w_j = A_kj + Σ_{i>k} v_i A_ij, each a scalar chain in increasing i (the
            // QR's summation order), up to four side by side; then A_j ← A_j − τ w_j v in the pass that also takes the
            // sums of squares of A_j below rows k + 1 and k + 2 for the next step.
            for (var first = k + 1; first < cols; first += 4)
            {
                var count = Math.Min(4, cols - first);
                if (t != 0) TrailingProducts(a, rows, k, first, count, w, first == k + 1 && scaled, scale);
                for (var j = 0; j < count; j++)
                {
                    var wj = t == 0 ? 0 : w[j];
                    if (wj != 0)
                    {
                        wj *= t;
                        a[(first + j) * rows + k] -= wj;
                    }
                    w[j] = wj;
                }
                UpdateAndSumsOfSquares(a, rows, first, count, below, k + 1, w, normSums, belowSums);
            }
        }
        return steps;
    }

    /// <summary>
    /// For the count ≤ 4 columns x = A_c, c = first + j: x_i ← x_i − w_j·v_{i−from} for from ≤ i &lt; rows (no
    /// operation at all where w_j = 0, as the step's loop skipped such a column), then normSums[c] =
    /// <see cref="Dot"/>(x[from..], x[from..]) and belowSums[c] = <see cref="Dot"/>(x[from+1..], x[from+1..]) of the
    /// updated x, in one pass for all of them: the second chain's blocks start one row later, so each of its values is
    /// the same update recomputed from the old x (identical bits) before the first chain's block overwrites it.
    /// </summary>
    private static void UpdateAndSumsOfSquares(
        Span<double> a, int rows, int first, int count, ReadOnlySpan<double> v, int from, ReadOnlySpan<double> w,
        Span<double> normSums, Span<double> belowSums)
    {
        if (count < 1 || count > 4 || (long)(first + count) * rows > a.Length || v.Length < rows - from || from > rows)
            throw new ArgumentException("UpdateAndSumsOfSquares: spans too short");
        ref var baseRef = ref MemoryMarshal.GetReference(a);
        ref var x0 = ref Unsafe.Add(ref baseRef, first * rows);
        ref var x1 = ref Unsafe.Add(ref baseRef, (first + Math.Min(1, count - 1)) * rows);
        ref var x2 = ref Unsafe.Add(ref baseRef, (first + Math.Min(2, count - 1)) * rows);
        ref var x3 = ref Unsafe.Add(ref baseRef, (first + Math.Min(3, count - 1)) * rows);
        ref var vRef = ref MemoryMarshal.GetReference(v); // v_0 pairs with x_from
        double w0 = w[0], w1 = count > 1 ? w[1] : 0, w2 = count > 2 ? w[2] : 0, w3 = count > 3 ? w[3] : 0;
        bool u0 = w0 != 0, u1 = w1 != 0, u2 = w2 != 0, u3 = w3 != 0;
        Vector256<double> c0 = Vector256.Create(w0), c1 = Vector256.Create(w1), c2 = Vector256.Create(w2), c3 = Vector256.Create(w3);
        Vector256<double> f0 = default, f1 = default, f2 = default, f3 = default, s0 = default, s1 = default, s2 = default, s3 = default;
        var i = from;
        for (; i + 4 < rows; i += 4)
        {
            var va = Vector256.LoadUnsafe(ref vRef, (nuint)(i - from));
            var vb = Vector256.LoadUnsafe(ref vRef, (nuint)(i - from + 1));
            UpdateBlock(ref x0, i, u0, c0, va, vb, ref f0, ref s0);
            if (count > 1) UpdateBlock(ref x1, i, u1, c1, va, vb, ref f1, ref s1);
            if (count > 2) UpdateBlock(ref x2, i, u2, c2, va, vb, ref f2, ref s2);
            if (count > 3) UpdateBlock(ref x3, i, u3, c3, va, vb, ref f3, ref s3);
        }
        var lastBlock = i + 3 < rows; // a last block of the first chains only
        for (var j = 0; j < count; j++)
        {
            ref var x = ref j == 0 ? ref x0 : ref j == 1 ? ref x1 : ref j == 2 ? ref x2 : ref x3;
            var wj = j == 0 ? w0 : j == 1 ? w1 : j == 2 ? w2 : w3;
            var f = j == 0 ? f0 : j == 1 ? f1 : j == 2 ? f2 : f3;
            var sb = j == 0 ? s0 : j == 1 ? s1 : j == 2 ? s2 : s3;
            var update = wj != 0;
            var k = i;
            if (lastBlock)
            {
                var value = Vector256.LoadUnsafe(ref x, (nuint)k);
                if (update)
                {
                    value -= Vector256.Create(wj) * Vector256.LoadUnsafe(ref vRef, (nuint)(k - from));
                    value.StoreUnsafe(ref x, (nuint)k);
                }
                f += value * value;
                k += 4;
            }
            var total = DenseKernels.LaneSum(f);
            for (; k < rows; k++)
            {
                ref var e = ref Unsafe.Add(ref x, k);
                if (update) e -= wj * Unsafe.Add(ref vRef, k - from);
                total += e * e;
            }
            normSums[first + j] = total;
            // The second chain: its 4-blocks are the ones run above (from + 1 + 4q while from + 4q + 4 < rows), then its tail.
            var blocks = Math.Max(rows - from - 1, 0) >> 2;
            var next = DenseKernels.LaneSum(sb);
            for (var r = from + 1 + 4 * blocks; r < rows; r++)
            {
                var e = Unsafe.Add(ref x, r);
                next += e * e;
            }
            belowSums[first + j] = next;
        }
    }

    /// <summary>One block of <see cref="UpdateAndSumsOfSquares"/> for one column: rows i .. i + 3 and i + 1 .. i + 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateBlock(
        ref double x, int i, bool update, Vector256<double> w, Vector256<double> va, Vector256<double> vb,
        ref Vector256<double> first, ref Vector256<double> second)
    {
        var a = Vector256.LoadUnsafe(ref x, (nuint)i);
        var b = Vector256.LoadUnsafe(ref x, (nuint)(i + 1));
        if (update)
        {
            a -= w * va;
            b -= w * vb;
            a.StoreUnsafe(ref x, (nuint)i);
        }
        first += a * a;
        second += b * b;
    }

    /// <summary>
    /// The pivoted QR of <see cref="PivotedQr"/> as it was computed before its sums of squares were fused into the
    /// updates: one pass per product, norm and update. Kept as the reference the fused version is tested against
    /// bitwise (SimdKernelTests).
    /// </summary>
    internal static int PivotedQrByPasses(
        Span<double> a, int rows, int cols, double relativeTolerance,
        Span<double> tau, Span<int> pivots, Span<double> columnNorms)
    {
        if (a.Length < rows * cols) throw new ArgumentException("a: need rows × cols values", nameof(a));
        for (var j = 0; j < cols; j++) pivots[j] = j;

        // Column norms, the sums of squares four columns at a time (each bitwise Norm's own Dot).
        var largest = 0.0;
        Span<int> offsets = stackalloc int[4];
        Span<double> sums = stackalloc double[4];
        // With at most two columns left, the sums of squares below the next row (for the reflector's ‖x_{k+1..}‖) run
        // in the same pass as the column norms: two more independent chains instead of one waiting chain later.
        Span<int> lengths = stackalloc int[4];
        Span<double> belowSums = stackalloc double[2];
        var haveBelowSums = false;
        if (cols == 2 && rows >= 1)
        {
            lengths[0] = lengths[1] = rows;
            lengths[2] = lengths[3] = rows - 1;
            offsets[0] = 0;
            offsets[1] = rows;
            offsets[2] = 1;
            offsets[3] = rows + 1;
            DotFour(a, a, lengths, offsets, offsets, sums);
            (belowSums[0], belowSums[1]) = (sums[2], sums[3]);
            haveBelowSums = true;
            for (var j = 0; j < cols; j++)
            {
                var norm = NormFromSumOfSquares(a.Slice(j * rows, rows), sums[j]);
                columnNorms[j] = norm;
                if (norm > largest) largest = norm;
            }
        }
        else
            for (var j = 0; j < cols; j++)
            {
                if ((j & 3) == 0) SumsOfSquares(a, rows, j, Math.Min(4, cols - j), 0, offsets, sums);
                var norm = NormFromSumOfSquares(a.Slice(j * rows, rows), sums[j & 3]);
                columnNorms[j] = norm;
                if (norm > largest) largest = norm;
            }
        if (!(largest > 0)) return 0;
        var threshold = relativeTolerance * largest;

        var steps = Math.Min(rows, cols);
        for (var k = 0; k < steps; k++)
        {
            // Pivot: the column with the largest residual norm below row k (first one on ties).
            var best = k;
            var bestNorm = -1.0;
            if (k > 0 && k == cols - 1)
            {
                // The last column: its norm below row k and below row k + 1 together.
                lengths[0] = lengths[2] = rows - k;
                lengths[1] = lengths[3] = rows - k - 1;
                offsets[0] = offsets[2] = k * rows + k;
                offsets[1] = offsets[3] = k * rows + k + 1;
                DotFour(a, a, lengths, offsets, offsets, sums);
                belowSums[0] = sums[1];
                haveBelowSums = true;
            }
            for (var j = k; j < cols; j++)
            {
                if (k > 0 && k < cols - 1 && ((j - k) & 3) == 0) SumsOfSquares(a, rows, j, Math.Min(4, cols - j), k, offsets, sums);
                var norm = k == 0 ? columnNorms[j] : NormFromSumOfSquares(a.Slice(j * rows + k, rows - k), sums[(j - k) & 3]);
                columnNorms[j] = norm;
                if (norm > bestNorm)
                {
                    bestNorm = norm;
                    best = j;
                }
            }
            if (!(bestNorm > threshold)) return k;

            if (best != k)
            {
                SwapColumns(a, rows, k, best);
                (pivots[k], pivots[best]) = (pivots[best], pivots[k]);
                (columnNorms[k], columnNorms[best]) = (columnNorms[best], columnNorms[k]);
            }

            // Reflector mapping x = A[k.., k] to (β, 0, …, 0): dlarfg with ‖x‖ = columnNorms[k].
            var column = a.Slice(k * rows, rows);
            var alpha = column[k];
            var below = column.Slice(k + 1);
            // belowSums[best − k] is Dot(below, below) of this very column (computed before the swap).
            var belowNorm = haveBelowSums ? NormFromSumOfSquares(below, belowSums[best - k]) : Norm(below);
            haveBelowSums = false;
            if (belowNorm == 0)
            {
                tau[k] = 0; // H_k = I; R_kk = α.
            }
            else
            {
                var beta = -Math.CopySign(Hypot(alpha, belowNorm), alpha);
                tau[k] = (beta - alpha) / beta;
                var scale = 1 / (alpha - beta);
                System.Numerics.Tensors.TensorPrimitives.Multiply(below, scale, below); // elementwise: the scalar loop's products
                column[k] = beta;
            }

            // Apply H_k to the trailing columns.
            var t = tau[k];
            if (t == 0) continue;
            // w_j = A_kj + Σ_{i>k} v_i A_ij, each a scalar chain in increasing i (the QR's summation order); up to four
            // trailing columns' chains run side by side (independent, so each waits less on its adder), then updates.
            for (var first = k + 1; first < cols; first += 4)
            {
                var count = Math.Min(4, cols - first);
                TrailingProducts(a, rows, k, first, count, sums);
                for (var j = 0; j < count; j++)
                {
                    var target = a.Slice((first + j) * rows, rows);
                    var w = sums[j];
                    if (w == 0) continue;
                    w *= t;
                    target[k] -= w;
                    // y − w·x as y + (−w)·x: negating w commutes with the rounded product, so the bits are the same.
                    Axpy(-w, column[(k + 1)..], target[(k + 1)..]);
                }
            }
        }
        return steps;
    }

    /// <summary>
    /// T ← Q T with Q = H_0 ⋯ H_{rank−1} from <see cref="PivotedQr"/> (reflectors in <paramref name="qr"/>, column-major,
    /// <paramref name="rows"/> rows). T is rows × width, column-major like the factor (t[c·rows + i]). An exactly-zero
    /// column of T stays exactly zero.
    /// </summary>
    public static void ApplyQ(
        ReadOnlySpan<double> qr, int rows, int rank, ReadOnlySpan<double> tau, Span<double> t, int width)
    {
        for (var k = rank - 1; k >= 0; k--) ApplyReflector(qr, rows, k, tau[k], t, width);
    }

    /// <summary>
    /// <see cref="ApplyQ"/> bitwise, in rank + 1 passes over T instead of one product pass and one update pass per
    /// reflector: the update of reflector k + 1 and the products of reflector k cover the same rows (k + 1 ..), so each
    /// pass updates an element and at once adds its product to the next reflector's <see cref="Dot"/> chain, four
    /// columns side by side. Every element gets the same operations in the same order (t + (−τw)·v_i, with
    /// t + (−τw) for the reflector's own row, which is t − τw exactly); every product is <see cref="Dot"/>'s chain.
    /// </summary>
    public static void ApplyQFused(
        ReadOnlySpan<double> qr, int rows, int rank, ReadOnlySpan<double> tau, Span<double> t, int width)
    {
        if (rank < 0 || rank > rows || (long)rank * rows > qr.Length || (long)rows * width > t.Length || tau.Length < rank)
            throw new ArgumentException("ApplyQFused: spans too short");
        for (var first = 0; first < width; first += 4)
            ApplyQGroup(qr, rows, rank, tau, t, first, Math.Min(4, width - first), firstProducts: default);
    }

    /// <summary>
    /// For ≤ 4 columns of T (rows × width, column-major): first fills rows rank .. rows − 1 of column c with
    /// ((+0 + coefficients[4c]·g_0) + coefficients[4c + 1]·g_1) + … (g_j = draws[j·(rows − rank) ..], j &lt; drawCount
    /// ≤ 4: the cleared rows plus one axpy after another), then applies Q as <see cref="ApplyQFused"/>, bitwise both.
    /// The fill runs in the pass that takes the last reflector's products (the same rows), when that reflector is not
    /// the identity.
    /// </summary>
    internal static void FillBottomAndApplyQ(
        ReadOnlySpan<double> qr, int rows, int rank, ReadOnlySpan<double> tau, Span<double> t, int width,
        ReadOnlySpan<double> draws, int drawCount, ReadOnlySpan<double> coefficients)
    {
        var bottomRows = rows - rank;
        if (width > 4 || drawCount > 4 || rank < 0 || rank > rows || (long)rank * rows > qr.Length
            || (long)rows * width > t.Length || tau.Length < rank || draws.Length < drawCount * bottomRows
            || coefficients.Length < 4 * width)
            throw new ArgumentException("FillBottomAndApplyQ: spans too short or more than four columns");
        if (width == 0) return;
        Span<double> products = stackalloc double[4];
        var dot = rank > 0 && tau[rank - 1] != 0 ? rank - 1 : -1;
        ref var tBase = ref MemoryMarshal.GetReference(t);
        ref var g = ref MemoryMarshal.GetReference(draws);
        ref var dv = ref Unsafe.Add(ref MemoryMarshal.GetReference(qr), Math.Max(dot, 0) * rows);
        // All columns together: each element is its draws' chain of axpys, then goes into the product with v_{rank−1}
        // (up to four Dot chains side by side).
        ref var g0 = ref g;
        ref var g1 = ref Unsafe.Add(ref g, Math.Min(1, Math.Max(drawCount - 1, 0)) * bottomRows);
        ref var g2 = ref Unsafe.Add(ref g, Math.Min(2, Math.Max(drawCount - 1, 0)) * bottomRows);
        ref var g3 = ref Unsafe.Add(ref g, Math.Min(3, Math.Max(drawCount - 1, 0)) * bottomRows);
        ref var d = ref Unsafe.Add(ref dv, rank);
        ref var col0 = ref Unsafe.Add(ref tBase, rank);
        ref var col1 = ref Unsafe.Add(ref tBase, Math.Min(1, width - 1) * rows + rank);
        ref var col2 = ref Unsafe.Add(ref tBase, Math.Min(2, width - 1) * rows + rank);
        ref var col3 = ref Unsafe.Add(ref tBase, Math.Min(3, width - 1) * rows + rank);
        Span<Vector256<double>> c = stackalloc Vector256<double>[16];
        for (var e = 0; e < 4 * width; e++) c[e] = Vector256.Create(coefficients[e]);
        Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
        var i = 0;
        for (; i + 3 < bottomRows; i += 4)
        {
            Vector256<double> x0 = default, x1 = default, x2 = default, x3 = default;
            if (drawCount > 0) x0 = Vector256.LoadUnsafe(ref g0, (nuint)i);
            if (drawCount > 1) x1 = Vector256.LoadUnsafe(ref g1, (nuint)i);
            if (drawCount > 2) x2 = Vector256.LoadUnsafe(ref g2, (nuint)i);
            if (drawCount > 3) x3 = Vector256.LoadUnsafe(ref g3, (nuint)i);
            var vd = dot >= 0 ? Vector256.LoadUnsafe(ref d, (nuint)i) : default;
            var y = LinearCombination(drawCount, x0, x1, x2, x3, c[0], c[1], c[2], c[3]);
            y.StoreUnsafe(ref col0, (nuint)i);
            s0 += vd * y;
            if (width > 1)
            {
                y = LinearCombination(drawCount, x0, x1, x2, x3, c[4], c[5], c[6], c[7]);
                y.StoreUnsafe(ref col1, (nuint)i);
                s1 += vd * y;
                if (width > 2)
                {
                    y = LinearCombination(drawCount, x0, x1, x2, x3, c[8], c[9], c[10], c[11]);
                    y.StoreUnsafe(ref col2, (nuint)i);
                    s2 += vd * y;
                    if (width > 3)
                    {
                        y = LinearCombination(drawCount, x0, x1, x2, x3, c[12], c[13], c[14], c[15]);
                        y.StoreUnsafe(ref col3, (nuint)i);
                        s3 += vd * y;
                    }
                }
            }
        }
        products[0] = DenseKernels.LaneSum(s0);
        products[1] = DenseKernels.LaneSum(s1);
        products[2] = DenseKernels.LaneSum(s2);
        products[3] = DenseKernels.LaneSum(s3);
        for (; i < bottomRows; i++)
            for (var col = 0; col < width; col++)
            {
                var x = 0.0;
                if (drawCount > 0) x += coefficients[4 * col] * Unsafe.Add(ref g0, i);
                if (drawCount > 1) x += coefficients[4 * col + 1] * Unsafe.Add(ref g1, i);
                if (drawCount > 2) x += coefficients[4 * col + 2] * Unsafe.Add(ref g2, i);
                if (drawCount > 3) x += coefficients[4 * col + 3] * Unsafe.Add(ref g3, i);
                Unsafe.Add(ref tBase, col * rows + rank + i) = x;
                if (dot >= 0) products[col] += Unsafe.Add(ref d, i) * x;
            }
        ApplyQGroup(qr, rows, rank, tau, t, 0, width, dot >= 0 ? products[..width] : default);
    }

    /// <summary>((+0 + c0·x0) + c1·x1) + … over the first <paramref name="count"/> terms (+0 for none): the cleared
    /// vector plus one axpy after another, per lane (so the same bits as those axpys).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<double> LinearCombination(
        int count, Vector256<double> x0, Vector256<double> x1, Vector256<double> x2, Vector256<double> x3,
        Vector256<double> c0, Vector256<double> c1, Vector256<double> c2, Vector256<double> c3)
    {
        var sum = Vector256<double>.Zero;
        if (count > 0) sum += c0 * x0;
        if (count > 1) sum += c1 * x1;
        if (count > 2) sum += c2 * x2;
        if (count > 3) sum += c3 * x3;
        return sum;
    }

    /// <summary><see cref="LinearCombination(int, Vector256{double}, Vector256{double}, Vector256{double}, Vector256{double}, Vector256{double}, Vector256{double}, Vector256{double}, Vector256{double})"/> in 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<double> LinearCombination(
        int count, Vector512<double> x0, Vector512<double> x1, Vector512<double> x2, Vector512<double> x3,
        Vector512<double> c0, Vector512<double> c1, Vector512<double> c2, Vector512<double> c3)
    {
        var sum = Vector512<double>.Zero;
        if (count > 0) sum += c0 * x0;
        if (count > 1) sum += c1 * x1;
        if (count > 2) sum += c2 * x2;
        if (count > 3) sum += c3 * x3;
        return sum;
    }

    /// <summary><see cref="ApplyQFused"/> for columns first .. first + count − 1 (count ≤ 4).</summary>
    /// <remarks>
    /// <paramref name="firstProducts"/>, when not empty, are reflector rank − 1's products with the columns (its pass
    /// already done, with no update pending).
    /// </remarks>
    private static void ApplyQGroup(
        ReadOnlySpan<double> qr, int rows, int rank, ReadOnlySpan<double> tau, Span<double> t, int first, int count,
        ReadOnlySpan<double> firstProducts)
    {
        Span<double> negW = stackalloc double[4];
        Span<bool> update = stackalloc bool[4];
        Span<double> products = stackalloc double[4];
        ref var tBase = ref Unsafe.Add(ref MemoryMarshal.GetReference(t), first * rows);
        ref var qrBase = ref MemoryMarshal.GetReference(qr);
        var pending = -1; // the reflector whose update (negW, update) is still to be applied
        for (var k = rank - 1; k >= 0; k--)
        {
            if (tau[k] == 0) // H_k = I: nothing to apply (ApplyReflector returns at once)
            {
                if (pending >= 0) ReflectorPass(ref tBase, rows, count, ref qrBase, pending, update, negW, -1, products);
                pending = -1;
                continue;
            }
            if (pending >= 0) ReflectorPass(ref tBase, rows, count, ref qrBase, pending, update, negW, k, products);
            else if (k == rank - 1 && !firstProducts.IsEmpty) firstProducts.CopyTo(products);
            else
            {
                update.Clear();
                ReflectorPass(ref tBase, rows, count, ref qrBase, k + 1, update, negW, k, products);
            }
            for (var j = 0; j < count; j++)
            {
                var w = Unsafe.Add(ref tBase, j * rows + k) + products[j];
                update[j] = w != 0;
                negW[j] = -(w * tau[k]);
            }
            pending = k;
        }
        if (pending >= 0) ReflectorPass(ref tBase, rows, count, ref qrBase, pending, update, negW, -1, products);
    }

    /// <summary>
    /// One pass over rows start .. rows − 1 of count ≤ 4 columns of T (stride rows): where update[j], element i becomes
    /// t + negW[j]·v_i with v the reflector start's vector (v_start = 1, v_i = qr[start·rows + i] below); then, when
    /// dot ≥ 0 (= start − 1), products[j] = <see cref="Dot"/>(qr[dot·rows + start ..], the updated t[start ..]).
    /// </summary>
    private static void ReflectorPass(
        ref double tBase, int rows, int count, ref double qrBase, int start,
        ReadOnlySpan<bool> update, ReadOnlySpan<double> negW, int dot, Span<double> products)
    {
        ref var c0 = ref tBase;
        ref var c1 = ref Unsafe.Add(ref tBase, Math.Min(1, count - 1) * rows);
        ref var c2 = ref Unsafe.Add(ref tBase, Math.Min(2, count - 1) * rows);
        ref var c3 = ref Unsafe.Add(ref tBase, Math.Min(3, count - 1) * rows);
        ref var uv = ref Unsafe.Add(ref qrBase, Math.Min(start, rows - 1) * rows);
        ref var dv = ref Unsafe.Add(ref qrBase, Math.Max(dot, 0) * rows);
        bool u0 = update[0], u1 = count > 1 && update[1], u2 = count > 2 && update[2], u3 = count > 3 && update[3];
        double n0 = negW[0], n1 = negW[1], n2 = negW[2], n3 = negW[3];
        var doDot = dot >= 0;
        Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<double> w0 = Vector256.Create(n0), w1 = Vector256.Create(n1), w2 = Vector256.Create(n2), w3 = Vector256.Create(n3);
        var i = start;
        if (i + 3 < rows)
        {
            // The reflector's own row has the implicit v_start = 1.
            var anyUpdate = u0 || u1 || u2 || u3; // without one, uv may lie past the factor: never read it
            var vu = anyUpdate
                ? Vector256.Create(1.0, Unsafe.Add(ref uv, i + 1), Unsafe.Add(ref uv, i + 2), Unsafe.Add(ref uv, i + 3))
                : default;
            while (true)
            {
                var vd = doDot ? Vector256.LoadUnsafe(ref dv, (nuint)i) : default;
                var x0 = Vector256.LoadUnsafe(ref c0, (nuint)i);
                if (u0)
                {
                    x0 += w0 * vu;
                    x0.StoreUnsafe(ref c0, (nuint)i);
                }
                s0 += vd * x0;
                if (count > 1)
                {
                    var x1 = Vector256.LoadUnsafe(ref c1, (nuint)i);
                    if (u1)
                    {
                        x1 += w1 * vu;
                        x1.StoreUnsafe(ref c1, (nuint)i);
                    }
                    s1 += vd * x1;
                    if (count > 2)
                    {
                        var x2 = Vector256.LoadUnsafe(ref c2, (nuint)i);
                        if (u2)
                        {
                            x2 += w2 * vu;
                            x2.StoreUnsafe(ref c2, (nuint)i);
                        }
                        s2 += vd * x2;
                        if (count > 3)
                        {
                            var x3 = Vector256.LoadUnsafe(ref c3, (nuint)i);
                            if (u3)
                            {
                                x3 += w3 * vu;
                                x3.StoreUnsafe(ref c3, (nuint)i);
                            }
                            s3 += vd * x3;
                        }
                    }
                }
                i += 4;
                if (i + 3 >= rows) break;
                if (anyUpdate) vu = Vector256.LoadUnsafe(ref uv, (nuint)i);
            }
        }
        var p0 = DenseKernels.LaneSum(s0);
        var p1 = DenseKernels.LaneSum(s1);
        var p2 = DenseKernels.LaneSum(s2);
        var p3 = DenseKernels.LaneSum(s3);
        for (; i < rows; i++)
        {
            var v = i == start || !(u0 || u1 || u2 || u3) ? 1.0 : Unsafe.Add(ref uv, i);
            var d = doDot ? Unsafe.Add(ref dv, i) : 0;
            ref var e0 = ref Unsafe.Add(ref c0, i);
            if (u0) e0 += n0 * v;
            p0 += d * e0;
            if (count > 1)
            {
                ref var e1 = ref Unsafe.Add(ref c1, i);
                if (u1) e1 += n1 * v;
                p1 += d * e1;
            }
            if (count > 2)
            {
                ref var e2 = ref Unsafe.Add(ref c2, i);
                if (u2) e2 += n2 * v;
                p2 += d * e2;
            }
            if (count > 3)
            {
                ref var e3 = ref Unsafe.Add(ref c3, i);
                if (u3) e3 += n3 * v;
                p3 += d * e3;
            }
        }
        products[0] = p0;
        products[1] = p1;
        products[2] = p2;
        products[3] = p3;
    }

    /// <summary>T ← Qᵀ T = H_{rank−1} ⋯ H_0 T; otherwise as <see cref="ApplyQ"/>.</summary>
    public static void ApplyQTranspose(
        ReadOnlySpan<double> qr, int rows, int rank, ReadOnlySpan<double> tau, Span<double> t, int width)
    {
        for (var k = 0; k < rank; k++) ApplyReflector(qr, rows, k, tau[k], t, width);
    }

    /// <summary>
    /// x · y over the length of <paramref name="x"/>, summed in a fixed order: four interleaved partial sums
    /// (element i goes to sum i mod 4, one Vector256 lane each; multiply then add, never fused), combined as
    /// (s0 + s1) + (s2 + s3), then the tail. The order does not depend on the machine's vector width, so the result is
    /// bitwise the same everywhere (Vector256 is emulated lane by lane where it is not accelerated).
    /// </summary>
    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        y = y[..x.Length];
        ref var xRef = ref MemoryMarshal.GetReference(x);
        ref var yRef = ref MemoryMarshal.GetReference(y);
        var sums = Vector256<double>.Zero;
        var i = 0;
        for (; i + 3 < x.Length; i += 4)
        {
            var product = Vector256.LoadUnsafe(ref xRef, (nuint)i) * Vector256.LoadUnsafe(ref yRef, (nuint)i);
            sums += product;
        }
        var total = DenseKernels.LaneSum(sums);
        for (; i < x.Length; i++) total += x[i] * y[i];
        return total;
    }

    /// <summary>
    /// results[j] = <see cref="Dot"/>(x[xOffsets[j] ..][..length], y[yOffsets[j] ..][..length]) for every j, bitwise:
    /// each product is <see cref="Dot"/>'s own chain (four lane sums, multiply then add, (s0 + s1) + (s2 + s3), then
    /// the tail), only four chains run side by side. One <see cref="Dot"/> waits on its single accumulator (an add's
    /// latency per 4 elements); four independent ones fill the adder instead. x and y may be the same span.
    /// </summary>
    internal static void DotBatch(
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, int length,
        ReadOnlySpan<int> xOffsets, ReadOnlySpan<int> yOffsets, Span<double> results)
    {
        var count = xOffsets.Length;
        if (yOffsets.Length != count || results.Length < count) throw new ArgumentException("offsets and results: need equal counts");
        for (var j = 0; j < count; j++)
            if (length < 0 || xOffsets[j] < 0 || yOffsets[j] < 0
                || (long)xOffsets[j] + length > x.Length || (long)yOffsets[j] + length > y.Length)
                throw new ArgumentOutOfRangeException(nameof(length), "a vector runs past its span");
        var group = 0;
        for (; group + 3 < count; group += 4)
            DotFour(x, y, length, xOffsets.Slice(group, 4), yOffsets.Slice(group, 4), results.Slice(group, 4));
        if (group == count) return;
        if (count - group == 2)
        {
            DotTwo(x, y, length, xOffsets[group], yOffsets[group], xOffsets[group + 1], yOffsets[group + 1], results[group..]);
            return;
        }
        // The last 1 or 3 pairs: padded with copies of the last one (its extra results are dropped).
        Span<int> xs = stackalloc int[4];
        Span<int> ys = stackalloc int[4];
        Span<double> padded = stackalloc double[4];
        for (var j = 0; j < 4; j++)
        {
            var source = Math.Min(group + j, count - 1);
            xs[j] = xOffsets[source];
            ys[j] = yOffsets[source];
        }
        DotFour(x, y, length, xs, ys, padded);
        padded[..(count - group)].CopyTo(results[group..count]);
    }

    /// <summary>Two <see cref="Dot"/> chains side by side; offsets already checked by <see cref="DotBatch"/>.</summary>
    private static void DotTwo(
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, int length, int xOffset0, int yOffset0, int xOffset1, int yOffset1,
        Span<double> results)
    {
        ref var x0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), xOffset0);
        ref var x1 = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), xOffset1);
        ref var y0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), yOffset0);
        ref var y1 = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), yOffset1);
        Vector256<double> s0 = default, s1 = default;
        var i = 0;
        for (; i + 3 < length; i += 4)
        {
            s0 += Vector256.LoadUnsafe(ref x0, (nuint)i) * Vector256.LoadUnsafe(ref y0, (nuint)i);
            s1 += Vector256.LoadUnsafe(ref x1, (nuint)i) * Vector256.LoadUnsafe(ref y1, (nuint)i);
        }
        var t0 = DenseKernels.LaneSum(s0);
        var t1 = DenseKernels.LaneSum(s1);
        for (; i < length; i++)
        {
            t0 += Unsafe.Add(ref x0, i) * Unsafe.Add(ref y0, i);
            t1 += Unsafe.Add(ref x1, i) * Unsafe.Add(ref y1, i);
        }
        results[0] = t0;
        results[1] = t1;
    }

    /// <summary>Four <see cref="Dot"/> chains side by side, all <paramref name="length"/> long; offsets already checked.</summary>
    private static void DotFour(
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, int length,
        ReadOnlySpan<int> xOffsets, ReadOnlySpan<int> yOffsets, Span<double> results)
    {
        Span<int> lengths = [length, length, length, length];
        DotFour(x, y, lengths, xOffsets, yOffsets, results);
    }

    /// <summary>
    /// Four <see cref="Dot"/> chains side by side, chain j over lengths[j] values (offsets already checked): together up
    /// to the shortest one's last block of 4, then each chain finished on its own exactly as <see cref="Dot"/> would.
    /// </summary>
    private static void DotFour(
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<int> lengths,
        ReadOnlySpan<int> xOffsets, ReadOnlySpan<int> yOffsets, Span<double> results)
    {
        ref var xBase = ref MemoryMarshal.GetReference(x);
        ref var yBase = ref MemoryMarshal.GetReference(y);
        ref var x0 = ref Unsafe.Add(ref xBase, xOffsets[0]);
        ref var x1 = ref Unsafe.Add(ref xBase, xOffsets[1]);
        ref var x2 = ref Unsafe.Add(ref xBase, xOffsets[2]);
        ref var x3 = ref Unsafe.Add(ref xBase, xOffsets[3]);
        ref var y0 = ref Unsafe.Add(ref yBase, yOffsets[0]);
        ref var y1 = ref Unsafe.Add(ref yBase, yOffsets[1]);
        ref var y2 = ref Unsafe.Add(ref yBase, yOffsets[2]);
        ref var y3 = ref Unsafe.Add(ref yBase, yOffsets[3]);
        var common = Math.Min(Math.Min(lengths[0], lengths[1]), Math.Min(lengths[2], lengths[3]));
        Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
        var i = 0;
        for (; i + 3 < common; i += 4)
        {
            s0 += Vector256.LoadUnsafe(ref x0, (nuint)i) * Vector256.LoadUnsafe(ref y0, (nuint)i);
            s1 += Vector256.LoadUnsafe(ref x1, (nuint)i) * Vector256.LoadUnsafe(ref y1, (nuint)i);
            s2 += Vector256.LoadUnsafe(ref x2, (nuint)i) * Vector256.LoadUnsafe(ref y2, (nuint)i);
            s3 += Vector256.LoadUnsafe(ref x3, (nuint)i) * Vector256.LoadUnsafe(ref y3, (nuint)i);
        }
        results[0] = FinishDot(ref x0, ref y0, i, lengths[0], s0);
        results[1] = FinishDot(ref x1, ref y1, i, lengths[1], s1);
        results[2] = FinishDot(ref x2, ref y2, i, lengths[2], s2);
        results[3] = FinishDot(ref x3, ref y3, i, lengths[3], s3);
    }

    /// <summary>The rest of <see cref="Dot"/>'s chain from element <paramref name="i"/> (a multiple of 4) with lane sums <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double FinishDot(ref double x, ref double y, int i, int length, Vector256<double> sums)
    {
        for (; i + 3 < length; i += 4) sums += Vector256.LoadUnsafe(ref x, (nuint)i) * Vector256.LoadUnsafe(ref y, (nuint)i);
        var total = DenseKernels.LaneSum(sums);
        for (; i < length; i++) total += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        return total;
    }

    /// <summary>y ← y + α x over the length of <paramref name="x"/> (elementwise, multiply then add).</summary>
    internal static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        y = y[..x.Length];
        ref var xRef = ref MemoryMarshal.GetReference(x);
        ref var yRef = ref MemoryMarshal.GetReference(y);
        var i = 0;
        // Elementwise, so the vector width changes no bit: 8 lanes where AVX-512 runs, else 4 (emulated if need be).
        if (Vector512.IsHardwareAccelerated)
        {
            var wide = Vector512.Create(alpha);
            for (; i + 7 < x.Length; i += 8)
            {
                var product = wide * Vector512.LoadUnsafe(ref xRef, (nuint)i);
                (Vector512.LoadUnsafe(ref yRef, (nuint)i) + product).StoreUnsafe(ref yRef, (nuint)i);
            }
        }
        var scale = Vector256.Create(alpha);
        for (; i + 3 < x.Length; i += 4)
        {
            var product = scale * Vector256.LoadUnsafe(ref xRef, (nuint)i);
            (Vector256.LoadUnsafe(ref yRef, (nuint)i) + product).StoreUnsafe(ref yRef, (nuint)i);
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }

    /// <summary>
    /// Outer-product Cholesky with diagonal pivoting of a symmetric positive semidefinite m × m matrix
    /// (row-major, read only), stopped at the numerical rank r: the largest remaining Schur-complement diagonal is
    /// ≤ <paramref name="relativeTolerance"/> · max_a A_aa (Higham, Accuracy and Stability §10.3). Writes F (m × m
    /// row-major, columns r.. zero) with F Fᵀ = A up to that tolerance, rows in the ORIGINAL order (the permutation is
    /// absorbed: F is a permuted lower-triangular factor). Returns r. A zero row of A gives an exactly-zero row of F.
    /// <paramref name="work"/> needs m² doubles, <paramref name="used"/> m flags; <paramref name="pivots"/>, when not
    /// empty (m entries), receives the pivot order: pivots[k] is the row whose column-k entry is the k-th pivot, so
    /// row pivots[k] of F is zero beyond column k (see <see cref="SolvePivotedLower"/>).
    /// </summary>
    public static int PivotedCholesky(
        ReadOnlySpan<double> matrix, int m, double relativeTolerance,
        Span<double> factor, Span<double> work, Span<bool> used, Span<int> pivots = default)
    {
        var s = work[..(m * m)];
        matrix[..(m * m)].CopyTo(s);
        factor[..(m * m)].Clear();
        used[..m].Clear();

        var largest = 0.0;
        for (var a = 0; a < m; a++) largest = Math.Max(largest, s[a * m + a]);
        if (!(largest > 0)) return 0;
        var threshold = relativeTolerance * largest;

        for (var k = 0; k < m; k++)
        {
            var pivot = -1;
            var pivotValue = double.NegativeInfinity;
            for (var a = 0; a < m; a++)
            {
                if (used[a]) continue;
                if (s[a * m + a] > pivotValue)
                {
                    pivotValue = s[a * m + a];
                    pivot = a;
                }
            }
            if (!(pivotValue > threshold)) return k;

            used[pivot] = true;
            if (!pivots.IsEmpty) pivots[k] = pivot;
            var root = Math.Sqrt(pivotValue);
            factor[pivot * m + k] = root;
            var inverse = 1 / root;
            for (var a = 0; a < m; a++)
                if (!used[a]) factor[a * m + k] = s[a * m + pivot] * inverse;

            // Schur complement on the unused indices.
            for (var a = 0; a < m; a++)
            {
                if (used[a]) continue;
                var fa = factor[a * m + k];
                if (fa == 0) continue;
                for (var b = 0; b < m; b++)
                    if (!used[b]) s[a * m + b] -= fa * factor[b * m + k];
            }
        }
        return m;
    }

    /// <summary>
    /// Solves F u = v for a full-rank factor of <see cref="PivotedCholesky"/> (m × m row-major, rank m, its pivot
    /// order <paramref name="pivots"/>): u is indexed by F's columns, v by its rows. Forward substitution in pivot
    /// order, u_k = (v[p_k] − Σ_{j&lt;k} F[p_k, j] u_j) / F[p_k, k], the sum in increasing j.
    /// </summary>
    internal static void SolvePivotedLower(
        ReadOnlySpan<double> factor, int m, ReadOnlySpan<int> pivots, ReadOnlySpan<double> v, Span<double> u)
    {
        for (var k = 0; k < m; k++)
        {
            var row = pivots[k] * m;
            var sum = v[pivots[k]];
            for (var j = 0; j < k; j++) sum -= factor[row + j] * u[j];
            u[k] = sum / factor[row + k];
        }
    }

    /// <summary>
    /// Solves Fᵀ c = y for the same factor as <see cref="SolvePivotedLower"/>: c is indexed by F's rows, y by its
    /// columns. Back substitution, c[p_j] = (y_j − Σ_{k&gt;j} F[p_k, j] c[p_k]) / F[p_j, j], the sum in decreasing k.
    /// </summary>
    internal static void SolvePivotedLowerTransposed(
        ReadOnlySpan<double> factor, int m, ReadOnlySpan<int> pivots, ReadOnlySpan<double> y, Span<double> c)
    {
        for (var j = m - 1; j >= 0; j--)
        {
            var sum = y[j];
            for (var k = m - 1; k > j; k--) sum -= factor[pivots[k] * m + j] * c[pivots[k]];
            c[pivots[j]] = sum / factor[pivots[j] * m + j];
        }
    }

    /// <summary>Euclidean norm. One pass (√(x·x)) when x·x is safely inside the normal range; otherwise a scaled
    /// two-pass sum, so it neither overflows nor underflows for finite inputs.</summary>
    internal static double Norm(ReadOnlySpan<double> x) => NormFromSumOfSquares(x, Dot(x, x));

    /// <summary><see cref="Norm"/> of x given <paramref name="sumOfSquares"/> = <see cref="Dot"/>(x, x).</summary>
    private static double NormFromSumOfSquares(ReadOnlySpan<double> x, double sumOfSquares)
    {
        if (sumOfSquares > 1e-280 && sumOfSquares < 1e280) return Math.Sqrt(sumOfSquares);
        if (sumOfSquares == 0 && !HasNonZero(x)) return 0;

        var largest = 0.0;
        foreach (var v in x) largest = Math.Max(largest, Math.Abs(v));
        if (largest == 0 || double.IsInfinity(largest) || double.IsNaN(largest)) return largest;
        var inverse = 1 / largest;
        var sum = 0.0;
        foreach (var v in x)
        {
            var scaled = v * inverse;
            sum += scaled * scaled;
        }
        return largest * Math.Sqrt(sum);
    }

    /// <summary>
    /// y ← (y + α₀ x₀) + α₁ x₁ elementwise: two <see cref="Axpy"/> calls in one pass, the same operations in the same
    /// order per element (multiply, add, multiply, add), so bitwise the same y.
    /// </summary>
    internal static void Axpy2(double alpha0, ReadOnlySpan<double> x0, double alpha1, ReadOnlySpan<double> x1, Span<double> y)
    {
        var length = x0.Length;
        if (x1.Length < length || y.Length < length) throw new ArgumentException("Axpy2: spans too short");
        ref var aRef = ref MemoryMarshal.GetReference(x0);
        ref var bRef = ref MemoryMarshal.GetReference(x1);
        ref var yRef = ref MemoryMarshal.GetReference(y);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a0 = Vector512.Create(alpha0);
            var a1 = Vector512.Create(alpha1);
            for (; i + 7 < length; i += 8)
            {
                var sum = Vector512.LoadUnsafe(ref yRef, (nuint)i) + a0 * Vector512.LoadUnsafe(ref aRef, (nuint)i);
                (sum + a1 * Vector512.LoadUnsafe(ref bRef, (nuint)i)).StoreUnsafe(ref yRef, (nuint)i);
            }
        }
        var c0 = Vector256.Create(alpha0);
        var c1 = Vector256.Create(alpha1);
        for (; i + 3 < length; i += 4)
        {
            var sum = Vector256.LoadUnsafe(ref yRef, (nuint)i) + c0 * Vector256.LoadUnsafe(ref aRef, (nuint)i);
            (sum + c1 * Vector256.LoadUnsafe(ref bRef, (nuint)i)).StoreUnsafe(ref yRef, (nuint)i);
        }
        for (; i < length; i++)
        {
            var sum = Unsafe.Add(ref yRef, i) + alpha0 * Unsafe.Add(ref aRef, i);
            Unsafe.Add(ref yRef, i) = sum + alpha1 * Unsafe.Add(ref bRef, i);
        }
    }

    /// <summary>
    /// sums[j] = <see cref="Dot"/>(c, c) for c the column <paramref name="first"/> + j of A (column-major, rows long)
    /// below row <paramref name="fromRow"/>, j &lt; <paramref name="count"/> ≤ 4.
    /// </summary>
    private static void SumsOfSquares(
        ReadOnlySpan<double> a, int rows, int first, int count, int fromRow, Span<int> offsets, Span<double> sums)
    {
        for (var j = 0; j < count; j++) offsets[j] = (first + j) * rows + fromRow;
        DotBatch(a, a, rows - fromRow, offsets[..count], offsets[..count], sums);
    }

    /// <summary>
    /// w[j] = A[k, c] + Σ_{i=k+1}^{rows−1} A[i, k]·A[i, c] for c = first + j, j &lt; count ≤ 4 (A column-major), each
    /// summed as one scalar chain in increasing i; the chains of absent columns (count &lt; 4) repeat the last one.
    /// </summary>
    /// <remarks>
    /// With <paramref name="applyScale"/>, each v_i = A[i, k] is first replaced by v_i·scale (the reflector's elementwise
    /// scaling, the same product) in the same loop, and the chains use the scaled values.
    /// </remarks>
    private static void TrailingProducts(
        Span<double> a, int rows, int k, int first, int count, Span<double> w, bool applyScale, double scale)
    {
        if (!applyScale)
        {
            TrailingProducts(a, rows, k, first, count, w);
            return;
        }
        if ((long)(first + count) * rows > a.Length || k >= rows) throw new ArgumentOutOfRangeException(nameof(count));
        ref var v = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), k * rows);
        ref var c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), first * rows);
        ref var c1 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (first + Math.Min(1, count - 1)) * rows);
        ref var c2 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (first + Math.Min(2, count - 1)) * rows);
        ref var c3 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (first + Math.Min(3, count - 1)) * rows);
        double w0 = Unsafe.Add(ref c0, k), w1 = Unsafe.Add(ref c1, k), w2 = Unsafe.Add(ref c2, k), w3 = Unsafe.Add(ref c3, k);
        if (count == 1)
            for (var i = k + 1; i < rows; i++)
            {
                var x = Unsafe.Add(ref v, i) * scale;
                Unsafe.Add(ref v, i) = x;
                w0 += x * Unsafe.Add(ref c0, i);
            }
        else
            for (var i = k + 1; i < rows; i++)
            {
                var x = Unsafe.Add(ref v, i) * scale;
                Unsafe.Add(ref v, i) = x;
                w0 += x * Unsafe.Add(ref c0, i);
                w1 += x * Unsafe.Add(ref c1, i);
                w2 += x * Unsafe.Add(ref c2, i);
                w3 += x * Unsafe.Add(ref c3, i);
            }
        w[0] = w0;
        w[1] = w1;
        w[2] = w2;
        w[3] = w3;
    }

    private static void TrailingProducts(ReadOnlySpan<double> a, int rows, int k, int first, int count, Span<double> w)
    {
        if ((long)(first + count) * rows > a.Length || k >= rows) throw new ArgumentOutOfRangeException(nameof(count));
        ref var v = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), k * rows);
        ref var c0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), first * rows);
        ref var c1 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (first + Math.Min(1, count - 1)) * rows);
        ref var c2 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (first + Math.Min(2, count - 1)) * rows);
        ref var c3 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), (first + Math.Min(3, count - 1)) * rows);
        double w0 = Unsafe.Add(ref c0, k), w1 = Unsafe.Add(ref c1, k), w2 = Unsafe.Add(ref c2, k), w3 = Unsafe.Add(ref c3, k);
        if (count == 1)
            for (var i = k + 1; i < rows; i++) w0 += Unsafe.Add(ref v, i) * Unsafe.Add(ref c0, i);
        else
            for (var i = k + 1; i < rows; i++)
            {
                var x = Unsafe.Add(ref v, i);
                w0 += x * Unsafe.Add(ref c0, i);
                w1 += x * Unsafe.Add(ref c1, i);
                w2 += x * Unsafe.Add(ref c2, i);
                w3 += x * Unsafe.Add(ref c3, i);
            }
        w[0] = w0;
        w[1] = w1;
        w[2] = w2;
        w[3] = w3;
    }

    private static bool HasNonZero(ReadOnlySpan<double> x)
    {
        foreach (var v in x)
            if (v != 0) return true;
        return false;
    }

    /// <summary>√(x² + y²) without overflow or underflow in the squares (the one hypot of the numerics).</summary>
    internal static double Hypot(double x, double y)
    {
        x = Math.Abs(x);
        y = Math.Abs(y);
        var large = Math.Max(x, y);
        if (large == 0) return 0;
        var small = Math.Min(x, y) / large;
        return large * Math.Sqrt(1 + small * small);
    }

    private static void SwapColumns(Span<double> a, int rows, int first, int second)
    {
        var x = a.Slice(first * rows, rows);
        var y = a.Slice(second * rows, rows);
        for (var i = 0; i < rows; i++) (x[i], y[i]) = (y[i], x[i]);
    }

    /// <summary>T ← (I − τ v vᵀ) T for reflector k, T column-major rows × width.</summary>
    private static void ApplyReflector(
        ReadOnlySpan<double> qr, int rows, int k, double tau, Span<double> t, int width)
    {
        if (tau == 0) return;
        var length = rows - k - 1;
        var v = qr.Slice(k * rows + k + 1, length);
        // The columns' products with v are independent: four Dot chains at a time (DotBatch), then the updates.
        Span<int> vOffsets = stackalloc int[4];
        Span<int> columnOffsets = stackalloc int[4];
        Span<double> products = stackalloc double[4];
        vOffsets.Fill(k * rows + k + 1);
        for (var first = 0; first < width; first += 4)
        {
            var count = Math.Min(4, width - first);
            for (var j = 0; j < count; j++) columnOffsets[j] = (first + j) * rows + k + 1;
            DotBatch(qr, t, length, vOffsets[..count], columnOffsets[..count], products);
            for (var j = 0; j < count; j++)
            {
                var column = t.Slice((first + j) * rows + k, rows - k);
                var w = column[0] + products[j];
                if (w == 0) continue;
                w *= tau;
                column[0] -= w;
                Axpy(-w, v, column[1..]);
            }
        }
    }
}
