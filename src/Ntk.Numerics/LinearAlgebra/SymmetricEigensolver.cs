namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Eigenvalues of small symmetric matrices, as the spectrum summary of each trial's kernel needs them: cyclic Jacobi
/// for m &lt; 8, Householder tridiagonalization then implicit QL (all eigenvalues) or Sturm bisection (the extreme two)
/// for m ≥ 8. Deterministic: fixed operation order, no machine-dependent library calls.
/// </summary>
internal static class SymmetricEigensolver
{
    /// <summary>Below this size the Jacobi method is used; from it on, tridiagonalization and implicit QL.</summary>
    internal const int TridiagonalFromSize = 8;

    /// <summary>
    /// Eigenvalues of a symmetric m × m matrix. <paramref name="matrix"/> is destroyed. Deterministic; allocation-free
    /// for m ≤ 1024. Small matrices (m &lt; 8, e.g. the m = 2 of pair inputs) use cyclic Jacobi rotations; larger ones a
    /// Householder reduction to tridiagonal form followed by the implicit QL method, about (4/3)m³ operations instead
    /// of Jacobi's ~2m³ per sweep (what that saved in a dense trial: docs/performance.md §9).
    /// </summary>
    public static void SymmetricEigenvalues(Span<double> matrix, int m, Span<double> eigenvalues)
    {
        if (m >= TridiagonalFromSize)
        {
            TridiagonalQlEigenvalues(matrix, m, eigenvalues);
            return;
        }
        JacobiEigenvalues(matrix, m, eigenvalues);
    }

    /// <summary>
    /// Cyclic Jacobi rotations (Golub &amp; Van Loan §8.5; the rotation of Numerical Recipes §11.1); converges
    /// quadratically.
    /// </summary>
    internal static void JacobiEigenvalues(Span<double> matrix, int m, Span<double> eigenvalues)
    {
        for (var sweep = 0; sweep < 64; sweep++)
        {
            double offDiagonal = 0, diagonal = 0;
            for (var p = 0; p < m; p++)
            {
                diagonal += matrix[p * m + p] * matrix[p * m + p];
                for (var q = p + 1; q < m; q++) offDiagonal += matrix[p * m + q] * matrix[p * m + q];
            }
            if (offDiagonal == 0 || offDiagonal <= 1e-32 * diagonal) break;

            for (var p = 0; p < m - 1; p++)
            {
                for (var q = p + 1; q < m; q++)
                {
                    var apq = matrix[p * m + q];
                    if (apq == 0) continue;
                    var theta = (matrix[q * m + q] - matrix[p * m + p]) / (2 * apq);
                    var t = Math.Sign(theta) == 0
                        ? 1.0
                        : Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < m; k++)
                    {
                        var akp = matrix[k * m + p];
                        var akq = matrix[k * m + q];
                        matrix[k * m + p] = c * akp - s * akq;
                        matrix[k * m + q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < m; k++)
                    {
                        var apk = matrix[p * m + k];
                        var aqk = matrix[q * m + k];
                        matrix[p * m + k] = c * apk - s * aqk;
                        matrix[q * m + k] = s * apk + c * aqk;
                    }
                    matrix[p * m + q] = 0;
                    matrix[q * m + p] = 0;
                }
            }
        }
        for (var p = 0; p < m; p++) eigenvalues[p] = matrix[p * m + p];
    }

    /// <summary>
    /// Householder tridiagonalization (Golub &amp; Van Loan, Algorithm 8.3.1) and the implicit QL method with Wilkinson
    /// shifts on the tridiagonal matrix (Golub &amp; Van Loan §8.3.5; Numerical Recipes §11.3), eigenvalues only.
    /// </summary>
    internal static void TridiagonalQlEigenvalues(Span<double> a, int m, Span<double> eigenvalues)
    {
        Span<double> offDiagonal = m <= 1024 ? stackalloc double[m] : new double[m];
        Tridiagonalize(a, m, eigenvalues, offDiagonal);
        TridiagonalQl(eigenvalues, offDiagonal, m);
    }

    /// <summary>
    /// Householder reduction of the symmetric m × m matrix <paramref name="a"/> (destroyed; only its lower triangle is
    /// read) to a tridiagonal matrix with the same eigenvalues: diagonal in <paramref name="diagonal"/>, off-diagonal
    /// in <paramref name="offDiagonal"/> (entry i couples i and i + 1; entry m − 1 is 0). Golub &amp; Van Loan,
    /// Algorithm 8.3.1.
    /// </summary>
    internal static void Tridiagonalize(Span<double> a, int m, Span<double> diagonal, Span<double> offDiagonal)
    {
        if (a.Length < m * m) throw new ArgumentException("matrix: need m × m values", nameof(a));
        if (diagonal.Length < m || offDiagonal.Length < m) throw new ArgumentException("diagonal, offDiagonal: need m values");
        if (m == 0) return;
        Span<double> v = m <= 1024 ? stackalloc double[m] : new double[m];
        Span<double> w = m <= 1024 ? stackalloc double[m] : new double[m];

        // 1. A = Q T Qᵀ. Step k zeroes column k below the subdiagonal with H = I − β v vᵀ acting on rows/columns k+1..;
        //    the trailing block is updated as A −= v wᵀ + w vᵀ with p = β A v and w = p − (β pᵀv / 2) v.
        //    The trailing block is kept exactly symmetric (both triangles hold the same bits), so A v is a sum of rows
        //    (axpys over contiguous rows, in increasing j: p_i = Σ_j A_ji v_j = Σ_j A_ij v_j term by term) and the
        //    rank-2 update runs along contiguous rows; every entry is computed with the same scalar operations, in the
        //    same order, as the textbook loop (entry (i, j), j ≤ i: (A_ij − v_i w_j) − w_i v_j, mirrored to (j, i)), so
        //    the result does not depend on the vector width. Only the lower triangle of the input is read.
        for (var i = 1; i < m; i++)
            for (var j = 0; j < i; j++)
                a[j * m + i] = a[i * m + j];
        for (var k = 0; k < m - 2; k++)
        {
            var first = k + 1;
            var length = m - first;
            var vk = v[..length];
            var wk = w[..length];
            double sigma2 = 0;
            for (var i = 0; i < length; i++)
            {
                var x = a[(first + i) * m + k];
                vk[i] = x;
                sigma2 += x * x;
            }
            if (sigma2 == 0)
            {
                offDiagonal[k] = 0;
                continue;
            }
            var sigma = Math.Sqrt(sigma2);
            var x0 = vk[0];
            var alpha = x0 >= 0 ? -sigma : sigma;        // H x = alpha e1; the sign avoids cancellation in v0
            vk[0] = x0 - alpha;                            // v = x − alpha e1
            var beta = 1.0 / (sigma2 - alpha * x0);        // 2 / vᵀv, since vᵀv = 2σ² − 2 alpha x0
            wk.Clear();
            var j = 0;
            for (; j <= length - 4; j += 4)
            {
                var row = (first + j) * m + first;
                SpectrumKernels.AddScaled4(wk, a.Slice(row, length), a.Slice(row + m, length), a.Slice(row + 2 * m, length),
                    a.Slice(row + 3 * m, length), vk[j], vk[j + 1], vk[j + 2], vk[j + 3]);
            }
            for (; j < length; j++)
                SpectrumKernels.AddScaled(wk, a.Slice((first + j) * m + first, length), vk[j]);
            double pv = 0;
            for (var i = 0; i < length; i++)
            {
                var p = wk[i] * beta;
                wk[i] = p;
                pv += p * vk[i];
            }
            var half = 0.5 * beta * pv;
            for (var i = 0; i < length; i++) wk[i] -= half * vk[i];
            for (var i = 0; i < length; i++)
                SpectrumKernels.SymmetricRankTwoRow(a.Slice((first + i) * m + first, length), vk, wk, i);
            offDiagonal[k] = alpha;
        }
        for (var i = 0; i < m; i++) diagonal[i] = a[i * m + i];
        if (m >= 2) offDiagonal[m - 2] = a[(m - 1) * m + (m - 2)];
        offDiagonal[m - 1] = 0;
    }

    /// <summary>
    /// Eigenvalues of the symmetric tridiagonal matrix (d, e), e[i] coupling d[i] and d[i+1], by the implicit QL method
    /// with Wilkinson shifts (Golub &amp; Van Loan §8.3.5; Numerical Recipes §11.3): deflate from the top, one shifted
    /// sweep of Givens rotations at a time until every off-diagonal is negligible. The eigenvalues replace d; e is
    /// destroyed.
    /// </summary>
    internal static void TridiagonalQl(Span<double> d, Span<double> e, int m)
    {
        for (var l = 0; l < m; l++)
        {
            for (var iteration = 0; ; iteration++)
            {
                int end;
                for (end = l; end < m - 1; end++)
                {
                    var scale = Math.Abs(d[end]) + Math.Abs(d[end + 1]);
                    if (Math.Abs(e[end]) + scale == scale) break;
                }
                if (end == l) break;
                if (iteration == 100) throw new ArithmeticException("implicit QL did not converge");

                var g = (d[l + 1] - d[l]) / (2 * e[l]);
                var r = SmallDenseLinearAlgebra.Hypot(g, 1);
                g = d[end] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
                double s = 1, c = 1, shift = 0;
                var deflated = false;
                for (var i = end - 1; i >= l; i--)
                {
                    var f = s * e[i];
                    var b = c * e[i];
                    r = SmallDenseLinearAlgebra.Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0)
                    {
                        // An exact zero split the matrix: undo the shift and restart on the smaller block.
                        d[i + 1] -= shift;
                        e[end] = 0;
                        deflated = true;
                        break;
                    }
                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - shift;
                    r = (d[i] - g) * s + 2 * c * b;
                    shift = s * r;
                    d[i + 1] = g + shift;
                    g = c * r - b;
                }
                if (deflated) continue;
                d[l] -= shift;
                e[l] = g;
                e[end] = 0;
            }
        }
    }

    /// <summary>
    /// The smallest and largest eigenvalue of the symmetric tridiagonal matrix (d, e) (e[i] couples i and i + 1) by
    /// bisection on Sturm counts (Golub &amp; Van Loan §8.4.1; LAPACK dstebz): the count of eigenvalues below x is the
    /// number of negative pivots of T − xI = LDLᵀ, q_0 = d_0 − x, q_i = d_i − x − e_{i−1}²/q_{i−1}, which is backward
    /// stable (Kahan 1966), so each bound is within a few ε‖T‖ of the exact eigenvalue; bisection stops at an interval
    /// of 2ε‖T‖. Starts from the Gershgorin interval; about 55 counts of m steps each per eigenvalue, the two searches
    /// interleaved. A NaN entry gives NaN for both.
    /// </summary>
    internal static (double Min, double Max) ExtremeTridiagonalEigenvalues(ReadOnlySpan<double> d, ReadOnlySpan<double> e, int m)
    {
        if (m == 0) return (double.NaN, double.NaN);
        double lower = double.PositiveInfinity, upper = double.NegativeInfinity, largestSquare = 0;
        for (var i = 0; i < m; i++)
        {
            var radius = (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < m - 1 ? Math.Abs(e[i]) : 0);
            lower = Math.Min(lower, d[i] - radius);
            upper = Math.Max(upper, d[i] + radius);
            if (i < m - 1) largestSquare = Math.Max(largestSquare, e[i] * e[i]);
            if (double.IsNaN(d[i]) || (i < m - 1 && double.IsNaN(e[i]))) return (double.NaN, double.NaN);
        }
        var norm = Math.Max(Math.Abs(lower), Math.Abs(upper));
        if (norm == 0) return (0, 0);
        // Smallest |pivot| allowed (dstebz's pivmin): a zero pivot is replaced by −pivmin.
        const double smallestNormal = 2.2250738585072014e-308;
        const double epsilon = 2.220446049250313e-16; // 2^−52
        var pivotFloor = smallestNormal * Math.Max(1.0, largestSquare);
        var tolerance = 2 * epsilon * norm;
        // Widen by the tolerance so that both ends are strict bounds despite rounding in the Gershgorin sums.
        lower -= tolerance;
        upper += tolerance;
        double minLow = lower, minHigh = upper, maxLow = lower, maxHigh = upper;
        for (var step = 0; step < 200; step++)
        {
            var minDone = minHigh - minLow <= tolerance;
            var maxDone = maxHigh - maxLow <= tolerance;
            if (minDone && maxDone) break;
            var minMiddle = 0.5 * (minLow + minHigh);
            var maxMiddle = 0.5 * (maxLow + maxHigh);
            // Two independent Sturm recurrences in one loop: their division chains overlap.
            double qMin = d[0] - minMiddle, qMax = d[0] - maxMiddle;
            if (Math.Abs(qMin) < pivotFloor) qMin = -pivotFloor;
            if (Math.Abs(qMax) < pivotFloor) qMax = -pivotFloor;
            int belowMin = qMin < 0 ? 1 : 0, belowMax = qMax < 0 ? 1 : 0;
            for (var i = 1; i < m; i++)
            {
                var square = e[i - 1] * e[i - 1];
                qMin = d[i] - minMiddle - square / qMin;
                qMax = d[i] - maxMiddle - square / qMax;
                if (Math.Abs(qMin) < pivotFloor) qMin = -pivotFloor;
                if (Math.Abs(qMax) < pivotFloor) qMax = -pivotFloor;
                belowMin += qMin < 0 ? 1 : 0;
                belowMax += qMax < 0 ? 1 : 0;
            }
            // λ_min < x ⇔ at least one eigenvalue below x; λ_max < x ⇔ all m below x.
            if (!minDone)
            {
                if (belowMin >= 1) minHigh = minMiddle;
                else minLow = minMiddle;
            }
            if (!maxDone)
            {
                if (belowMax >= m) maxHigh = maxMiddle;
                else maxLow = maxMiddle;
            }
        }
        return (0.5 * (minLow + minHigh), 0.5 * (maxLow + maxHigh));
    }
}
