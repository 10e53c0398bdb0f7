using System.Collections.Immutable;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// <c>"shardTrials": "auto"</c>: the shard size from the work estimate of the sweep's heaviest point, so that a shard
/// takes a few seconds. Deterministic: it depends only on the sweep (never on timings or on the machine), so the same
/// sweep always has the same shards and its results stay bitwise reproducible.
/// </summary>
/// <remarks>
/// Nominal time of a trial: <see cref="NominalSecondsPerDraw"/> per random draw plus <see cref="NominalSecondsPerFlop"/>
/// per FLOP of <see cref="WorkEstimate"/>, about half the rates the dense engine reaches on the development machine
/// (docs/performance.md §1: 2.7e8 draws/s, 1–2e10 FLOP/s on one core), so shards of dense points last about
/// <see cref="TargetShardSeconds"/>/2 to the target; the conditional engine's constant factor is larger (its shards
/// run up to a few times longer). The heaviest point sets the size: no shard is much longer than the target, and the
/// lighter points' shards are shorter (one shard size serves every point: SimulationPlan.Shard).
/// </remarks>
internal static class ShardSizing
{
    public const double TargetShardSeconds = 3.0;
    public const double NominalSecondsPerDraw = 1e-8;
    public const double NominalSecondsPerFlop = 2e-10;

    /// <summary>Nominal seconds of one trial of <paramref name="point"/> (see the remarks).</summary>
    public static double NominalTrialSeconds(SweepPoint point)
    {
        var definition = point.Definition;
        var work = WorkEstimate.PerTrial(definition.Network, definition.Inputs.Count, definition.Engine, definition.Statistics);
        return work.Draws * NominalSecondsPerDraw + work.Flops * NominalSecondsPerFlop;
    }

    /// <summary>Trials per shard: ⌊target / heaviest nominal trial⌋, at least 1, at most the trial cap.</summary>
    public static int AutoShardTrials(ImmutableArray<SweepPoint> points, StoppingRule stopping)
    {
        var heaviest = points.Max(NominalTrialSeconds);
        var trials = Math.Floor(TargetShardSeconds / Math.Max(heaviest, 1e-12));
        return (int)Math.Clamp(trials, 1, Math.Min(stopping.TrialCap, int.MaxValue));
    }
}
