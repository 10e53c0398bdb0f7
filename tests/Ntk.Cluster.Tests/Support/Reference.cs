using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster.Tests.Support;

/// <summary>The oracle: a point's shards computed one after another on the test thread and merged in shard order,
/// stopping at the first prefix that meets the stopping rule — what the actors must reproduce bit for bit.</summary>
internal static class Reference
{
    public static (PointAccumulator Merged, int ShardsMerged) Point(
        SimulationPlan plan, int pointIndex, Func<PointDefinition, ITrialSampler> samplerFactory)
    {
        var sampler = samplerFactory(plan.Points[pointIndex].Definition);
        var merged = new PointAccumulator(sampler.Layout);
        for (var s = 0; s < plan.MaxShardCount; s++)
        {
            var shard = plan.Shard(pointIndex, s);
            merged.Merge(ShardRunner.Run(sampler, shard.FirstTrial, shard.TrialCount));
            if (plan.Stopping.IsMet(merged)) return (merged, s + 1);
        }
        throw new InvalidOperationException("the stopping rule was never met");
    }
}
