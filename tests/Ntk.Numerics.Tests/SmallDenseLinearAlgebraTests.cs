using MathNet.Numerics.LinearAlgebra;
using Ntk.Numerics.LinearAlgebra;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

public sealed class SmallDenseLinearAlgebraTests
{
    /// <summary>Reconstruction and orthogonality: Householder QR and pivoted Cholesky are backward stable, so the
    /// residuals are a small multiple of ε·‖A‖ for these sizes (≤ 40 rows).</summary>
    private const double FactorizationTolerance = 1e-12;

    /// <summary>Rank cut used by the sampler (ConditionalGaussianSampler.QrRankTolerance).</summary>
    private const double RankTolerance = 1e-13;

    private readonly ITestOutputHelper _output;

    public SmallDenseLinearAlgebraTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Shapes() =>
    [
        [1, 1], [5, 1], [1, 3], [2, 4], [4, 4], [7, 3], [12, 5], [40, 6],
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Pivoted_QR_of_a_full_rank_matrix_reconstructs_it_with_orthogonal_Q(int rows, int cols)
    {
        const int seed = 11;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed + 31 * rows + cols);
        var a = RandomMatrix(random, rows, cols);

        var (rank, q, r, pivots) = Factor(a);

        Assert.Equal(Math.Min(rows, cols), rank);
        AssertOrthogonal(q);
        AssertReconstructs(a, q, r, pivots, rank);
        // Pivoting makes |R_00| ≥ |R_11| ≥ … (each pivot is the largest residual column).
        for (var k = 1; k < rank; k++) Assert.True(Math.Abs(r[k, k]) <= Math.Abs(r[k - 1, k - 1]) * (1 + 1e-12));
    }

    public static IEnumerable<object[]> RankDeficientCases() =>
    [
        ["duplicate columns", 6, new[] { 0, 1, 0, 2 }, new[] { 1.0, 1.0, 1.0, 1.0 }],
        ["opposite columns", 5, new[] { 0, 0 }, new[] { 1.0, -1.0 }],
        ["zero column", 5, new[] { 0, -1, 1 }, new[] { 1.0, 1.0, 2.0 }],
        ["parallel, scaled", 8, new[] { 0, 1, 1, 0, 2 }, new[] { 1.0, 3.0, -0.5, 1e-3, 1.0 }],
        ["all zero", 4, new[] { -1, -1 }, new[] { 1.0, 1.0 }],
        ["more columns than rows", 2, new[] { 0, 1, 2, 3 }, new[] { 1.0, 1.0, 1.0, 1.0 }],
    ];

    /// <summary>
    /// Columns built as scale_j · b_{source_j} from a few random base vectors (source −1 = zero column); the rank is
    /// that of MathNet's SVD, and Q_r Q_rᵀ is the orthogonal projector A A⁺ onto the column space.
    /// </summary>
    [Theory]
    [MemberData(nameof(RankDeficientCases))]
    public void Pivoted_QR_finds_the_rank_of_a_deficient_matrix_and_spans_its_column_space(
        string name, int rows, int[] sources, double[] scales)
    {
        const int seed = 5;
        _output.WriteLine($"case {name}, seed {seed}");
        var random = new Random(seed);
        var cols = sources.Length;
        var bases = RandomMatrix(random, rows, 4);
        var a = Matrix<double>.Build.Dense(rows, cols);
        for (var j = 0; j < cols; j++)
            if (sources[j] >= 0)
                a.SetColumn(j, bases.Column(sources[j] % bases.ColumnCount) * scales[j]);

        var (rank, q, r, pivots) = Factor(a);

        var expectedRank = a.FrobeniusNorm() == 0 ? 0 : a.Svd().Rank;
        Assert.Equal(expectedRank, rank);
        AssertOrthogonal(q);
        AssertReconstructs(a, q, r, pivots, rank);
        var qr = q.SubMatrix(0, rows, 0, rank);
        var projector = qr * qr.Transpose();
        // MathNet's pseudo-inverse of the zero matrix is NaN; its projector is 0.
        var expected = rank == 0 ? Matrix<double>.Build.Dense(rows, rows) : a * a.PseudoInverse();
        Assert.True((projector - expected).FrobeniusNorm() <= FactorizationTolerance * rows,
            $"projector differs by {(projector - expected).FrobeniusNorm():e3}");
    }

    [Fact]
    public void Applying_Q_then_Q_transpose_is_the_identity_and_keeps_zero_columns_exactly_zero()
    {
        const int seed = 17;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        const int rows = 9, cols = 3, width = 4;
        var a = RandomMatrix(random, rows, cols);
        var packed = ColumnMajor(a);
        var tau = new double[cols];
        var rank = SmallDenseLinearAlgebra.PivotedQr(packed, rows, cols, RankTolerance, tau, new int[cols], new double[cols]);

        // T column-major rows × width; column 2 is zero.
        var t = new double[rows * width];
        for (var c = 0; c < width; c++)
            for (var i = 0; i < rows; i++)
                t[c * rows + i] = c == 2 ? 0 : random.NextDouble() - 0.5;
        var original = (double[])t.Clone();

        SmallDenseLinearAlgebra.ApplyQ(packed, rows, rank, tau, t, width);
        for (var i = 0; i < rows; i++) Assert.Equal(0.0, t[2 * rows + i]);
        Assert.NotEqual(original[0], t[0]);
        SmallDenseLinearAlgebra.ApplyQTranspose(packed, rows, rank, tau, t, width);

        for (var e = 0; e < t.Length; e++) Assert.Equal(original[e], t[e], FactorizationTolerance);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(12)]
    public void Pivoted_Cholesky_of_a_positive_definite_matrix_reconstructs_it(int m)
    {
        const int seed = 23;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed + m);
        var b = RandomMatrix(random, m + 3, m);
        var matrix = b.TransposeThisAndMultiply(b);

        var (rank, factor) = Cholesky(matrix);

        Assert.Equal(m, rank);
        AssertClose(matrix, factor * factor.Transpose(), FactorizationTolerance * matrix.FrobeniusNorm());
        // F is a row permutation of MathNet's lower Cholesky factor up to column signs: same Gram matrix F Fᵀ, and
        // det(F Fᵀ) agrees with MathNet's determinant.
        Assert.Equal(matrix.Cholesky().Determinant, (factor * factor.Transpose()).Determinant(), 1e-9 * matrix.Determinant());
    }

    [Fact]
    public void Pivoted_Cholesky_of_a_semidefinite_matrix_stops_at_its_rank_and_keeps_zero_rows_exactly_zero()
    {
        const int seed = 29;
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        const int m = 6;
        // Columns: b0, b1, b0 (tie), 0, b0 + b1, −b1 → rank 2, row/column 3 zero.
        var bases = RandomMatrix(random, 10, 2);
        var x = Matrix<double>.Build.Dense(10, m);
        x.SetColumn(0, bases.Column(0));
        x.SetColumn(1, bases.Column(1));
        x.SetColumn(2, bases.Column(0));
        x.SetColumn(4, bases.Column(0) + bases.Column(1));
        x.SetColumn(5, -bases.Column(1));
        var matrix = x.TransposeThisAndMultiply(x);

        var (rank, factor) = Cholesky(matrix);

        Assert.Equal(2, rank);
        for (var k = 0; k < m; k++) Assert.Equal(0.0, factor[3, k]);
        for (var k = rank; k < m; k++)
            for (var a = 0; a < m; a++) Assert.Equal(0.0, factor[a, k]);
        AssertClose(matrix, factor * factor.Transpose(), FactorizationTolerance * matrix.FrobeniusNorm());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    public void Solves_with_a_pivoted_Cholesky_factor_invert_F_and_its_transpose(int m)
    {
        // The conditional engine's Gram path (docs/numerics.md §13) solves F u = v and Fᵀ c = y with the factor of
        // HᵀH; the pivot order must make F triangular in the order the solves walk it.
        var random = new Random(40 + m);
        var h = Matrix<double>.Build.Dense(m + 3, m, (_, _) => random.NextDouble() * 2 - 1);
        var gram = h.TransposeThisAndMultiply(h);
        var values = new double[m * m];
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++) values[a * m + b] = gram[a, b];
        var factor = new double[m * m];
        var pivots = new int[m];
        Assert.Equal(m, SmallDenseLinearAlgebra.PivotedCholesky(values, m, RankTolerance, factor, new double[m * m], new bool[m], pivots));
        Assert.Equal(Enumerable.Range(0, m), pivots.Order());
        for (var k = 0; k < m; k++)
            for (var j = k + 1; j < m; j++) Assert.Equal(0.0, factor[pivots[k] * m + j]); // row p_k is zero beyond column k
        var f = Matrix<double>.Build.Dense(m, m, (a, k) => factor[a * m + k]);
        var v = Enumerable.Range(0, m).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        var u = new double[m];
        SmallDenseLinearAlgebra.SolvePivotedLower(factor, m, pivots, v, u);
        var c = new double[m];
        SmallDenseLinearAlgebra.SolvePivotedLowerTransposed(factor, m, pivots, v, c);
        var scale = f.L1Norm() * Math.Max(Vector<double>.Build.Dense(u).L1Norm(), Vector<double>.Build.Dense(c).L1Norm());
        AssertClose(Matrix<double>.Build.Dense(m, 1, v), f * Matrix<double>.Build.Dense(m, 1, u), 1e-14 * scale);
        AssertClose(Matrix<double>.Build.Dense(m, 1, v), f.Transpose() * Matrix<double>.Build.Dense(m, 1, c), 1e-14 * scale);
    }

    [Fact]
    public void Pivoted_Cholesky_of_the_zero_matrix_has_rank_zero()
    {
        var (rank, factor) = Cholesky(Matrix<double>.Build.Dense(3, 3));
        Assert.Equal(0, rank);
        Assert.All(factor.Enumerate(), v => Assert.Equal(0.0, v));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(11)]
    public void Dot_and_axpy_match_a_naive_loop_at_every_length(int length)
    {
        var random = new Random(length);
        var x = Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5).ToArray();
        var y = Enumerable.Range(0, length + 2).Select(_ => random.NextDouble() - 0.5).ToArray();
        var expected = 0.0;
        for (var i = 0; i < length; i++) expected += x[i] * y[i];
        Assert.Equal(expected, SmallDenseLinearAlgebra.Dot(x, y), 1e-15);

        var updated = (double[])y.Clone();
        SmallDenseLinearAlgebra.Axpy(-2.5, x, updated);
        for (var i = 0; i < y.Length; i++) Assert.Equal(i < length ? y[i] - 2.5 * x[i] : y[i], updated[i], 1e-15);
    }

    [Theory]
    [InlineData(1e-200)]
    [InlineData(1.0)]
    [InlineData(1e200)]
    public void Norm_neither_overflows_nor_underflows(double scale)
    {
        double[] x = [3 * scale, 4 * scale];
        Assert.Equal(5 * scale, SmallDenseLinearAlgebra.Norm(x), 5 * scale * 1e-15);
    }

    private static (int Rank, Matrix<double> Q, Matrix<double> R, int[] Pivots) Factor(Matrix<double> a)
    {
        int rows = a.RowCount, cols = a.ColumnCount;
        var packed = ColumnMajor(a);
        var tau = new double[cols];
        var pivots = new int[cols];
        var rank = SmallDenseLinearAlgebra.PivotedQr(packed, rows, cols, RankTolerance, tau, pivots, new double[cols]);

        // Q = Q · I (column-major rows × rows).
        var identity = new double[rows * rows];
        for (var i = 0; i < rows; i++) identity[i * rows + i] = 1;
        SmallDenseLinearAlgebra.ApplyQ(packed, rows, rank, tau, identity, rows);
        var q = Matrix<double>.Build.Dense(rows, rows, (i, j) => identity[j * rows + i]);
        var r = Matrix<double>.Build.Dense(rank, cols, (k, p) => k <= p ? packed[p * rows + k] : 0);
        return (rank, q, r, pivots);
    }

    private static (int Rank, Matrix<double> Factor) Cholesky(Matrix<double> matrix)
    {
        var m = matrix.RowCount;
        var values = new double[m * m];
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++) values[a * m + b] = matrix[a, b];
        var factor = new double[m * m];
        var rank = SmallDenseLinearAlgebra.PivotedCholesky(values, m, RankTolerance, factor, new double[m * m], new bool[m]);
        return (rank, Matrix<double>.Build.Dense(m, m, (a, k) => factor[a * m + k]));
    }

    private static void AssertReconstructs(Matrix<double> a, Matrix<double> q, Matrix<double> r, int[] pivots, int rank)
    {
        var permuted = Matrix<double>.Build.Dense(a.RowCount, a.ColumnCount, (i, p) => a[i, pivots[p]]);
        var product = q.SubMatrix(0, a.RowCount, 0, rank) * r;
        AssertClose(permuted, product, FactorizationTolerance * Math.Max(1, a.FrobeniusNorm()));
    }

    private static void AssertOrthogonal(Matrix<double> q)
    {
        var gram = q.TransposeThisAndMultiply(q);
        AssertClose(Matrix<double>.Build.DenseIdentity(q.ColumnCount), gram, FactorizationTolerance);
    }

    private static void AssertClose(Matrix<double> expected, Matrix<double> actual, double tolerance)
    {
        var difference = (expected - actual).FrobeniusNorm();
        Assert.True(difference <= tolerance, $"‖expected − actual‖_F = {difference:e3} > {tolerance:e3}");
    }

    private static Matrix<double> RandomMatrix(Random random, int rows, int cols) =>
        Matrix<double>.Build.Dense(rows, cols, (_, _) => 2 * random.NextDouble() - 1);

    private static double[] ColumnMajor(Matrix<double> a) => a.ToColumnMajorArray();
}
