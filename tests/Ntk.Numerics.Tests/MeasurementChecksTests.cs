using Ntk.Numerics.Analytic;
using Ntk.Numerics.Claims;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;
using Xunit;
using static Ntk.Numerics.Tests.Support.PairPoints;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The two checks of the measurement in the claims output (docs/numerics.md §7.5): Jensen's inequality on the spectrum,
/// E[λ_max] ≥ λ_max(E K), and the variance of the off-diagonal NTK against its exact L = 1 value.
/// </summary>
public sealed class MeasurementChecksTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 4, 45.0)]
    [InlineData(2, 4, 90.0)]
    [InlineData(3, 32, 135.0)]
    [InlineData(1, 16, 0.0)]
    public void Jensen_holds_on_the_spectrum_and_the_predicted_side_is_the_top_eigenvalue_of_the_mean_kernel(int depth, int width, double theta)
    {
        var point = Point(6, depth, width, theta, 31);
        var merged = Sample(point, 3_000);
        var layout = point.Layout;
        var check = ClaimEvaluator.Evaluate(point, merged).Single(c => c.ClaimId == ClaimIds.JensenSpectrum);
        // 2×2 closed form of the top eigenvalue of the mean matrix: (a + c)/2 + √(((a − c)/2)² + b²).
        double a = merged.Mean(layout.Ntk(0, 0)), b = merged.Mean(layout.Ntk(0, 1)), c = merged.Mean(layout.Ntk(1, 1));
        var top = (a + c) / 2 + Math.Sqrt((a - c) * (a - c) / 4 + b * b);
        output.WriteLine($"L = {depth}, n = {width}, θ = {theta}: E[λ_max] = {check.Measured:G6}, λ_max(E K) = {check.Predicted:G6}, σ = {check.StandardError:G3}, z = {check.Z:F2}");
        Assert.Equal(top, check.Predicted, 1e-12 * top);
        Assert.Equal(merged.Mean(layout.LambdaMaxIndex), check.Measured);
        Assert.Equal(new StatisticKey(StatisticKind.LambdaMax, 0, -1, -1), check.Statistic);
        Assert.Equal(ClaimVerdict.Holds, check.Verdict);
        Assert.True(check.Z >= -5);
        // Jensen's gap is strictly positive unless K is rank one in every network along one fixed direction (θ = 0).
        if (theta > 0) Assert.True(check.Measured > check.Predicted);
    }

    [Fact]
    public void A_mean_kernel_above_the_mean_top_eigenvalue_fails_the_Jensen_check()
    {
        // Synthetic states: every network has K = [[1, 0], [0, 1]] ± noise but λ_max is recorded as 0.5 (a broken
        // spectrum): the one-sided check must fail.
        var point = Point(4, 1, 8, 90, 1);
        var layout = point.Layout;
        var merged = new PointAccumulator(layout);
        var random = new Random(5);
        var row = new double[layout.Count];
        for (var t = 0; t < 1_000; t++)
        {
            row[layout.Ntk(0, 0)] = 1 + 0.01 * random.NextDouble();
            row[layout.Ntk(1, 1)] = 1 + 0.01 * random.NextDouble();
            row[layout.Ntk(0, 1)] = 0.01 * (random.NextDouble() - 0.5);
            row[layout.LambdaMaxIndex] = 0.5 + 0.01 * random.NextDouble();
            merged.Push(row);
        }
        var check = ClaimEvaluator.Evaluate(point, merged).Single(c => c.ClaimId == ClaimIds.JensenSpectrum);
        Assert.True(check.Z < -5, $"z = {check.Z}");
        Assert.Equal(ClaimVerdict.Fails, check.Verdict);
    }

    [Theory]
    [InlineData(4, 45.0)]
    [InlineData(8, 90.0)]
    [InlineData(4, 135.0)]
    [InlineData(32, 20.0)]
    public void The_off_diagonal_variance_at_depth_one_matches_its_exact_value_over_several_seeds(int width, double theta)
    {
        var worst = 0.0;
        for (ulong seed = 1; seed <= 5; seed++)
        {
            var point = Point(5, 1, width, theta, 700 + seed);
            var merged = Sample(point, 4_000);
            var check = ClaimEvaluator.Evaluate(point, merged).Single(c => c.ClaimId == ClaimIds.OffDiagonalVariance);
            var exact = ExactMoments.DepthOneKernel(point.Inputs.Input(0), point.Inputs.Input(1), width).Variance;
            Assert.Equal(exact, check.Predicted);
            Assert.Equal(merged.Variance(point.Layout.Ntk(0, 1)), check.Measured);
            Assert.Equal(new StatisticKey(StatisticKind.Ntk, 0, 0, 1), check.Statistic);
            Assert.True(Math.Abs(check.Z) <= 5, $"seed {seed}: z = {check.Z}");
            Assert.NotEqual(ClaimVerdict.Fails, check.Verdict);
            Assert.NotEqual(ClaimVerdict.Unreliable, check.Verdict);
            worst = Math.Max(worst, Math.Abs(check.Z));
        }
        output.WriteLine($"n1 = {width}, θ = {theta}°: largest |z| over 5 seeds = {worst:F2}");
    }

    [Fact]
    public void A_wrong_variance_fails_antipodal_inputs_are_degenerate_and_deeper_points_only_have_the_limit()
    {
        // The SE of the sample variance must be tight enough to reject an exact value 20% off.
        var point = Point(5, 1, 8, 60, 3);
        var merged = Sample(point, 40_000);
        var check = ClaimEvaluator.Evaluate(point, merged).Single(c => c.ClaimId == ClaimIds.OffDiagonalVariance);
        Assert.True(Math.Abs(check.Z) <= 5);
        var zOff = ClaimVerdicts.ZScore(check.Measured, 1.2 * check.Predicted, check.StandardError);
        Assert.True(Math.Abs(zOff) >= 5, $"z against a 20% wrong value: {zOff}");

        var antipodal = Point(5, 1, 8, 180, 3);
        var degenerate = ClaimEvaluator.Evaluate(antipodal, Sample(antipodal, 1_000)).Single(c => c.ClaimId == ClaimIds.OffDiagonalVariance);
        Assert.Equal(ClaimVerdict.Degenerate, degenerate.Verdict);
        Assert.Equal(0.0, degenerate.Measured);

        var deep = Point(5, 3, 8, 60, 3);
        var limit = ClaimEvaluator.Evaluate(deep, Sample(deep, 2_000)).Single(c => c.ClaimId == ClaimIds.OffDiagonalVariance);
        Assert.Equal(ClaimVerdict.Inconclusive, limit.Verdict);
        Assert.Equal(0.0, limit.Predicted);
        Assert.True(double.IsNaN(limit.Z));
        Assert.Contains("infinite-width limit 0", limit.Reason);
        Assert.True(limit.Measured > 0);
    }
}
