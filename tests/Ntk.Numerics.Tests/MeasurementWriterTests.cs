using MathNet.Numerics.LinearAlgebra;
using Ntk.Numerics.Kernels;
using Ntk.Numerics.MonteCarlo;
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

    [Fact]
    public void Gram_equals_a_naive_triple_loop()
    {
        var stream = RandomStream.For(3, 1, 4);
        const int rows = 7, m = 4;
        var h = new double[rows * m];
        stream.FillGaussian(h);
        h[5] = 0; // zero entries are skipped by the writer's loop
        var gram = new double[m * m];
        MeasurementWriter.Gram(h, rows, m, gram);
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++)
            {
                var expected = 0.0;
                for (var i = 0; i < rows; i++) expected += h[i * m + a] * h[i * m + b];
                Assert.Equal(expected, gram[a * m + b], 1e-13);
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
                MeasurementWriter.SymmetricEigenvalues(matrix.ToArray(), m, eigenvalues);
                var actual = eigenvalues.Order().ToArray();
                var scale = Math.Max(expected.Max(Math.Abs), 1e-300);
                for (var k = 0; k < m; k++)
                    Assert.True(Math.Abs(actual[k] - expected[k]) <= EigenvalueRelativeTolerance * scale,
                        $"m = {m}, sample {sample}, eigenvalue {k}: Jacobi {actual[k]:R}, MathNet {expected[k]:R}");
            }
        }
    }
}
