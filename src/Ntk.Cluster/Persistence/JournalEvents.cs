using System.Collections.Immutable;

namespace Ntk.Cluster.Persistence;

// What the sweep's persistent actors write to the Akka.Persistence journal and snapshot store. Every type here is
// bound to JournalSerializer (explicit manifests, no type names in the database), and each is small and versionless:
// a journal belongs to one sweep (its hash is part of every persistence id) and one version of the state format
// (PointAccumulator.ToBytes checks its own header).

/// <summary>Marker of every journal event and snapshot; bound to <see cref="JournalSerializer"/>.</summary>
public interface IJournalRecord;

/// <summary>
/// Aggregator event: the result of shard <see cref="ShardIndex"/> was accepted (merged, or held until the shards
/// before it arrive). <see cref="State"/> is PointAccumulator.ToBytes() of the shard's trials. Written before the
/// coordinator is told, so a shard the coordinator counts as accepted is never lost with the aggregator.
/// </summary>
public sealed record ShardAccepted(int ShardIndex, ImmutableArray<byte> State) : IJournalRecord;

/// <summary>Aggregator event: the point was seeded with the in-order merge of its first <see cref="ShardsMerged"/>
/// shards (a resume from results.json, see RestorePoint).</summary>
public sealed record PointSeeded(int ShardsMerged, ImmutableArray<byte> State) : IJournalRecord;

/// <summary>A shard result held past the merged prefix.</summary>
public sealed record HeldShard(int ShardIndex, ImmutableArray<byte> State);

/// <summary>
/// Aggregator snapshot: the merged prefix (shards 0..ShardsMerged−1 in order, <see cref="Merged"/> =
/// PointAccumulator.ToBytes()) and the held shards, which is everything its events add up to. Recovery from it gives
/// the same bytes as replaying every event.
/// </summary>
public sealed record AggregatorSnapshot(int ShardsMerged, ImmutableArray<byte> Merged, ImmutableArray<HeldShard> Held)
    : IJournalRecord;

/// <summary>
/// Coordinator event (its shard ledger): the aggregator of <see cref="PointIndex"/> accepted shard
/// <see cref="ShardIndex"/>, after which its merged prefix was <see cref="ShardsMerged"/> shards of
/// <see cref="MergedTrials"/> trials (<see cref="PointDone"/> once the stopping rule is met).
/// </summary>
public sealed record ShardRecorded(int PointIndex, int ShardIndex, int ShardsMerged, long MergedTrials, bool PointDone)
    : IJournalRecord;

/// <summary>Run registry event: run number <see cref="Generation"/> of the sweep started (a fresh run, not a resume).
/// Every persistence id of that run contains the number, so a new run never reads an older run's events.</summary>
public sealed record RunStarted(int Generation) : IJournalRecord;
