using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Statistics;

namespace Ntk.Numerics.MonteCarlo;

/// <summary>One point of a sweep: what to sample, plus the labels the results carry.</summary>
/// <param name="Definition">The network, inputs, engine and seed.</param>
/// <param name="ThetaDegrees">The angle between the two inputs for pair inputs; null otherwise.</param>
/// <param name="PhaseDegrees">The phase φ of pair inputs; null otherwise.</param>
public sealed record SweepPoint(PointDefinition Definition, double? ThetaDegrees, double? PhaseDegrees)
{
    public int Index => Definition.PointIndex;
}

/// <summary>
/// When a point stops: after exactly <see cref="Trials"/> trials, or (with <see cref="TargetStdErr"/>) at the first
/// shard boundary where every reported mean's standard error is at most the target, capped at <see cref="MaxTrials"/>.
/// </summary>
public sealed record StoppingRule(long Trials, double? TargetStdErr, long MaxTrials)
{
    public static StoppingRule Fixed(long trials) =>
        trials >= 1 ? new StoppingRule(trials, null, trials)
                    : throw new ArgumentOutOfRangeException(nameof(trials), trials, "trials: must be at least 1");

    public static StoppingRule Target(double targetStdErr, long maxTrials) =>
        !(targetStdErr > 0) || !double.IsFinite(targetStdErr)
            ? throw new ArgumentOutOfRangeException(nameof(targetStdErr), targetStdErr, "targetStdErr: must be a positive number")
            : maxTrials < 2
                ? throw new ArgumentOutOfRangeException(nameof(maxTrials), maxTrials, "maxTrials: must be at least 2")
                : new StoppingRule(maxTrials, targetStdErr, maxTrials);

    /// <summary>Upper bound on a point's trials.</summary>
    public long TrialCap => TargetStdErr is null ? Trials : MaxTrials;

    /// <summary>
    /// True when the in-order merged state <paramref name="merged"/> is final. The standard-error target applies to
    /// every statistic except the condition number, which is unbounded (capped at 1e12) for singular kernels.
    /// </summary>
    public bool IsMet(PointAccumulator merged)
    {
        if (merged.Count >= TrialCap) return true;
        if (TargetStdErr is not { } target || merged.Count < 2) return false;
        var layout = merged.Layout;
        for (var i = 0; i < layout.Count; i++)
        {
            if (i == layout.ConditionIndex) continue;
            if (!(merged.StandardError(i) <= target)) return false;
        }
        return true;
    }
}

/// <summary>A unit of work: trials [FirstTrial, FirstTrial + TrialCount) of one point.</summary>
public readonly record struct ShardSpec(int PointIndex, int ShardIndex, long FirstTrial, int TrialCount);

/// <summary>
/// A whole sweep: its points, the master seed, the shard size and the stopping rule. Shard k of a point always
/// covers trials [k·ShardTrials, (k+1)·ShardTrials) (the last one cut at the cap), so the results do not depend on
/// how shards are spread over workers.
/// </summary>
public sealed record SimulationPlan(
    string Name, ulong MasterSeed, int ShardTrials, StoppingRule Stopping, ImmutableArray<SweepPoint> Points)
{
    /// <summary>Number of shards a point has when it runs to its cap.</summary>
    public int MaxShardCount => (int)((Stopping.TrialCap + ShardTrials - 1) / ShardTrials);

    /// <summary>Shard <paramref name="shardIndex"/> of point <paramref name="pointIndex"/>.</summary>
    public ShardSpec Shard(int pointIndex, int shardIndex)
    {
        var first = (long)shardIndex * ShardTrials;
        if (shardIndex < 0 || first >= Stopping.TrialCap)
            throw new ArgumentOutOfRangeException(nameof(shardIndex), shardIndex, "shard lies past the point's trial cap");
        var count = (int)Math.Min(ShardTrials, Stopping.TrialCap - first);
        return new ShardSpec(pointIndex, shardIndex, first, count);
    }
}
