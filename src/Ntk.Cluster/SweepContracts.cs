using System.Collections.Immutable;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster;

/// <summary>How a sweep runs in this process; <see cref="Create(int, bool, TimeSpan?)"/> reads the defaults from the
/// HOCON (Config/sweep.hocon: ntk.run, ntk.sweep), the other actor timings come from there too.</summary>
/// <param name="Workers">Number of worker actors; each runs one shard at a time on its own thread. At least 1.</param>
/// <param name="SnapshotInterval">Time between intermediate snapshots handed to the sink; zero or
/// <see cref="Timeout.InfiniteTimeSpan"/> publishes only the final one.</param>
/// <param name="LeaseTimeout">How long a leased shard may take before it is offered to the next worker that asks.
/// Must be positive; set it well above the time of one shard, or shards are computed twice (still merged once).</param>
/// <param name="ProgressInterval">Time between progress reports; zero or infinite reports only at the end.</param>
public sealed record SweepRunSettings(int Workers, TimeSpan SnapshotInterval, TimeSpan LeaseTimeout, TimeSpan ProgressInterval)
{
    /// <summary>
    /// `ntk run`'s settings for <paramref name="workers"/> workers, from the embedded sweep.hocon:
    /// ntk.run.snapshot-interval unless <paramref name="snapshotInterval"/> is given, ntk.sweep.lease-timeout, and
    /// ntk.run.progress-bar-interval when a progress bar shows the progress, else ntk.sweep.progress-interval.
    /// </summary>
    public static SweepRunSettings Create(int workers, bool progressBar = false, TimeSpan? snapshotInterval = null) =>
        Create(Settings.SweepHocon.Config, workers, progressBar, snapshotInterval);

    /// <summary>As <see cref="Create(int, bool, TimeSpan?)"/>, from <paramref name="config"/>; throws
    /// <see cref="ArgumentException"/> naming a key that is missing or malformed.</summary>
    internal static SweepRunSettings Create(Akka.Configuration.Config config, int workers, bool progressBar, TimeSpan? snapshotInterval)
    {
        ArgumentNullException.ThrowIfNull(config);
        var run = config.GetConfig("ntk.run") ?? throw new ArgumentException("ntk.run is missing from the configuration");
        var sweep = config.GetConfig(Settings.SweepActorSettings.Section)
            ?? throw new ArgumentException($"{Settings.SweepActorSettings.Section} is missing from the configuration");
        return new SweepRunSettings(workers,
            SnapshotInterval: snapshotInterval ?? Settings.HoconValues.OffOrDuration(run, "ntk.run", "snapshot-interval"),
            LeaseTimeout: Settings.HoconValues.Duration(sweep, Settings.SweepActorSettings.Section, "lease-timeout"),
            ProgressInterval: progressBar
                ? Settings.HoconValues.OffOrDuration(run, "ntk.run", "progress-bar-interval")
                : Settings.HoconValues.OffOrDuration(sweep, Settings.SweepActorSettings.Section, "progress-interval"));
    }
}

/// <summary>
/// Where a point stood when a previous run stopped: the state after merging shards 0..ShardsMerged−1 in order
/// (<see cref="PointAccumulator.ToBytes"/> of <see cref="PointSnapshot.Merged"/>). Resuming from it gives the same
/// bytes as a run that never stopped.
/// </summary>
public sealed record PointResumeState(int PointIndex, int ShardsMerged, ImmutableArray<byte> State);

/// <summary>One point's merged state: shards 0..ShardsMerged−1 merged in shard order.</summary>
/// <param name="Trials">Trials merged (equals <c>Merged.Count</c>).</param>
/// <param name="Done">True when the point's stopping rule is met; the state no longer changes.</param>
public sealed record PointSnapshot(int PointIndex, int ShardsMerged, long Trials, bool Done, PointAccumulator Merged);

/// <summary>The state of every point of a sweep, in point order (Points[i].PointIndex == i).</summary>
/// <param name="Final">True for the last snapshot of a run (completed, cancelled or failed).</param>
/// <param name="Complete">True when every point is done.</param>
public sealed record SweepSnapshot(SimulationPlan Plan, ImmutableArray<PointSnapshot> Points, bool Final, bool Complete);

/// <summary>Progress of a running sweep.</summary>
/// <param name="TrialsPerSecond">Trials merged by this run (resumed trials excluded) per second of <paramref name="Elapsed"/>.</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record SweepProgress(ImmutableArray<PointProgress> Points, double TrialsPerSecond, TimeSpan Elapsed);

/// <summary>Progress of one point.</summary>
/// <param name="Trials">Trials merged in shard order so far (resumed ones included).</param>
/// <param name="TrialCap">Most trials the point can take (<see cref="StoppingRule.TrialCap"/>).</param>
public sealed record PointProgress(int PointIndex, long Trials, long TrialCap, bool Done);

/// <summary>Receives snapshots. Called on the result writer actor's thread, one call at a time.</summary>
public interface ISweepResultSink
{
    /// <summary>An exception fails the run at once (the sweep stops; what was published before stays).</summary>
    void Publish(SweepSnapshot snapshot);
}

/// <summary>Receives progress reports (on the result writer actor's thread, one call at a time).</summary>
public interface IProgressObserver
{
    void Report(SweepProgress progress);
}

/// <summary>
/// The sweep could not finish: a shard failed to compute, the final snapshot could not be published, or an actor of
/// the pipeline stopped. The final snapshot (incomplete) was published when possible.
/// </summary>
public sealed class SweepFailedException : Exception
{
    public SweepFailedException(string message, Exception? innerException = null) : base(message, innerException) { }
}
