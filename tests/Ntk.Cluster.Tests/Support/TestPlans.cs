using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;

namespace Ntk.Cluster.Tests.Support;

/// <summary>Tiny sweeps: pair inputs at a few angles, width ≤ 16, a few hundred trials.</summary>
internal static class TestPlans
{
    public const ulong Seed = 20261129;

    public static SimulationPlan Fixed(int points, long trials, int shardTrials, int width = 8, int depth = 2) =>
        Build(points, StoppingRule.Fixed(trials), shardTrials, width, depth);

    public static SimulationPlan Target(int points, double targetStdErr, long maxTrials, int shardTrials, int width = 8, int depth = 2) =>
        Build(points, StoppingRule.Target(targetStdErr, maxTrials), shardTrials, width, depth);

    private static SimulationPlan Build(int points, StoppingRule stopping, int shardTrials, int width, int depth)
    {
        var network = NetworkSpec.Uniform(inputDim: 3, depth: depth, width: width, WeightLaw.Gaussian);
        var sweepPoints = ImmutableArray.CreateBuilder<SweepPoint>(points);
        for (var p = 0; p < points; p++)
        {
            var theta = 30.0 + 40.0 * p;
            var inputs = InputSet.Pair(3, theta * Math.PI / 180);
            sweepPoints.Add(new SweepPoint(new PointDefinition(p, network, inputs, EngineKind.Dense, Seed), theta, 0.0));
        }
        return new SimulationPlan("test-sweep", Seed, shardTrials, stopping, sweepPoints.MoveToImmutable());
    }
}
