using System.Collections.Immutable;

namespace Ntk.Cluster.Messages;

// Shard results in, merge reports out. An aggregator merges the shards of its point exactly once and in shard
// order, so its state after k shards is the same bytes whatever the number of workers, their speed or failures.

/// <summary>Worker → aggregator of the point: the result of one shard. <see cref="State"/> is
/// PointAccumulator.ToBytes() of the shard's <see cref="TrialCount"/> trials.</summary>
internal sealed record ShardResult(ShardId Shard, LeaseId Lease, long TrialCount, ImmutableArray<byte> State)
    : IPointMessage, ILargeMessage
{
    public int PointIndex => Shard.PointIndex;

    public long PayloadBytes => State.IsDefault ? 0 : State.Length;
}

/// <summary>
/// Coordinator → aggregator: open the point, seeded with the in-order merge of its first <see cref="ShardsMerged"/>
/// shards (<see cref="State"/> = PointAccumulator.ToBytes(); empty with ShardsMerged = 0 for a fresh point).
/// Sent before the point's first lease; a seed that is not ahead of what the aggregator already merged is ignored,
/// so the message is idempotent and may be repeated. Answered by <see cref="PointRestored"/>; the aggregator
/// reports later merges to the sender of the last RestorePoint.
/// </summary>
internal sealed record RestorePoint(int PointIndex, int ShardsMerged, ImmutableArray<byte> State) : IPointMessage, ILargeMessage
{
    public long PayloadBytes => State.IsDefault ? 0 : State.Length;
}

/// <summary>Aggregator → coordinator: the point is open with <see cref="ShardsMerged"/> shards merged and
/// <see cref="HeldShards"/> accepted past the prefix (recovered from the journal after a restart); none of them is
/// needed again.</summary>
internal sealed record PointRestored(int PointIndex, int ShardsMerged, long MergedTrials, bool PointDone, ImmutableArray<int> HeldShards)
    : ICoordinatorMessage
{
    // Value equality, also over the held shard indices (ImmutableArray compares by reference).
    public bool Equals(PointRestored? other) =>
        other is not null && (PointIndex, ShardsMerged, MergedTrials, PointDone) == (other.PointIndex, other.ShardsMerged, other.MergedTrials, other.PointDone)
        && HeldShards.AsSpan().SequenceEqual(other.HeldShards.AsSpan());

    public override int GetHashCode() => HashCode.Combine(PointIndex, ShardsMerged, MergedTrials, PointDone, HeldShards.IsDefault ? 0 : HeldShards.Length);
}

/// <summary>
/// Aggregator → coordinator: <see cref="Shard"/> was accepted (merged, or held until the shards before it arrive;
/// either way it will not be needed again). <see cref="ShardsMerged"/> and <see cref="MergedTrials"/> describe the
/// merged prefix after it; <see cref="PointDone"/> is true once the stopping rule is met on that prefix.
/// </summary>
internal sealed record ShardMerged(ShardId Shard, LeaseId Lease, int ShardsMerged, long MergedTrials, bool PointDone)
    : ICoordinatorMessage;

/// <summary>Why an aggregator did not take a shard result.</summary>
internal enum DiscardReason : byte
{
    /// <summary>The shard was already merged or held (another lease delivered it first).</summary>
    Duplicate = 1,
    /// <summary>The point was done before this shard: it lies past the stopping prefix.</summary>
    PointDone = 2,
    /// <summary>The result did not match the plan (trial count or state); the shard is still needed.</summary>
    Invalid = 3,
    /// <summary>
    /// The aggregator was never opened and holds nothing: the point was released when it finished (its journal
    /// deleted), and a late result started a new, empty one. Nothing is persisted; the coordinator opens the point
    /// again in the rare case that it is not done (an entity moved before it journaled anything).
    /// </summary>
    NotOpen = 4,
}

/// <summary>Aggregator → coordinator: the result of <see cref="Shard"/> under <see cref="Lease"/> was dropped.
/// The prefix fields are as in <see cref="ShardMerged"/>.</summary>
internal sealed record ShardDiscarded(
    ShardId Shard, LeaseId Lease, DiscardReason Reason, int ShardsMerged, long MergedTrials, bool PointDone)
    : ICoordinatorMessage;

/// <summary>Aggregator → coordinator: the journal refused or failed to write what the aggregator of
/// <see cref="PointIndex"/> accepted (a full disk, a lost database connection). Nothing it accepts can be made durable,
/// so the coordinator stops the sweep and fails it with <see cref="Reason"/>; everything written before is resumable.</summary>
internal sealed record JournalWriteFailed(int PointIndex, string Reason) : ICoordinatorMessage;
