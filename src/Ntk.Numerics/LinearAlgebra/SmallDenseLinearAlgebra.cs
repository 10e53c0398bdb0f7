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

        var largest = 0.0;
        for (var j = 0; j < cols; j++)
        {
            var norm = Norm(a.Slice(j * rows, rows));
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
            for (var j = k; j < cols; j++)
            {
                var norm = k == 0 ? columnNorms[j] : Norm(a.Slice(j * rows + k, rows - k));
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
            var belowNorm = Norm(below);
            if (belowNorm == 0)
            {
                tau[k] = 0; // H_k = I; R_kk = α.
            }
            else
            {
                var beta = -Math.CopySign(Hypot(alpha, belowNorm), alpha);
                tau[k] = (beta - alpha) / beta;
                var scale = 1 / (alpha - beta);
                for (var i = 0; i < below.Length; i++) below[i] *= scale;
                column[k] = beta;
            }

            // Apply H_k to the trailing columns.
            var t = tau[k];
            if (t == 0) continue;
            for (var j = k + 1; j < cols; j++)
            {
                var target = a.Slice(j * rows, rows);
                var w = target[k];
                for (var i = k + 1; i < rows; i++) w += column[i] * target[i];
                if (w == 0) continue;
                w *= t;
                target[k] -= w;
                for (var i = k + 1; i < rows; i++) target[i] -= w * column[i];
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
        var total = (sums.GetElement(0) + sums.GetElement(1)) + (sums.GetElement(2) + sums.GetElement(3));
        for (; i < x.Length; i++) total += x[i] * y[i];
        return total;
    }

    /// <summary>y ← y + α x over the length of <paramref name="x"/> (elementwise, multiply then add).</summary>
    internal static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        y = y[..x.Length];
        ref var xRef = ref MemoryMarshal.GetReference(x);
        ref var yRef = ref MemoryMarshal.GetReference(y);
        var scale = Vector256.Create(alpha);
        var i = 0;
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
    /// <paramref name="work"/> needs m² doubles, <paramref name="used"/> m flags.
    /// </summary>
    public static int PivotedCholesky(
        ReadOnlySpan<double> matrix, int m, double relativeTolerance,
        Span<double> factor, Span<double> work, Span<bool> used)
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

    /// <summary>Euclidean norm. One pass (√(x·x)) when x·x is safely inside the normal range; otherwise a scaled
    /// two-pass sum, so it neither overflows nor underflows for finite inputs.</summary>
    internal static double Norm(ReadOnlySpan<double> x)
    {
        var sumOfSquares = Dot(x, x);
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
        var v = qr.Slice(k * rows + k + 1, rows - k - 1);
        for (var c = 0; c < width; c++)
        {
            var column = t.Slice(c * rows + k, rows - k);
            var w = column[0] + Dot(v, column[1..]);
            if (w == 0) continue;
            w *= tau;
            column[0] -= w;
            Axpy(-w, v, column[1..]);
        }
    }
}
