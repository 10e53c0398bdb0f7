using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Tests.Support;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class DenseSamplerTests
{
    /// <summary>Reordered summation of n products: error ≤ n ε Σ|x_i y_i|; 1e-14 covers n ≤ 67 with margin.</summary>
    private const double DotRelativeTolerance = 1e-14;

    private static PointDefinition Point(NetworkSpec network, InputSet inputs, int pointIndex = 4, ulong seed = 77) =>
        new(pointIndex, network, inputs, EngineKind.Dense, seed);

    [Fact]
    public void A_trial_gives_the_same_measurement_whatever_the_instance_and_the_trials_before_it()
    {
        var point = Point(new NetworkSpec(5, [7, 3, 6], WeightLaw.Laplace), InputSet.Pair(5, 1.0));
        var first = new DenseSampler(point);
        var second = new DenseSampler(point);
        var expected = new double[first.Layout.Count];
        var actual = new double[first.Layout.Count];
        first.Sample(11, expected);
        second.Sample(3, actual);
        second.Sample(200, actual);
        second.Sample(11, actual);
        Assert.Equal(expected, actual);
        first.Sample(11, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Different_trials_give_different_networks()
    {
        var point = Point(NetworkSpec.Uniform(4, 2, 8, WeightLaw.Gaussian), InputSet.Pair(4, 0.5));
        var sampler = new DenseSampler(point);
        var a = new double[sampler.Layout.Count];
        var b = new double[sampler.Layout.Count];
        sampler.Sample(0, a);
        sampler.Sample(1, b);
        Assert.NotEqual(a[sampler.Layout.Ntk(0, 0)], b[sampler.Layout.Ntk(0, 0)]);
    }

    [Fact]
    public void Sample_allocates_nothing_per_trial()
    {
        var point = Point(new NetworkSpec(6, [16, 9, 12], WeightLaw.StudentT(4)), InputSet.Pair(6, 2.0));
        var sampler = new DenseSampler(point);
        var measurement = new double[sampler.Layout.Count];
        var windows = AllocationProbe.BytesPerWindow(trial => sampler.Sample(trial, measurement), windows: 3, window: 20);
        Assert.True(windows.Min() == 0, "bytes allocated per window of 20 trials: " + string.Join(", ", windows));
    }

    [Fact]
    public void Panel_path_Sample_allocates_nothing_per_trial()
    {
        // m = 40 ≥ PanelFromInputCount: matrix–matrix products over two panels (32 + 8 inputs), the Gram matrices of
        // PanelKernels and the tridiagonal spectrum of a 40 × 40 K.
        const int m = 40;
        var values = new double[m * 6];
        var stream = RandomStream.For(3, 1, 4);
        stream.FillGaussian(values);
        var point = Point(new NetworkSpec(6, [16, 9, 12], WeightLaw.StudentT(4)), new InputSet(6, [.. values]));
        var sampler = new DenseSampler(point);
        var measurement = new double[sampler.Layout.Count];
        var windows = AllocationProbe.BytesPerWindow(trial => sampler.Sample(trial, measurement), windows: 3, window: 20);
        Assert.True(windows.Min() == 0, "bytes allocated per window of 20 trials: " + string.Join(", ", windows));
    }

    [Fact]
    public void Conditional_correlator_of_the_first_layer_is_the_exact_hemisphere_value()
    {
        const double theta = 1.1;
        var point = Point(NetworkSpec.Uniform(3, 2, 5, WeightLaw.Gaussian), InputSet.Pair(3, theta));
        var sampler = new DenseSampler(point);
        var measurement = new double[sampler.Layout.Count];
        sampler.Sample(0, measurement);
        Assert.Equal((Math.PI - theta) / (2 * Math.PI), measurement[sampler.Layout.CorrelatorCond(1, 0, 1)], 1e-15);
    }

    [Fact]
    public void Non_gaussian_points_report_no_conditional_correlator()
    {
        var point = Point(NetworkSpec.Uniform(3, 2, 5, WeightLaw.Uniform), InputSet.Pair(3, 1.0));
        Assert.False(new DenseSampler(point).Layout.HasConditionalCorrelator);
    }

    [Fact]
    public void An_input_whose_only_unit_is_dead_has_an_exactly_zero_kernel_row_and_a_dead_flag()
    {
        // Width 1: the single first-layer unit is dead for one of x and −x in every network.
        var inputs = new InputSet(2, [0.6, 0.8, -0.6, -0.8]);
        var point = Point(new NetworkSpec(2, [1, 4], WeightLaw.Gaussian), inputs);
        var sampler = new DenseSampler(point);
        var layout = sampler.Layout;
        var measurement = new double[layout.Count];
        for (var trial = 0; trial < 5; trial++)
        {
            sampler.Sample(trial, measurement);
            var dead = measurement[layout.ActiveFraction(1, 0)] == 0 ? 0 : 1;
            Assert.Equal(1.0, measurement[layout.ActiveFraction(1, 1 - dead)]);
            Assert.Equal(1.0, measurement[layout.DeadLayer(dead)]);
            Assert.Equal(0.0, measurement[layout.Ntk(dead, dead)]);
            Assert.Equal(0.0, measurement[layout.Ntk(0, 1)]);
            Assert.Equal(0.0, measurement[layout.Correlator(1, 0, 1)]);
            Assert.Equal(0.0, measurement[layout.PathProduct(0, 1)]);
            Assert.Equal(MeasurementLayout.MaxConditionNumber, measurement[layout.ConditionIndex]);
        }
    }

    [Fact]
    public void A_single_input_gives_a_one_by_one_kernel_whose_eigenvalue_is_its_entry()
    {
        var point = Point(NetworkSpec.Uniform(3, 2, 4, WeightLaw.Gaussian), new InputSet(3, [0.2, -0.4, 0.9]));
        var sampler = new DenseSampler(point);
        var layout = sampler.Layout;
        var measurement = new double[layout.Count];
        for (var trial = 0; trial < 20; trial++)
        {
            sampler.Sample(long.MaxValue - trial, measurement);
            var entry = measurement[layout.Ntk(0, 0)];
            Assert.Equal(entry, measurement[layout.LambdaMaxIndex]);
            Assert.Equal(entry, measurement[layout.LambdaMinIndex]);
            Assert.Equal(entry > 0 ? 1.0 : MeasurementLayout.MaxConditionNumber, measurement[layout.ConditionIndex]);
        }
    }

    [Fact]
    public void Dot_equals_a_naive_loop_at_every_length_including_0_and_vector_tails()
    {
        var stream = RandomStream.For(1, 2, 3);
        for (var length = 0; length <= 67; length++)
        {
            var x = new double[length];
            var y = new double[length];
            stream.FillGaussian(x);
            stream.FillGaussian(y);
            double naive = 0, magnitude = 0;
            for (var i = 0; i < length; i++)
            {
                naive += x[i] * y[i];
                magnitude += Math.Abs(x[i] * y[i]);
            }
            var actual = DenseKernels.Dot(x, y);
            Assert.True(Math.Abs(actual - naive) <= DotRelativeTolerance * magnitude, $"length {length}: {actual:R} vs {naive:R}");
        }
    }

    [Fact]
    public void SampleWeights_draws_every_weight_in_one_fill_layer_by_layer()
    {
        var network = new NetworkSpec(3, [4, 2], WeightLaw.Uniform);
        var point = Point(network, InputSet.Pair(3, 0.3), pointIndex: 9, seed: 5);
        var sampler = new DenseSampler(point);
        var weights = new double[sampler.WeightCount];
        sampler.SampleWeights(6, weights);
        var expected = new double[network.ParameterCount];
        var stream = RandomStream.For(5, 9, 6);
        stream.Fill(WeightLaw.Uniform, expected);
        Assert.Equal(expected, weights);
        Assert.Equal(3 * 4 + 4 * 2 + 2 * 1, weights.Length);
    }

    [Fact]
    public void Kernel_is_symmetric_positive_semidefinite_and_its_spectrum_is_reported()
    {
        var values = ImmutableArray.Create(1.0, 0, 0, 0.6, 0.8, 0, 0, 0.3, 1, -1, 0.2, 0.1);
        var point = Point(NetworkSpec.Uniform(3, 2, 6, WeightLaw.Gaussian), new InputSet(3, values));
        var sampler = new DenseSampler(point);
        var layout = sampler.Layout;
        var measurement = new double[layout.Count];
        sampler.Sample(2, measurement);
        Assert.True(measurement[layout.LambdaMinIndex] >= -1e-12 * measurement[layout.LambdaMaxIndex]);
        var trace = 0.0;
        for (var a = 0; a < 4; a++) trace += measurement[layout.Ntk(a, a)];
        Assert.True(measurement[layout.LambdaMaxIndex] <= trace * (1 + 1e-12));
        Assert.True(measurement[layout.LambdaMaxIndex] >= trace / 4);
    }
}
