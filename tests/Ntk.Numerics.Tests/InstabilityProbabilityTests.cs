using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The instability indicators 1[λ_max &gt; 2/η] (docs/science.md §7): their place in the layout, and their means against
/// an independent estimate of P(λ_max &gt; 2/η) from kernels sampled in the test.
/// </summary>
public sealed class InstabilityProbabilityTests(ITestOutputHelper output)
{
    private static readonly double[] Rates = [0.5, 1.0, 2.0];

    private static PointDefinition Point(int depth, int width, double thetaDegrees, ulong seed, EngineKind engine, double[] rates) =>
        new(0, NetworkSpec.Uniform(6, depth, width, WeightLaw.Gaussian),
            InputSet.Pair(6, thetaDegrees * Math.PI / 180), engine, seed, StatisticGroups.All, rates);

    [Fact]
    public void The_indicators_come_last_one_per_learning_rate_and_decode_to_their_rate()
    {
        var plain = MeasurementLayout.For(2, 3, true);
        var layout = MeasurementLayout.For(2, 3, true, StatisticGroups.All, Rates);
        Assert.Equal(plain.Count + Rates.Length, layout.Count);
        for (var k = 0; k < Rates.Length; k++)
        {
            var index = layout.Unstable(k);
            Assert.Equal(plain.Count + k, index);
            var key = layout.Keys[index];
            Assert.Equal(new StatisticKey(StatisticKind.Unstable, 0, k, -1), key);
            Assert.Equal(index, layout.IndexOf(key));
            Assert.Equal(-1, key.InputA);
            Assert.Equal(2 / Rates[k], layout.InstabilityThresholds[k]);
        }
        Assert.Equal("unstable_eta=0.5", StatisticNames.Of(layout.Keys[layout.Unstable(0)], layout));
        Assert.Equal("lambda_max", StatisticNames.Of(layout.Keys[layout.LambdaMaxIndex], layout));
        // Every earlier index is that of the layout without learning rates.
        for (var i = 0; i < plain.Count; i++) Assert.Equal(plain.Keys[i], layout.Keys[i]);
        Assert.Equal(-1, layout.IndexOf(new StatisticKey(StatisticKind.Unstable, 0, Rates.Length, -1)));

        // Without the spectrum there is no λ_max, so no indicator.
        Assert.Empty(MeasurementLayout.For(2, 3, true, StatisticGroups.Kernel, Rates).LearningRates);
        // A different list of rates is a different layout: the states do not merge.
        var other = MeasurementLayout.For(2, 3, true, StatisticGroups.All, [0.5, 1.0, 3.0]);
        Assert.Throws<ArgumentException>(() => new PointAccumulator(layout).Merge(new PointAccumulator(other)));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_learning_rate_that_is_not_a_finite_positive_number_is_refused(double eta)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => MeasurementLayout.For(2, 1, true, StatisticGroups.All, [0.1, eta]));
        Assert.Contains("learningRates", error.Message);
    }

    [Theory]
    [InlineData(1, 8, 45.0, EngineKind.Conditional)]
    [InlineData(2, 4, 90.0, EngineKind.Dense)]
    [InlineData(3, 16, 30.0, EngineKind.Conditional)]
    public void The_probability_of_instability_matches_an_independent_estimate_from_sampled_kernels(
        int depth, int width, double theta, EngineKind engine)
    {
        const int trials = 6_000;
        var point = Point(depth, width, theta, 41, engine, Rates);
        var merged = ShardRunner.Run(point.CreateSampler(), 0, trials);
        var layout = point.Layout;

        // Independent estimate: other networks (another master seed, the other engine), λ_max of each 2×2 kernel by its
        // closed form (a + c)/2 + √(((a − c)/2)² + b²) instead of the engine's eigensolver, counted in the test.
        var otherEngine = engine == EngineKind.Dense ? EngineKind.Conditional : EngineKind.Dense;
        var independent = Point(depth, width, theta, 4_242, otherEngine, []);
        var sampler = independent.CreateSampler();
        var row = new double[independent.Layout.Count];
        var counts = new long[Rates.Length];
        for (long t = 0; t < trials; t++)
        {
            sampler.Sample(t, row);
            double a = row[independent.Layout.Ntk(0, 0)], b = row[independent.Layout.Ntk(0, 1)], c = row[independent.Layout.Ntk(1, 1)];
            var top = (a + c) / 2 + Math.Sqrt((a - c) * (a - c) / 4 + b * b);
            for (var k = 0; k < Rates.Length; k++)
                if (top > 2 / Rates[k]) counts[k]++;
        }
        for (var k = 0; k < Rates.Length; k++)
        {
            var measured = merged.Mean(layout.Unstable(k));
            var expected = counts[k] / (double)trials;
            // Bernoulli means: SE² = p(1 − p)/N for each estimate.
            var variance = measured * (1 - measured) / trials + expected * (1 - expected) / trials;
            var z = variance > 0 ? (measured - expected) / Math.Sqrt(variance) : measured - expected;
            output.WriteLine($"L = {depth}, n = {width}, θ = {theta}°, η = {Rates[k]}: P = {measured:F4} ± {merged.StandardError(layout.Unstable(k)):F4}, independent {expected:F4}, z = {z:F2}");
            Assert.InRange(z, -5, 5);
            // The reported SE is the Bernoulli one, √(p(1 − p)/(N − 1)) from the sample variance.
            Assert.Equal(Math.Sqrt(measured * (1 - measured) / (trials - 1)), merged.StandardError(layout.Unstable(k)), 1e-12);
        }
        // At least one rate must be informative (strictly between 0 and 1), or the test proves nothing.
        Assert.Contains(Enumerable.Range(0, Rates.Length), k => merged.Mean(layout.Unstable(k)) is > 0.01 and < 0.99);
    }

    [Fact]
    public void A_huge_learning_rate_is_unstable_whenever_the_kernel_is_not_zero_and_a_tiny_one_never()
    {
        double[] rates = [1e-12, 1e12];
        // Width 64 at L = 1: K = 0 needs 64 inactive units for both inputs (probability below 2^-64): P = 1 exactly.
        var wide = Point(1, 64, 60, 7, EngineKind.Conditional, rates);
        var merged = ShardRunner.Run(wide.CreateSampler(), 0, 2_000);
        Assert.Equal(0.0, merged.Mean(wide.Layout.Unstable(0)));
        Assert.Equal(0.0, merged.Maximum(wide.Layout.Unstable(0)));
        Assert.Equal(1.0, merged.Minimum(wide.Layout.Unstable(1)));

        // Width 2, depth 3: whole layers die, K = 0 and λ_max = 0 in some networks, which are then stable at any η.
        var narrow = Point(3, 2, 60, 7, EngineKind.Dense, rates);
        var sampler = narrow.CreateSampler();
        var row = new double[narrow.Layout.Count];
        long positive = 0;
        const int trials = 2_000;
        var accumulator = new PointAccumulator(narrow.Layout);
        for (long t = 0; t < trials; t++)
        {
            sampler.Sample(t, row);
            accumulator.Push(row);
            if (row[narrow.Layout.LambdaMaxIndex] > 2 / rates[1]) positive++;
            Assert.Equal(0.0, row[narrow.Layout.Unstable(0)]);
        }
        Assert.True(positive < trials, "some network should have a dead layer");
        Assert.Equal(positive / (double)trials, accumulator.Mean(narrow.Layout.Unstable(1)), 1e-12);
    }
}
