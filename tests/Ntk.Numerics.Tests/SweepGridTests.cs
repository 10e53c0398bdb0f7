using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class SweepGridTests
{
    private static readonly ImmutableArray<ImmutableArray<int>> TwoShapes = [[5], [6, 6]];

    [Fact]
    public void Pair_points_are_numbered_with_theta_fastest_then_phase_engine_law_shape_and_input_dimension()
    {
        ImmutableArray<int> dims = [3, 4];
        ImmutableArray<WeightLaw> laws = [WeightLaw.Gaussian, WeightLaw.Uniform];
        ImmutableArray<EngineKind> engines = [EngineKind.Auto, EngineKind.Dense];
        ImmutableArray<double> phases = [0, 30];
        ImmutableArray<double> thetas = [10, 20, 30];
        var grid = new SweepGrid(dims, TwoShapes, laws, engines, new GridInputs.Pair(phases, thetas));

        var (points, requested) = grid.Expand(masterSeed: 17);

        Assert.Equal(2L * 2 * 2 * 2 * 2 * 3, grid.PointCount);
        Assert.Equal(grid.PointCount, points.Length);
        for (var index = 0; index < points.Length; index++)
        {
            // Mixed radix, θ the least significant digit: the documented order.
            var rest = index;
            var theta = thetas[rest % 3]; rest /= 3;
            var phase = phases[rest % 2]; rest /= 2;
            var engine = engines[rest % 2]; rest /= 2;
            var law = laws[rest % 2]; rest /= 2;
            var shape = TwoShapes[rest % 2]; rest /= 2;
            var dim = dims[rest];

            var point = points[index];
            Assert.Equal(index, point.Index);
            Assert.Equal(17UL, point.Definition.MasterSeed);
            Assert.Equal(theta, point.ThetaDegrees);
            Assert.Equal(phase, point.PhaseDegrees);
            Assert.Equal(engine, requested[index]);
            Assert.Equal(law, point.Definition.Network.Law);
            Assert.Equal(shape, point.Definition.Network.Widths);
            Assert.Equal(dim, point.Definition.Network.InputDim);
            Assert.Equal(InputSet.PairDegrees(dim, theta, phase), point.Definition.Inputs);
            Assert.NotEqual(EngineKind.Auto, point.Definition.Engine);
        }
    }

    [Fact]
    public void Sphere_inputs_are_drawn_once_per_input_dimension_and_shared_by_its_points()
    {
        var grid = new SweepGrid([3, 5], TwoShapes, [WeightLaw.Gaussian], [EngineKind.Auto], new GridInputs.Sphere(4, Seed: 9));

        var (points, _) = grid.Expand(masterSeed: 1);

        Assert.Equal(4, points.Length);
        Assert.All(points, point => Assert.Null(point.ThetaDegrees));
        Assert.Equal(InputSets.Sphere(3, 4, 9), points[0].Definition.Inputs);
        Assert.Same(points[0].Definition.Inputs, points[1].Definition.Inputs);
        Assert.Equal(InputSets.Sphere(5, 4, 9), points[2].Definition.Inputs);
        Assert.Equal([5], points[2].Definition.Network.Widths.ToArray());
        Assert.Equal([6, 6], points[3].Definition.Network.Widths.ToArray());
    }

    [Fact]
    public void Listed_inputs_are_the_rows_in_order_at_every_point()
    {
        var rows = ImmutableArray.Create<ImmutableArray<double>>([1.0, 0.0], [0.6, 0.8], [0.0, 2.0]);
        var grid = new SweepGrid([2], [[4]], [WeightLaw.Laplace, WeightLaw.Gaussian], [EngineKind.Dense], new GridInputs.Listed(rows));

        var (points, _) = grid.Expand(masterSeed: 0);

        Assert.Equal(2, points.Length);
        Assert.Equal(3, grid.Inputs.Count);
        foreach (var point in points)
            Assert.Equal(new InputSet(2, [1.0, 0.0, 0.6, 0.8, 0.0, 2.0]), point.Definition.Inputs);
        Assert.Equal(WeightLaw.Laplace, points[0].Definition.Network.Law);
    }

    [Theory]
    [InlineData(2, 1, false)]
    [InlineData(2, 3, true)]
    [InlineData(7, 2, true)]
    [InlineData(9, 4, false)]
    public void The_grid_bounds_the_statistics_of_its_largest_layout(int m, int deepest, bool gaussian)
    {
        ImmutableArray<ImmutableArray<int>> shapes = [[.. Enumerable.Repeat(3, 1)], [.. Enumerable.Repeat(3, deepest)]];
        var law = gaussian ? WeightLaw.Gaussian : WeightLaw.Uniform;
        var inputs = new GridInputs.Sphere(m, 0);
        var grid = new SweepGrid([4], shapes, [law], [EngineKind.Dense], inputs);

        Assert.Equal(deepest, grid.MaxDepth);
        Assert.Equal(MeasurementLayout.For(m, deepest, hasConditionalCorrelator: true).Count, grid.MaxStatisticsPerPoint);
        var (points, _) = grid.Expand(0);
        Assert.All(points, point => Assert.True(point.Definition.Layout.Count <= grid.MaxStatisticsPerPoint));
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 1, true)]
    [InlineData(5, 3, true)]
    [InlineData(8, 2, false)]
    public void The_layout_count_is_the_number_of_distinct_statistics(int m, int depth, bool conditional)
    {
        var layout = MeasurementLayout.For(m, depth, conditional);

        // Every group (the default for m ≤ 256): the activation-pattern block comes after the spectrum.
        Assert.Equal(layout.ConditionIndex + 1 + depth * (m * (m - 1) / 2) * (conditional ? 3 : 2), layout.Count);
        Assert.Equal(layout.Count, layout.Keys.Distinct().Count());
        Assert.Equal(layout.Count, MeasurementLayout.CountFor(m, depth, conditional));
    }
}
