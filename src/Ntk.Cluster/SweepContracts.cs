using System.Collections.Immutable;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster;

/// <summary>How a sweep runs in this process.</summary>
/// <param name="Workers">Number of worker actors; each runs one shard at a time on its own thread. At least 1.</param>
/// <param name="SnapshotInterval">Time between intermediate snapshots handed to the sink; zero or
/// <see cref="Timeout.InfiniteTimeSpan"/> publishes only the final one.</param>
/// <param name="LeaseTimeout">How long a leased shard may take before it is offered to the next worker that asks.
/// Must be positive; set it well above the time of one shard, or shards are computed twice (still merged once).</param>
/// <param name="ProgressInterval">Time between progress reports; zero or infinite reports only at the end.</param>
public sealed record SweepRunSettings(int Workers, TimeSpan SnapshotInterval, TimeSpan LeaseTimeout, TimeSpan ProgressInterval);

/// <summary>
/// Where a point stood when a previous run stopped: the state after merging shards 0..ShardsMerged−1 in order
/// (<see cref="PointAccumulator.ToBytes"/> of <see cref="PointSnapshot.Merged"/>). Resuming from it gives the same
/// bytes as a run that never stopped.
/// </summary>
public sealed record PointResumeState(int PointIndex, int ShardsMerged, ImmutableArray<byte> State)
{
    /// <summary>
    /// True when the previous run finished the point and its sink holds the final state (an
    /// <see cref="IStreamingResultSink"/> that reads it back by point): the point is counted as done with
    /// <see cref="ShardsMerged"/> shards and is never opened again; <see cref="State"/> may then be empty.
    /// </summary>
    public bool Done { get; init; }
}

/// <summary>One point's merged state: shards 0..ShardsMerged−1 merged in shard order.</summary>
/// <param name="Trials">Trials merged (equals <c>Merged.Count</c>).</param>
/// <param name="Done">True when the point's stopping rule is met; the state no longer changes.</param>
public sealed record PointSnapshot(int PointIndex, int ShardsMerged, long Trials, bool Done, PointAccumulator Merged)
{
    /// <summary><c>Merged.ToBytes()</c> when the state arrived as bytes (so a sink that stores it need not encode
    /// it again); default otherwise.</summary>
    public ImmutableArray<byte> State { get; init; }
}

/// <summary>The state of every point of a sweep, in point order (Points[i].PointIndex == i).</summary>
/// <param name="Final">True for the last snapshot of a run (completed, cancelled or failed).</param>
/// <param name="Complete">True when every point is done.</param>
/// <remarks>A run whose sink is an <see cref="IStreamingResultSink"/> returns a final snapshot without points (each was
/// handed to the sink when it finished); <see cref="TotalTrials"/> still counts them.</remarks>
public sealed record SweepSnapshot(SimulationPlan Plan, ImmutableArray<PointSnapshot> Points, bool Final, bool Complete)
{
    /// <summary>Trials merged over every point of the sweep (resumed ones included).</summary>
    public long TotalTrials { get; init; } = Points.IsDefaultOrEmpty ? 0 : Points.Sum(p => p.Trials);
}

/// <summary>Counts of a run, for a streaming sink.</summary>
/// <param name="DonePoints">Points done (finished in this run or before it).</param>
/// <param name="Trials">Trials merged over every point (resumed ones included), as the coordinator last reported.</param>
/// <param name="Final">True for the last call of a run.</param>
/// <param name="Complete">True when every point is done.</param>
public sealed record SweepTotals(int Points, int DonePoints, long Trials, bool Final, bool Complete);

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

/// <summary>
/// Receives the points of a sweep as they finish instead of whole snapshots (pass it wherever an
/// <see cref="ISweepResultSink"/> is taken; the result writer recognises it), so the result writer holds only the
/// points in flight (memory O(points in flight), a snapshot's cost ∝ the points that changed). Called on the result
/// writer's thread, one call at a time. An exception from any call fails the run (the final snapshot is still
/// attempted), since a point it lost would be missing from the results.
/// </summary>
public interface IStreamingResultSink : ISweepResultSink
{
    /// <summary>Not called: the result writer gives a streaming sink points, never whole snapshots.</summary>
    void ISweepResultSink.Publish(SweepSnapshot snapshot) =>
        throw new NotSupportedException("a streaming result sink takes finished points and checkpoints, not whole snapshots");

    /// <summary>
    /// A point of this run met its stopping rule (<c>point.Done</c>); each point once, in the order they finish.
    /// When this returns, the sink must be able to give the state back to a resumed run: the point's aggregator and
    /// journal are then released. Points finished by a previous run (resume states with Done) are not repeated.
    /// </summary>
    void PointFinished(PointSnapshot point);

    /// <summary>
    /// Every snapshot interval, and once before <see cref="Complete"/>: the points in flight (shards merged, not done)
    /// whose state changed since the last checkpoint, in point order; what a killed run resumes from.
    /// </summary>
    void Checkpoint(IReadOnlyList<PointSnapshot> inFlight, SweepTotals totals);

    /// <summary>The run ended (completed, stopped or failed): finish the files. Returns the run's final snapshot.</summary>
    SweepSnapshot Complete(SweepTotals totals);
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
