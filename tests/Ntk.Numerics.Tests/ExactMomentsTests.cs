using Ntk.Numerics.Claims;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The exact finite-width oracles of results.csv (<see cref="ExactMoments"/>, docs/numerics.md §10) against Monte
/// Carlo: every exact mean and variance within |z| ≤ 5 at several seeds, and the coverage of the reported SE of the
/// mean (fraction of |z| ≤ 2) near 95% over more than 100 comparisons.
/// </summary>
public sealed class ExactMomentsTests(ITestOutputHelper output)
{
    private const double MaxAbsZ = 5;

    private static readonly (int InputDim, int[] Widths, double ThetaDegrees, WeightLaw Law)[] Cases =
    [
        (3, [4], 60, WeightLaw.Gaussian),
        (5, [2], 120, WeightLaw.Gaussian),
        (10, [16], 30, WeightLaw.Gaussian),
        (3, [3, 2, 5], 45, WeightLaw.Gaussian),
        (4, [2, 3], 100, WeightLaw.Uniform),
        (3, [1, 2, 2], 80, WeightLaw.Laplace),
    ];

    [Fact]
    public void Exact_means_and_variances_agree_with_Monte_Carlo_and_the_standard_errors_cover()
    {
        const int seeds = 6;
        const int trials = 3000;
        var meanZ = new List<double>();
        var worst = 0.0;
        foreach (var (inputDim, widths, theta, law) in Cases)
        {
            for (var s = 0; s < seeds; s++)
            {
                var point = new PointDefinition(0, new NetworkSpec(inputDim, [.. widths], law),
                    InputSet.Pair(inputDim, theta * Math.PI / 180), EngineKind.Auto, 77_000 + (ulong)s);
                var merged = ShardRunner.Run(point.CreateSampler(), 0, trials);
                for (var i = 0; i < point.Layout.Count; i++)
                {
                    var key = point.Layout.Keys[i];
                    var (mean, variance) = ExactMoments.For(point, key);
                    if (mean is not { } exact) continue;
                    var what = $"{law.Name} {string.Join("x", widths)} θ = {theta}° seed {s} {key}";
                    if (variance == 0)
                    {
                        // A statistic without sampling noise (the conditional correlator at layer 1).
                        Assert.True(Math.Abs(merged.Mean(i) - exact) <= 1e-12, $"{what}: {merged.Mean(i):R} vs {exact:R}");
                        continue;
                    }
                    if (merged.StandardError(i) == 0)
                    {
                        // A rare event never seen (a dead layer of width 16 has probability 2^−16): the normal
                        // approximation does not apply; its exact variance must say that seeing nothing is likely.
                        Assert.True(variance * trials <= 0.1, $"{what}: constant {merged.Mean(i):R}, exact {exact:G6} ± √{variance:G3}");
                        continue;
                    }
                    var z = (merged.Mean(i) - exact) / merged.StandardError(i);
                    meanZ.Add(z);
                    worst = Math.Max(worst, Math.Abs(z));
                    Assert.True(Math.Abs(z) <= MaxAbsZ, $"{what}: mean {merged.Mean(i):G6} ± {merged.StandardError(i):G3}, exact {exact:G6}, z = {z:F2}");
                    if (variance is { } v)
                    {
                        // SE of the sample variance ≈ s²·√((G2 + 2)/n), G2 the excess kurtosis; G2 + 2 is floored at
                        // 0.05 because a fair coin (width 1) has G2 = −2 and its sample variance is still not exact.
                        var s2 = merged.Variance(i);
                        var se = s2 * Math.Sqrt(Math.Max(merged.Kurtosis(i) + 2, 0.05) / trials);
                        var zv = (s2 - v) / se;
                        worst = Math.Max(worst, Math.Abs(zv));
                        Assert.True(Math.Abs(zv) <= MaxAbsZ, $"{what}: variance {s2:G6} ± {se:G3}, exact {v:G6}, z = {zv:F2}");
                    }
                }
            }
        }
        var coverage = meanZ.Count(z => Math.Abs(z) <= 2) / (double)meanZ.Count;
        output.WriteLine($"{meanZ.Count} mean comparisons, coverage of ±2 SE {coverage:P1}, largest |z| {worst:F2}");
        Assert.True(meanZ.Count >= 100, $"only {meanZ.Count} comparisons");
        // 95.4% expected; with ≥ 100 comparisons (correlated within a run) 0.88–0.995 is a wide, still failing band.
        Assert.InRange(coverage, 0.88, 0.995);
    }

    [Theory]
    [InlineData(3, new[] { 4, 3, 5 }, 50.0)]
    [InlineData(5, new[] { 2, 6 }, 100.0)]
    public void The_Rao_Blackwellized_pattern_probability_estimates_the_pattern_coincidence_at_every_layer(int inputDim, int[] widths, double theta)
    {
        // E[(1 − θ̂_{l−1}/π)^{n_l}] = P(layer-l patterns coincide): the conditional estimator and the indicator
        // estimate the same mean; their difference has an SE at most the sum of the two.
        var point = new PointDefinition(0, new NetworkSpec(inputDim, [.. widths], WeightLaw.Gaussian),
            InputSet.Pair(inputDim, theta * Math.PI / 180), EngineKind.Conditional, 4242);
        var merged = ShardRunner.Run(point.CreateSampler(), 0, 20_000);
        var layout = point.Layout;
        for (var l = 1; l <= widths.Length; l++)
        {
            var direct = layout.PatternEqual(l, 0, 1);
            var conditional = layout.PatternEqualCond(l, 0, 1);
            var difference = merged.Mean(direct) - merged.Mean(conditional);
            var error = merged.StandardError(direct) + merged.StandardError(conditional);
            output.WriteLine($"layer {l}: indicator {merged.Mean(direct):G5} ± {merged.StandardError(direct):G2}, " +
                             $"conditional {merged.Mean(conditional):G5} ± {merged.StandardError(conditional):G2}");
            Assert.True(Math.Abs(difference) <= MaxAbsZ * error, $"layer {l}: {difference:G3} vs {error:G3}");
            Assert.True(merged.StandardError(conditional) <= merged.StandardError(direct), "Rao–Blackwellization must not add variance");
        }
    }

    [Fact]
    public void Depth_one_kernel_formulas_have_their_closed_forms()
    {
        // Diagonal: Var K / E[K]² = 3/n1; the mean is the arc-cosine Θ of both inputs.
        var x = new double[] { 0.6, 0.8, 0 };
        var (mean, variance) = ExactMoments.DepthOneKernel(x, x, 7);
        Assert.Equal(AnalyticNtk.ExactDiagonal(x, 1), mean, 14);
        Assert.Equal(3.0 / 7, variance / (mean * mean), 12);
        var pair = InputSet.Pair(3, 1.1);
        var (m01, v01) = ExactMoments.DepthOneKernel(pair.Input(0), pair.Input(1), 5);
        Assert.Equal(AnalyticNtk.DepthOneTheta(pair.Input(0), pair.Input(1)), m01, 14);
        Assert.True(v01 > 0);
        // Antipodal inputs: K_01 = 0 in every network.
        var antipodal = new double[] { -0.6, -0.8, 0 };
        var (m, v) = ExactMoments.DepthOneKernel(x, antipodal, 5);
        Assert.Equal(0, m, 14);
        Assert.Equal(0, v, 14);
        Assert.Equal((null, null), ExactMoments.For(
            new PointDefinition(0, NetworkSpec.Uniform(3, 2, 4, WeightLaw.Rademacher), pair, EngineKind.Dense, 1),
            new StatisticKey(StatisticKind.DeadLayer, 0, 0, -1)));
    }
}
