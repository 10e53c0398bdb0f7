using System.Collections.Immutable;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Xunit;

namespace Ntk.Cli.Tests;

public sealed class EtaEstimatorTests
{
    private static SimulationPlan Plan(params int[] depths) => new("eta", 1, 100, StoppingRule.Fixed(1000),
        depths.Select((depth, i) => new SweepPoint(
            new PointDefinition(i, NetworkSpec.Uniform(10, depth, 256, WeightLaw.Gaussian), InputSet.Pair(10, 1.0),
                EngineKind.Conditional, 1), 57.3, 0)).ToImmutableArray());

    [Fact]
    public void Remaining_time_weighs_expensive_points_by_their_work_not_their_trials()
    {
        // Point 0 (depth 1) is done after 10 s; point 1 (depth 16) has not started: by trials half the sweep is
        // done, by work far less, so the estimate must be much more than another 10 s.
        var plan = Plan(1, 16);
        var eta = new EtaEstimator(plan);
        var progress = new SweepProgress(
            [new PointProgress(0, 1000, 1000, true), new PointProgress(1, 0, 1000, false)], 100, TimeSpan.FromSeconds(10));
        var left = eta.Remaining(progress);
        Assert.NotNull(left);
        Assert.True(left.Value > TimeSpan.FromSeconds(50), $"ETA {left}");
    }

    [Fact]
    public void Equal_points_give_the_linear_estimate()
    {
        var plan = Plan(3, 3);
        var eta = new EtaEstimator(plan);
        var progress = new SweepProgress(
            [new PointProgress(0, 500, 1000, false), new PointProgress(1, 500, 1000, false)], 100, TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(10), eta.Remaining(progress));
    }

    [Fact]
    public void No_estimate_before_any_work()
    {
        var eta = new EtaEstimator(Plan(2));
        Assert.Null(eta.Remaining(new SweepProgress([new PointProgress(0, 0, 1000, false)], 0, TimeSpan.Zero)));
    }
}
