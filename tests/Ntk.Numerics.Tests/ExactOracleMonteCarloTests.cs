using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The dense sampler against the exact finite-width facts of docs/science.md §5, by Monte Carlo at fixed seeds.
/// Means and standard errors come from a local Welford loop (Support/RunningMoments).
/// </summary>
public sealed class ExactOracleMonteCarloTests(ITestOutputHelper output)
{
    /// <summary>Monte Carlo tolerance of the project: |z| ≤ 5 (docs/architecture.md §5).</summary>
    private const double MaxAbsZ = 5;

    private const ulong MasterSeed = 1_000_003;

    /// <summary>For a statistic that is constant over networks: the oracle's own rounding (θ = π gives ~1e-17).</summary>
    private const double ConstantRelativeTolerance = 1e-14;

    public static TheoryData<int, int[]> DiagonalCases => new()
    {
        { 3, [2] },
        { 2, [2, 2] },
        { 3, [2, 8, 3] },
        { 4, [8, 8, 8] },
        { 5, [16, 4, 16, 2] },
    };

    [Theory]
    [MemberData(nameof(DiagonalCases))]
    public void Mean_diagonal_kernel_is_two_times_depth_plus_one_over_n0_for_gaussian_weights(int inputDim, int[] widths)
    {
        var network = new NetworkSpec(inputDim, [.. widths], WeightLaw.Gaussian);
        var moments = Run(network, InputSet.Pair(inputDim, Math.PI / 3), 30_000, (layout, m) => [layout.Ntk(0, 0), layout.Ntk(1, 1)]);
        var exact = 2.0 * (network.Depth + 1) / inputDim; // ‖x‖ = 1
        AssertZ(moments[0], exact, "E[K_00]");
        AssertZ(moments[1], exact, "E[K_11]");
    }

    [Theory]
    [InlineData(3, new[] { 2, 8, 3 })]
    [InlineData(4, new[] { 8, 8 })]
    public void Mean_diagonal_kernel_is_two_times_depth_plus_one_over_n0_for_uniform_weights(int inputDim, int[] widths)
    {
        var network = new NetworkSpec(inputDim, [.. widths], WeightLaw.Uniform);
        var moments = Run(network, InputSet.Pair(inputDim, 2.0), 30_000, (layout, m) => [layout.Ntk(0, 0), layout.Ntk(1, 1)]);
        var exact = 2.0 * (network.Depth + 1) / inputDim;
        AssertZ(moments[0], exact, "E[K_00]");
        AssertZ(moments[1], exact, "E[K_11]");
    }

    [Fact]
    public void The_paper_corollary_value_for_the_diagonal_is_rejected()
    {
        // Power check: Corollary 1.1's 2L‖x‖²/n0 misses one layer; the same estimator must reject it clearly.
        var network = new NetworkSpec(3, [2], WeightLaw.Gaussian);
        var moments = Run(network, InputSet.Pair(3, Math.PI / 3), 30_000, (layout, m) => [layout.Ntk(0, 0)]);
        var corollary = 2.0 * network.Depth / 3;
        var z = moments[0].ZScore(corollary);
        output.WriteLine($"corollary value {corollary}: z = {z:F1}");
        Assert.True(Math.Abs(z) > 4 * MaxAbsZ, $"the wrong value {corollary} is not rejected (z = {z:F1})");
    }

    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(2, Math.PI / 4)]
    [InlineData(2, Math.PI / 2)]
    [InlineData(16, Math.PI / 4)]
    [InlineData(16, 2 * Math.PI / 3)]
    [InlineData(16, Math.PI)]
    [InlineData(5, 2.5)]
    public void One_hidden_layer_mean_kernel_equals_the_arc_cosine_kernel_at_every_width(int width, double theta)
    {
        const int inputDim = 3;
        var network = new NetworkSpec(inputDim, [width], WeightLaw.Gaussian);
        var moments = Run(network, InputSet.Pair(inputDim, theta), 40_000, (layout, m) => [layout.Ntk(0, 1)]);
        var exact = 2.0 / inputDim * (2 * (Math.PI - theta) * Math.Cos(theta) + Math.Sin(theta)) / Math.PI;
        AssertZ(moments[0], exact, $"E[K_01] at θ = {theta:F4}, width {width}");
    }

    [Theory]
    [InlineData(2, Math.PI / 3)]
    [InlineData(2, 3 * Math.PI / 4)]
    [InlineData(5, Math.PI / 3)]
    [InlineData(5, Math.PI / 2)]
    public void First_layer_correlator_is_pi_minus_theta_over_two_pi_for_gaussian_weights(int inputDim, double theta)
    {
        var network = new NetworkSpec(inputDim, [3, 4], WeightLaw.Gaussian);
        var moments = Run(network, InputSet.Pair(inputDim, theta), 40_000,
            (layout, m) => [layout.Correlator(1, 0, 1), layout.CorrelatorCond(2, 0, 1), layout.Correlator(2, 0, 1)]);
        AssertZ(moments[0], (Math.PI - theta) / (2 * Math.PI), $"c_1 at θ = {theta:F4}, n0 = {inputDim}");
        // The Rao–Blackwellized correlator of layer 2 estimates the same mean as the empirical one.
        var difference = moments[2].Mean - moments[1].Mean;
        var error = Math.Sqrt(moments[1].StandardError * moments[1].StandardError + moments[2].StandardError * moments[2].StandardError);
        output.WriteLine($"c_2 empirical {moments[2].Mean:G6}, conditional {moments[1].Mean:G6}");
        Assert.True(Math.Abs(difference) <= MaxAbsZ * error, $"c_2: empirical {moments[2].Mean:R} vs conditional {moments[1].Mean:R}");
    }

    private RunningMoments[] Run(
        NetworkSpec network, InputSet inputs, int trials, Func<MeasurementLayout, int, int[]> indicesOf)
    {
        var point = new PointDefinition(0, network, inputs, EngineKind.Dense, MasterSeed);
        output.WriteLine($"seed {MasterSeed}, point 0, n0 = {network.InputDim}, widths {network.WidthsLabel}, " +
                         $"law {network.Law.Name}, {trials} trials");
        var sampler = new DenseSampler(point);
        var indices = indicesOf(sampler.Layout, inputs.Count);
        var moments = indices.Select(_ => new RunningMoments()).ToArray();
        var measurement = new double[sampler.Layout.Count];
        for (var trial = 0; trial < trials; trial++)
        {
            sampler.Sample(trial, measurement);
            for (var k = 0; k < indices.Length; k++) moments[k].Push(measurement[indices[k]]);
        }
        return moments;
    }

    private void AssertZ(RunningMoments moments, double exact, string what)
    {
        if (moments.StandardError == 0)
        {
            // Every network gave the same value (e.g. K_01 = 0 for antipodal inputs): an exact comparison.
            output.WriteLine($"{what}: every trial gave {moments.Mean:R}, exact {exact:R}");
            Assert.True(Math.Abs(moments.Mean - exact) <= ConstantRelativeTolerance * Math.Max(1, Math.Abs(exact)),
                $"{what}: every trial gave {moments.Mean:R}, exact {exact:R}");
            return;
        }
        var z = moments.ZScore(exact);
        output.WriteLine($"{what}: measured {moments.Mean:G6} ± {moments.StandardError:G3}, exact {exact:G6}, z = {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"{what}: measured {moments.Mean:R} ± {moments.StandardError:R}, exact {exact:R}, z = {z:F2}");
    }
}
