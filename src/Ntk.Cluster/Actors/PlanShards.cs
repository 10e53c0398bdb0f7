using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cluster.Actors;

internal static class PlanShards
{
    /// <summary>Trials in shards 0..<paramref name="shardCount"/>−1 of any point: min(k·ShardTrials, TrialCap).</summary>
    public static long PrefixTrials(this SimulationPlan plan, int shardCount) =>
        Math.Min((long)shardCount * plan.ShardTrials, plan.Stopping.TrialCap);
}
