using MathNet.Numerics.LinearAlgebra;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Randomness;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

public sealed class MeasurementWriterTests(ITestOutputHelper output)
{
    /// <summary>Jacobi and LAPACK-style EVD are both backward stable: ~m ε ‖A‖ apart; 1e-10 leaves a wide margin.</summary>
    private const double EigenvalueRelativeTolerance = 1e-10;

    /// <summary>Fractions k/n are computed as k·(1/n): one rounding.</summary>
    private const double FractionTolerance = 1e-15;

    // Hand-made layers for m = 3 (unit-major: row i holds z_{i;0}, z_{i;1}, z_{i;2}); an exact 0 is inactive.
    private static readonly double[] LayerOne =
    [
        1, 2, -1,
        0.5, -3, 0.7,
        -1, 0, 2,
        3, 1, 1,
    ];

    private static readonly double[] LayerTwo =
    [
        1, -1, 1,
        -2, -1, 0,
    ];

    [Fact]
    public void Layer_activity_gives_correlators_active_fractions_path_products_and_dead_flags()
    {
        var layout = MeasurementLayout.For(3, 2, hasConditionalCorrelator: false);
        var measurement = new double[layout.Count];
        Array.Fill(measurement, double.NaN); // BeginTrial and the layer writes must set every entry they own
        var counts = new int[3];
        MeasurementWriter.BeginTrial(layout, measurement);
        MeasurementWriter.WriteLayerActivity(layout, 1, LayerOne, 4, measurement, counts);
        MeasurementWriter.WriteLayerActivity(layout, 2, LayerTwo, 2, measurement, counts);

        // Layer 1: active units a0 {0,1,3}, a1 {0,3}, a2 {1,2,3}.
        Assert.Equal(0.75, measurement[layout.ActiveFraction(1, 0)], FractionTolerance);
        Assert.Equal(0.5, measurement[layout.ActiveFraction(1, 1)], FractionTolerance);
        Assert.Equal(0.75, measurement[layout.ActiveFraction(1, 2)], FractionTolerance);
        Assert.Equal(0.5, measurement[layout.Correlator(1, 0, 1)], FractionTolerance);
        Assert.Equal(0.5, measurement[layout.Correlator(1, 0, 2)], FractionTolerance);
        Assert.Equal(0.25, measurement[layout.Correlator(1, 1, 2)], FractionTolerance);
        // Layer 2: a0 {0}, a1 {} (dead), a2 {0}.
        Assert.Equal(0.5, measurement[layout.ActiveFraction(2, 0)], FractionTolerance);
        Assert.Equal(0.0, measurement[layout.ActiveFraction(2, 1)]);
        Assert.Equal(0.5, measurement[layout.ActiveFraction(2, 2)], FractionTolerance);
        Assert.Equal(0.0, measurement[layout.Correlator(2, 0, 1)]);
        Assert.Equal(0.5, measurement[layout.Correlator(2, 0, 2)], FractionTolerance);
        Assert.Equal(0.0, measurement[layout.Correlator(2, 1, 2)]);
        // Path products Π_l ĉ_l and dead flags.
        Assert.Equal(0.0, measurement[layout.PathProduct(0, 1)]);
        Assert.Equal(0.25, measurement[layout.PathProduct(0, 2)], FractionTolerance);
        Assert.Equal(0.0, measurement[layout.PathProduct(1, 2)]);
        Assert.Equal(new[] { 0.0, 1.0, 0.0 }, new[] { measurement[layout.DeadLayer(0)], measurement[layout.DeadLayer(1)], measurement[layout.DeadLayer(2)] });

        // A second trial in the same buffer starts afresh: only layer 1 this time, nobody dead.
        MeasurementWriter.BeginTrial(layout, measurement);
        MeasurementWriter.WriteLayerActivity(layout, 1, LayerOne, 4, measurement, counts);
        MeasurementWriter.WriteLayerActivity(layout, 2, LayerOne, 4, measurement, counts);
        Assert.Equal(0.25, measurement[layout.PathProduct(0, 1)], FractionTolerance);
        Assert.Equal(0.0, measurement[layout.DeadLayer(1)]);
    }

    [Fact]
    public void Conditional_correlator_is_the_hemisphere_value_of_the_previous_gram_matrix()
    {
        var layout = MeasurementLayout.For(3, 1, hasConditionalCorrelator: true);
        var measurement = new double[layout.Count];
        // h_0 ∥ h_1 (θ = 0), h_2 ⟂ both, then h_0 · h_1 at 60°, and a zero h.
        double[] gram = [1, 2, 0, 2, 4, 0, 0, 0, 9];
        MeasurementWriter.WriteConditionalCorrelator(layout, 1, gram, measurement);
        Assert.Equal(0.5, measurement[layout.CorrelatorCond(1, 0, 1)], 1e-15);
        Assert.Equal(0.25, measurement[layout.CorrelatorCond(1, 0, 2)], 1e-15);
        Assert.Equal(0.25, measurement[layout.CorrelatorCond(1, 1, 2)], 1e-15);

        double[] sixtyDegreesAndZero = [1, 0.5, 0, 0.5, 1, 0, 0, 0, 0];
        MeasurementWriter.WriteConditionalCorrelator(layout, 1, sixtyDegreesAndZero, measurement);
        Assert.Equal(1.0 / 3, measurement[layout.CorrelatorCond(1, 0, 1)], 1e-15);
        Assert.Equal(0.0, measurement[layout.CorrelatorCond(1, 0, 2)]);
        Assert.Equal(0.0, measurement[layout.CorrelatorCond(1, 1, 2)]);

        double[] antiParallel = [1, -1, 0, -1, 1, 0, 0, 0, 1];
        MeasurementWriter.WriteConditionalCorrelator(layout, 1, antiParallel, measurement);
        Assert.Equal(0.0, measurement[layout.CorrelatorCond(1, 0, 1)], 1e-15);
    }

    /// <summary>
    /// The conditional statistics of many pairs are computed four pairs at a time where vectors run: every value must be
    /// the bits of the scalar formula (PortableMath, pair by pair), for every pair count (the last step partly filled),
    /// with dead inputs (one or both of a pair), parallel and opposite ones (ρ = ±1 after clamping), and widths whose
    /// pattern probability underflows to subnormals and to 0.
    /// </summary>
    [Fact]
    public void Conditional_statistics_of_many_pairs_have_the_bits_of_the_scalar_formula()
    {
        var stream = Randomness.RandomStream.For(5, 0, 0);
        foreach (var width in new[] { 1, 64, 1000, 1100, 5000 })
            for (var m = 2; m <= 11; m++)
            {
                var layout = MeasurementLayout.For(m, 1, hasConditionalCorrelator: true);
                var measurement = new double[layout.Count];
                // h: random vectors in R^3, some zero, some parallel or opposite to another.
                var h = new double[m * 3];
                for (var a = 0; a < m; a++)
                {
                    var kind = stream.NextUniform();
                    for (var i = 0; i < 3; i++)
                        h[a * 3 + i] = kind < 0.15 ? 0.0
                            : kind < 0.3 && a > 0 ? (kind < 0.22 ? 2.5 : -0.5) * h[(a - 1) * 3 + i]
                            : stream.NextGaussian();
                }
                var gram = new double[m * m];
                for (var a = 0; a < m; a++)
                    for (var b = 0; b < m; b++)
                        for (var i = 0; i < 3; i++) gram[a * m + b] += h[a * 3 + i] * h[b * 3 + i];
                MeasurementWriter.WriteConditionalStatistics(layout, 1, gram, width, measurement);
                for (var a = 0; a < m; a++)
                    for (var b = a + 1; b < m; b++)
                    {
                        var (correlator, pattern) = ScalarConditional(gram[a * m + a], gram[b * m + b], gram[a * m + b], width);
                        Assert.Equal(BitConverter.DoubleToInt64Bits(correlator), BitConverter.DoubleToInt64Bits(measurement[layout.CorrelatorCond(1, a, b)]));
                        Assert.Equal(BitConverter.DoubleToInt64Bits(pattern), BitConverter.DoubleToInt64Bits(measurement[layout.PatternEqualCond(1, a, b)]));
                    }
            }

        // The formula of docs/numerics.md §11 and §14, one pair at a time.
        static (double Correlator, double Pattern) ScalarConditional(double gaa, double gbb, double gab, int width)
        {
            if (gaa <= 0 && gbb <= 0) return (0, 1);
            if (gaa <= 0 || gbb <= 0) return (0, LinearAlgebra.PortableMath.Exp(-width * 0.69314718055994530942));
            var angle = LinearAlgebra.PortableMath.Acos(Math.Clamp(gab / Math.Sqrt(gaa * gbb), -1.0, 1.0));
            var same = 1 - angle / Math.PI;
            return ((Math.PI - angle) / (2 * Math.PI),
                same > 0 ? LinearAlgebra.PortableMath.Exp(width * LinearAlgebra.PortableMath.Log(same)) : 0);
        }
    }

    [Fact]
    public void WriteKernel_writes_the_upper_triangle_and_the_spectrum()
    {
        var layout = MeasurementLayout.For(2, 1, hasConditionalCorrelator: false);
        var measurement = new double[layout.Count];
        var workspace = new double[2 * 2 + 2];
        MeasurementWriter.WriteKernel(layout, [2, 1, 1, 2], workspace, measurement);
        Assert.Equal(2.0, measurement[layout.Ntk(0, 0)]);
        Assert.Equal(1.0, measurement[layout.Ntk(0, 1)]);
        Assert.Equal(2.0, measurement[layout.Ntk(1, 1)]);
        Assert.Equal(3.0, measurement[layout.LambdaMaxIndex], 1e-14);
        Assert.Equal(1.0, measurement[layout.LambdaMinIndex], 1e-14);
        Assert.Equal(3.0, measurement[layout.ConditionIndex], 1e-14);

        MeasurementWriter.WriteKernel(layout, [1, 1, 1, 1], workspace, measurement); // coincident inputs: singular
        Assert.Equal(2.0, measurement[layout.LambdaMaxIndex], 1e-14);
        Assert.Equal(0.0, measurement[layout.LambdaMinIndex], 1e-14);
        Assert.Equal(MeasurementLayout.MaxConditionNumber, measurement[layout.ConditionIndex]);

        MeasurementWriter.WriteKernel(layout, [0, 0, 0, 0], workspace, measurement); // a dead network
        Assert.Equal(MeasurementLayout.MaxConditionNumber, measurement[layout.ConditionIndex]);
    }

    [Fact]
    public void SymmetricEigenvalues_agree_with_MathNet_on_random_symmetric_matrices()
    {
        const ulong seed = 8675309;
        output.WriteLine($"seed {seed}");
        foreach (var m in Enumerable.Range(1, 12).Concat([16, 31, 64, 100]))
        {
            for (var sample = 0; sample < 10; sample++)
            {
                var stream = RandomStream.For(seed, m, sample);
                var raw = new double[m * m];
                stream.FillGaussian(raw);
                var matrix = new double[m * m];
                for (var a = 0; a < m; a++)
                    for (var b = 0; b < m; b++)
                        matrix[a * m + b] = sample switch
                        {
                            0 => a == b ? 2.5 : 0,                                // repeated eigenvalue
                            1 => raw[a] * raw[b],                                 // rank one
                            _ => raw[Math.Min(a, b) * m + Math.Max(a, b)],        // general symmetric
                        };
                var expected = Matrix<double>.Build.Dense(m, m, (a, b) => matrix[a * m + b])
                    .Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).Order().ToArray();
                var eigenvalues = new double[m];
                SymmetricEigensolver.SymmetricEigenvalues(matrix.ToArray(), m, eigenvalues);
                var actual = eigenvalues.Order().ToArray();
                var scale = Math.Max(expected.Max(Math.Abs), 1e-300);
                for (var k = 0; k < m; k++)
                    Assert.True(Math.Abs(actual[k] - expected[k]) <= EigenvalueRelativeTolerance * scale,
                        $"m = {m}, sample {sample}, eigenvalue {k}: Jacobi {actual[k]:R}, MathNet {expected[k]:R}");
            }
        }
    }

    [Fact]
    public void WriteKernel_extreme_eigenvalues_by_bisection_agree_with_MathNet()
    {
        const ulong seed = 97531;
        output.WriteLine($"seed {seed}");
        foreach (var m in new[] { 8, 9, 13, 16, 31, 33, 64, 100, 128 })
        {
            var layout = MeasurementLayout.For(m, 1, hasConditionalCorrelator: false);
            var measurement = new double[layout.Count];
            var workspace = new double[m * m + m];
            for (var sample = 0; sample < 6; sample++)
            {
                var stream = RandomStream.For(seed, m, sample);
                var raw = new double[m * m];
                stream.FillGaussian(raw);
                var matrix = new double[m * m];
                for (var a = 0; a < m; a++)
                    for (var b = 0; b < m; b++)
                    {
                        var gram = 0.0;
                        for (var k = 0; k < m; k++) gram += raw[a * m + k] * raw[b * m + k];
                        matrix[a * m + b] = sample switch
                        {
                            0 => gram,                                            // positive definite, as K
                            1 => raw[a] * raw[b] + raw[m + a] * raw[m + b],       // rank two: λ_min = 0
                            2 => a == b ? 2.5 : 0,                                // repeated eigenvalue
                            3 => raw[Math.Min(a, b) * m + Math.Max(a, b)],        // indefinite
                            4 => 1e-3 * gram,                                     // small scale
                            _ => 0,                                               // a dead network: K = 0
                        };
                    }
                var expected = Matrix<double>.Build.Dense(m, m, (a, b) => matrix[a * m + b])
                    .Evd(Symmetricity.Symmetric).EigenValues.Select(c => c.Real).ToArray();
                MeasurementWriter.WriteKernel(layout, matrix, workspace, measurement);
                var scale = Math.Max(expected.Max(Math.Abs), 1e-300);
                var (min, max) = (expected.Min(), expected.Max());
                var actualMin = measurement[layout.LambdaMinIndex];
                var actualMax = measurement[layout.LambdaMaxIndex];
                Assert.True(Math.Abs(actualMax - max) <= EigenvalueRelativeTolerance * scale,
                    $"m = {m}, sample {sample}: λ_max {actualMax:R}, MathNet {max:R}");
                Assert.True(Math.Abs(actualMin - min) <= EigenvalueRelativeTolerance * scale,
                    $"m = {m}, sample {sample}: λ_min {actualMin:R}, MathNet {min:R}");
                if (sample == 5)
                {
                    Assert.Equal(0.0, actualMax);
                    Assert.Equal(0.0, actualMin);
                    Assert.Equal(MeasurementLayout.MaxConditionNumber, measurement[layout.ConditionIndex]);
                }
                if (sample == 0)
                    Assert.Equal(max / min, measurement[layout.ConditionIndex], max / min * 1e-9);
            }
        }
    }

    [Fact]
    public void Row_vectorized_tridiagonalization_equals_the_textbook_loop_bitwise()
    {
        // The row-oriented, vectorized Householder reduction does the textbook loop's scalar operations in its order
        // (SpectrumKernels), so on symmetric input the eigenvalues are bitwise those of the loop it replaced.
        const ulong seed = 1234;
        output.WriteLine($"seed {seed}");
        foreach (var m in new[] { 8, 9, 15, 16, 17, 31, 33, 64, 70, 128 })
        {
            for (var sample = 0; sample < 4; sample++)
            {
                var stream = RandomStream.For(seed, m, sample);
                var raw = new double[m * m];
                stream.FillGaussian(raw);
                var matrix = new double[m * m];
                for (var a = 0; a < m; a++)
                    for (var b = 0; b < m; b++)
                    {
                        var value = raw[Math.Min(a, b) * m + Math.Max(a, b)];
                        matrix[a * m + b] = sample switch
                        {
                            0 => value,                                          // general symmetric
                            1 => raw[a] * raw[b] + raw[m + a] * raw[m + b],      // rank two: exact zeros appear
                            2 => a == b ? 1 + a : Math.Abs(a - b) == 1 ? value : 0, // already tridiagonal
                            _ => a == 3 || b == 3 ? 0 : value,                   // a zero row and column
                        };
                    }
                var expected = new double[m];
                ReferenceTridiagonalQl(matrix.ToArray(), m, expected);
                var actual = new double[m];
                SymmetricEigensolver.TridiagonalQlEigenvalues(matrix.ToArray(), m, actual);
                for (var k = 0; k < m; k++)
                    Assert.True(BitConverter.DoubleToInt64Bits(expected[k]) == BitConverter.DoubleToInt64Bits(actual[k]),
                        $"m = {m}, sample {sample}, eigenvalue {k}: {actual[k]:R}, textbook loop {expected[k]:R}");
            }
        }
    }

    /// <summary>The tridiagonalization + implicit QL before row vectorization (commit 71dea1c), as the reference.</summary>
    private static void ReferenceTridiagonalQl(Span<double> a, int m, Span<double> eigenvalues)
    {
        Span<double> offDiagonal = m <= 1024 ? stackalloc double[m] : new double[m];
        Span<double> w = m <= 1024 ? stackalloc double[m] : new double[m];

        // 1. A = Q T Qᵀ. Step k zeroes column k below the subdiagonal with H = I − β v vᵀ acting on rows/columns k+1..;
        //    v is kept in column k (below the diagonal), the trailing block is updated as A −= v wᵀ + w vᵀ with
        //    p = β A v and w = p − (β pᵀv / 2) v.
        for (var k = 0; k < m - 2; k++)
        {
            double sigma2 = 0;
            for (var i = k + 1; i < m; i++) sigma2 += a[i * m + k] * a[i * m + k];
            if (sigma2 == 0)
            {
                offDiagonal[k] = 0;
                continue;
            }
            var sigma = Math.Sqrt(sigma2);
            var x0 = a[(k + 1) * m + k];
            var alpha = x0 >= 0 ? -sigma : sigma;        // H x = alpha e1; the sign avoids cancellation in v0
            a[(k + 1) * m + k] = x0 - alpha;               // v = x − alpha e1, stored in place of x
            var beta = 1.0 / (sigma2 - alpha * x0);        // 2 / vᵀv, since vᵀv = 2σ² − 2 alpha x0
            double pv = 0;
            for (var i = k + 1; i < m; i++)
            {
                double p = 0;
                for (var j = k + 1; j < m; j++) p += a[i * m + j] * a[j * m + k];
                p *= beta;
                w[i] = p;
                pv += p * a[i * m + k];
            }
            var half = 0.5 * beta * pv;
            for (var i = k + 1; i < m; i++) w[i] -= half * a[i * m + k];
            for (var i = k + 1; i < m; i++)
            {
                var vi = a[i * m + k];
                var wi = w[i];
                for (var j = k + 1; j <= i; j++)
                {
                    var updated = a[i * m + j] - vi * w[j] - wi * a[j * m + k];
                    a[i * m + j] = updated;
                    a[j * m + i] = updated;
                }
            }
            offDiagonal[k] = alpha;
        }
        for (var i = 0; i < m; i++) eigenvalues[i] = a[i * m + i];
        if (m >= 2) offDiagonal[m - 2] = a[(m - 1) * m + (m - 2)];
        offDiagonal[m - 1] = 0;

        // 2. Implicit QL on (d, e), e[i] coupling d[i] and d[i+1]: deflate from the top, one Wilkinson-shifted sweep of
        //    Givens rotations at a time until every off-diagonal is negligible.
        var d = eigenvalues;
        var e = offDiagonal;
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
                var r = ReferenceHypotenuse(g, 1);
                g = d[end] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
                double s = 1, c = 1, shift = 0;
                var deflated = false;
                for (var i = end - 1; i >= l; i--)
                {
                    var f = s * e[i];
                    var b = c * e[i];
                    r = ReferenceHypotenuse(f, g);
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


    private static double ReferenceHypotenuse(double x, double y)
    {
        var ax = Math.Abs(x);
        var ay = Math.Abs(y);
        if (ax > ay) return ax * Math.Sqrt(1 + (ay / ax) * (ay / ax));
        return ay == 0 ? 0 : ay * Math.Sqrt(1 + (ax / ay) * (ax / ay));
    }
}
