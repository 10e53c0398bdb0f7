using Ntk.Cluster.Messages;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster.Actors;

/// <summary>What happened to one shard result.</summary>
internal enum ShardOutcomeKind
{
    /// <summary>Merged now (and possibly held shards after it), or held until the shards before it arrive.</summary>
    Accepted,
    /// <summary>Already merged or held.</summary>
    Duplicate,
    /// <summary>The point is done; the shard lies past its stopping prefix.</summary>
    PointDone,
}

/// <param name="BecameDone">True when this result completed the point.</param>
internal readonly record struct ShardOutcome(ShardOutcomeKind Kind, bool BecameDone);

/// <summary>
/// The in-order merge of one point's shards, free of Akka. Invariant: <see cref="Merged"/> is always the merge of
/// shards 0..<see cref="ShardsMerged"/>−1 in shard order, each exactly once, so its bytes do not depend on the order
/// in which results arrive. Results past the prefix are held until the gap closes. After each in-order merge the
/// stopping rule is checked; the first prefix that meets it makes the point done, and every later result (held or
/// arriving) is discarded.
/// </summary>
internal sealed class PointAggregate
{
    private readonly StoppingRule _stopping;
    private readonly int _maxShardCount;
    private readonly SortedDictionary<int, PointAccumulator> _held = [];

    public PointAggregate(MeasurementLayout layout, StoppingRule stopping, int maxShardCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardCount, 1);
        Layout = layout;
        _stopping = stopping;
        _maxShardCount = maxShardCount;
        Merged = new PointAccumulator(layout);
    }

    public MeasurementLayout Layout { get; }

    /// <summary>The merge of shards 0..ShardsMerged−1 in order. Owned by this aggregate: read, do not change.</summary>
    public PointAccumulator Merged { get; private set; }

    public int ShardsMerged { get; private set; }

    /// <summary>Trials in <see cref="Merged"/>.</summary>
    public long Trials => Merged.Count;

    /// <summary>True once the stopping rule is met on the merged prefix; the state no longer changes.</summary>
    public bool Done { get; private set; }

    /// <summary>True when a result for <paramref name="shardIndex"/> would be accepted (not done, not yet merged or held).</summary>
    public bool Needs(int shardIndex) => !Done && shardIndex >= ShardsMerged && !_held.ContainsKey(shardIndex);

    /// <summary>Shards held past the prefix, waiting for the shards before them.</summary>
    public int HeldCount => _held.Count;

    /// <summary>The held shards by index (read, do not change): what a snapshot of this aggregate must keep besides
    /// <see cref="Merged"/>.</summary>
    public IReadOnlyDictionary<int, PointAccumulator> Held => _held;

    /// <summary>
    /// Seeds the prefix with <paramref name="state"/> = the in-order merge of shards 0..<paramref name="shardsMerged"/>−1
    /// (a previous run's state). Ignored when this aggregate already merged as many shards or more (the seed is then
    /// an older copy of the same prefix). Held shards the seed covers are dropped and the rest are merged if the gap
    /// closed. Returns true when the point became done.
    /// </summary>
    public bool Restore(int shardsMerged, PointAccumulator state)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shardsMerged);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shardsMerged, _maxShardCount);
        if (Done || shardsMerged <= ShardsMerged) return false;
        Merged = state.Clone();
        ShardsMerged = shardsMerged;
        foreach (var s in _held.Keys.Where(s => s < shardsMerged).ToList()) _held.Remove(s);
        if (_stopping.IsMet(Merged)) return FinishPoint();
        return Drain();
    }

    /// <summary>Takes the result of shard <paramref name="shardIndex"/> (its trials only). The accumulator is kept
    /// (merged or held), not copied: the caller gives it up.</summary>
    public ShardOutcome Add(int shardIndex, PointAccumulator shard)
    {
        if (shardIndex < 0 || shardIndex >= _maxShardCount)
            throw new ArgumentOutOfRangeException(nameof(shardIndex), shardIndex, $"shard index must be in 0..{_maxShardCount - 1}");
        if (Done) return new ShardOutcome(ShardOutcomeKind.PointDone, false);
        if (shardIndex < ShardsMerged || !_held.TryAdd(shardIndex, shard))
            return new ShardOutcome(ShardOutcomeKind.Duplicate, false);
        return new ShardOutcome(ShardOutcomeKind.Accepted, Drain());
    }

    /// <summary>Merges held shards while the next one in order is present; true when the point became done.</summary>
    private bool Drain()
    {
        while (_held.Remove(ShardsMerged, out var next))
        {
            Merged.Merge(next);
            ShardsMerged++;
            if (_stopping.IsMet(Merged)) return FinishPoint();
        }
        return false;
    }

    private bool FinishPoint()
    {
        Done = true;
        _held.Clear();
        return true;
    }
}
