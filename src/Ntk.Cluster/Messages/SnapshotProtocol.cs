using System.Collections.Immutable;

namespace Ntk.Cluster.Messages;

// The result writer collects snapshots from the aggregators and progress from the coordinator. Finished points are
// streamed: the coordinator says PointCompleted, the writer fetches the point's final state (GetPointSnapshot), hands it
// to the sink and then tells the aggregator ReleasePoint, so a finished point leaves memory (docs/performance.md §6).

/// <summary>Result writer → aggregator: send the point's merged state. <see cref="CollectionId"/> is echoed so the
/// writer can tell the answers of the collection in progress from late answers to an abandoned one.</summary>
internal sealed record GetPointSnapshot(int PointIndex, long CollectionId) : IPointMessage;

/// <summary>Aggregator → result writer: the in-order merged prefix of the point (<see cref="State"/> =
/// PointAccumulator.ToBytes()).</summary>
internal sealed record PointSnapshotResult(
    int PointIndex, long CollectionId, int ShardsMerged, long Trials, bool Done, ImmutableArray<byte> State)
    : IResultWriterMessage, ILargeMessage
{
    public long PayloadBytes => State.IsDefault ? 0 : State.Length;
}

/// <summary>Coordinator → result writer: collect and publish the final snapshot, then complete the run (failed when
/// <see cref="Failure"/> is set). Sent once per run.</summary>
internal sealed record PublishFinalSnapshot(string? Failure) : IResultWriterMessage;

/// <summary>Trials merged for one point, as the coordinator knows it.</summary>
internal readonly record struct PointTrials(int PointIndex, long Trials, bool Done);

/// <summary>Coordinator → result writer, every progress interval: per point trials merged, and the trials merged
/// by this run (resumed trials excluded).</summary>
internal sealed record SweepProgressReport(ImmutableArray<PointTrials> Points, long TrialsThisRun) : IResultWriterMessage;

/// <summary>Coordinator → result writer: the point met its stopping rule in this run (sent once per point and run, in
/// the order points finish). The writer fetches its final state, hands it to the sink and releases its aggregator.</summary>
internal sealed record PointCompleted(int PointIndex) : IResultWriterMessage;

/// <summary>Result writer → aggregator: the done point's final state is written where a resumed run reads it back;
/// the aggregator deletes its journal events and snapshots and stops. Ignored by a point that is not done.</summary>
internal sealed record ReleasePoint(int PointIndex) : IPointMessage;
