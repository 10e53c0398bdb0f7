using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Persistence;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Actors;

/// <summary>
/// The aggregator of one point (a child of the local router, or a sharded entity keyed by point in cluster mode):
/// a thin event-sourced shell over <see cref="PointAggregate"/>. Takes <see cref="RestorePoint"/> (answering
/// <see cref="PointRestored"/> and remembering its sender as the coordinator), <see cref="ShardResult"/> (answering
/// the coordinator with <see cref="ShardMerged"/> or <see cref="ShardDiscarded"/>) and <see cref="GetPointSnapshot"/>.
/// Every accepted shard is written to the journal (<see cref="ShardAccepted"/>) before the coordinator hears of it, so
/// an aggregator that is restarted — its node killed, the entity moved — recovers exactly the shards the coordinator
/// counts as accepted, and no accepted shard is computed again. Every <c>snapshotEvery</c> accepted shards it saves an
/// <see cref="AggregatorSnapshot"/> and deletes the events before it (recovery reads one snapshot and a few events).
/// </summary>
internal sealed class AggregatorActor : ReceivePersistentActor
{
    private readonly SimulationPlan _plan;
    private readonly int _pointIndex;
    private readonly int _snapshotEvery;
    private readonly PointAggregate _aggregate;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _coordinatorPath;
    private IActorRef? _coordinator;
    private int _eventsSinceSnapshot;
    private long _bytesSinceSnapshot;

    /// <summary>Events of states this large trigger a snapshot after two of them (see MaybeSnapshot).</summary>
    private const long SnapshotAfterBytes = 4 << 20;
    private readonly Serialization.ChunkInbox _chunks;
    /// <summary>Recovery found an event or a snapshot of this point (see <see cref="DiscardReason.NotOpen"/>).</summary>
    private bool _recoveredAnything;
    private readonly bool _journaled;

    /// <param name="persistenceId">Unique per point and run (<see cref="SweepRun.AggregatorId"/>).</param>
    /// <param name="snapshotEvery">Accepted shards between snapshots; 0: never (the in-memory journal of `ntk run`).</param>
    /// <param name="coordinatorPath">Where merge reports go until a <see cref="RestorePoint"/> names the coordinator:
    /// an aggregator restarted mid-sweep (its node restarted, the entity moved or crashed) recovers from its journal
    /// and must report the next merges without waiting to be opened again. A path on this node (the coordinator, or
    /// the singleton proxy in cluster mode).</param>
    /// <param name="journaled">False in `ntk run`: events are applied without writing them to the journal (see
    /// <see cref="Record{TEvent}"/>).</param>
    public AggregatorActor(SimulationPlan plan, int pointIndex, string persistenceId, int snapshotEvery, string coordinatorPath,
        bool journaled = true)
    {
        _journaled = journaled;
        _coordinatorPath = coordinatorPath;
        if (pointIndex < 0 || pointIndex >= plan.Points.Length)
            throw new ArgumentOutOfRangeException(nameof(pointIndex), pointIndex, $"the plan has {plan.Points.Length} points");
        ArgumentOutOfRangeException.ThrowIfNegative(snapshotEvery);
        _plan = plan;
        _pointIndex = pointIndex;
        _snapshotEvery = snapshotEvery;
        PersistenceId = persistenceId;
        _chunks = new Serialization.ChunkInbox(Context.System, _log, $"point {pointIndex}");
        _aggregate = new PointAggregate(plan.Points[pointIndex].Definition.Layout, plan.Stopping, plan.MaxShardCount);

        Recover<ShardAccepted>(e =>
        {
            _recoveredAnything = true;
            _aggregate.Add(e.ShardIndex, Read(e.State, nameof(ShardAccepted)));
        });
        Recover<PointSeeded>(e =>
        {
            _recoveredAnything = true;
            _aggregate.Restore(e.ShardsMerged, Read(e.State, "PointSeeded"));
        });
        Recover<SnapshotOffer>(offer =>
        {
            _recoveredAnything = true;
            if (offer.Snapshot is not AggregatorSnapshot snapshot)
                throw new InvalidOperationException($"point {_pointIndex}: unexpected snapshot {offer.Snapshot.GetType().Name}");
            if (snapshot.ShardsMerged > 0) _aggregate.Restore(snapshot.ShardsMerged, Read(snapshot.Merged, "AggregatorSnapshot"));
            foreach (var held in snapshot.Held) _aggregate.Add(held.ShardIndex, Read(held.State, "AggregatorSnapshot"));
        });
        Recover<RecoveryCompleted>(_ =>
        {
            // In a cluster a point's aggregator may start on any aggregator node, and again on another one when its
            // node dies or sharding moves it: where it runs is worth a line there (in one process it is not).
            if (Context.System.Settings.HasCluster)
                _log.Info("{Event:l}: point {PointIndex} on {MemberAddress}", LogEvents.AggregatorStarted, _pointIndex,
                    Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString());
            if (LastSequenceNr > 0)
                _log.Info("{Event:l}: point {PointIndex}: {ShardsMerged} shards ({TrialCount} trials) merged and {HeldCount} held recovered from the journal",
                    LogEvents.AggregatorRecovered, _pointIndex, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.HeldCount);
        });

        Command<RestorePoint>(OnRestore);
        Command<ShardResult>(OnShardResult);
        Command<GetPointSnapshot>(OnGetSnapshot);
        Command<ReleasePoint>(_ => OnRelease());
        Command<MessageChunk>(chunk => _chunks.Receive(chunk, Sender, Self));
        Command<SaveSnapshotSuccess>(m =>
        {
            // Events and older snapshots up to this one are covered by it.
            DeleteMessages(m.Metadata.SequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(m.Metadata.SequenceNr - 1));
        });
        Command<SaveSnapshotFailure>(m =>
            _log.Warning("{Event:l}: point {PointIndex}: snapshot not saved ({Reason}); recovery replays the events instead",
                LogEvents.JournalSnapshotFailed, _pointIndex, m.Cause.Message));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(m =>
            _log.Warning("{Event:l}: point {PointIndex}: old events not deleted ({Reason})", LogEvents.JournalDeleteFailed, _pointIndex, m.Cause.Message));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(m =>
            _log.Warning("{Event:l}: point {PointIndex}: old snapshots not deleted ({Reason})", LogEvents.JournalDeleteFailed, _pointIndex, m.Cause.Message));
    }

    public override string PersistenceId { get; }

    /// <summary>Without a journal (`ntk run`) there is nothing to recover: no snapshot load and replay per point.</summary>
    public override Recovery Recovery => _journaled ? base.Recovery : Recovery.None;

    public static Props Props(SimulationPlan plan, int pointIndex, string persistenceId, int snapshotEvery, string coordinatorPath,
        bool journaled = true) =>
        Akka.Actor.Props.Create(() => new AggregatorActor(plan, pointIndex, persistenceId, snapshotEvery, coordinatorPath, journaled));

    /// <summary>
    /// Persists <paramref name="event"/> and then applies it; without a journal (<c>ntk run</c>) applies it at once.
    /// `ntk run` has nothing to recover from (its journal is in memory and dies with the process; a point's actor is
    /// never restarted), and Akka's in-memory journal keeps the last event of a stream even after DeleteMessages, so
    /// journaling there kept one state (~14 KB for a small network) per finished point: the memory growth of
    /// docs/performance.md §7.1.
    /// </summary>
    private void Record<TEvent>(TEvent @event, Action<TEvent> apply)
    {
        if (_journaled) Persist(@event, apply);
        else apply(@event);
    }

    /// <summary>
    /// An accepted shard (or a seed) did not reach the journal; Akka.Persistence stops this actor right after. The
    /// shard was never acknowledged, so nothing is lost, but nothing more can be made durable: the coordinator is told
    /// to fail the sweep now, rather than see the shard leased, computed and refused again until someone notices.
    /// </summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        JournalFailed(@event, JournalFailure.Describe(cause));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        JournalFailed(@event, "rejected: " + JournalFailure.Describe(cause));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private void JournalFailed(object @event, string reason)
    {
        _log.Error("{Event:l}: point {PointIndex}: {Record} not written: {Reason}", LogEvents.JournalWriteFailed, _pointIndex,
            @event.GetType().Name, reason);
        Report(new JournalWriteFailed(_pointIndex, reason));
    }

    private void Report(ICoordinatorMessage message)
    {
        if (_coordinator is not null) _coordinator.Tell(message);
        else Context.ActorSelection(_coordinatorPath).Tell(message);
    }

    private void OnRestore(RestorePoint message)
    {
        _coordinator = Sender;
        if (message.ShardsMerged > _aggregate.ShardsMerged && !_aggregate.Done)
        {
            if (TryRead(message.State, _plan.PrefixTrials(message.ShardsMerged), out var state, out var problem))
            {
                var sender = Sender;
                Record(new PointSeeded(message.ShardsMerged, message.State), e =>
                {
                    _aggregate.Restore(e.ShardsMerged, state);
                    sender.Tell(Restored());
                });
                return;
            }
            // The coordinator then leases the point from the aggregator's own prefix: slower, never wrong.
            _log.Error("{Event:l}: point {PointIndex}: resume state of {ShardsMerged} shards ignored: {Reason}",
                LogEvents.RestoreRejected, _pointIndex, message.ShardsMerged, problem);
        }
        Sender.Tell(Restored());
    }

    private PointRestored Restored() =>
        new(_pointIndex, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done, [.. _aggregate.Held.Keys.Order()]);

    private void OnShardResult(ShardResult message)
    {
        // Not LastSequenceNr: the journal keeps a released point's highest sequence number after deleting its events.
        var check = Check(_plan, _pointIndex, _aggregate, message,
            notOpen: _coordinator is null && !_recoveredAnything && _aggregate.ShardsMerged == 0 && _aggregate.HeldCount == 0);
        if (check.Reason is { } reason)
        {
            Discard(message, reason, check.Problem);
            // A late result for a released point (see DiscardReason.NotOpen): dropped, and this empty incarnation goes.
            if (reason == DiscardReason.NotOpen) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
            return;
        }
        var shardIndex = message.Shard.ShardIndex;
        var shard = check.Shard!;
        // Persist stashes every other message until the event is written, so a duplicate of this shard arriving
        // meanwhile is seen as a duplicate afterwards.
        var persisting = System.Diagnostics.Stopwatch.GetTimestamp();
        Record(new ShardAccepted(shardIndex, message.State), e =>
        {
            Operations.SweepMeters.JournalWritten(System.Diagnostics.Stopwatch.GetElapsedTime(persisting));
            var becameDone = _aggregate.Add(e.ShardIndex, shard).BecameDone;
            Report(new ShardMerged(message.Shard, message.Lease, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
            if (becameDone) LogPointDone();
            MaybeSnapshot(e.State.Length);
        });
    }

    /// <summary>
    /// Whether a shard result is merged, and if not why (the discard reason and, for an invalid result, the problem);
    /// shared with <see cref="LocalAggregatorActor"/>. <paramref name="notOpen"/>: the aggregator was never opened and
    /// holds nothing (<see cref="DiscardReason.NotOpen"/>).
    /// </summary>
    internal static (DiscardReason? Reason, string? Problem, PointAccumulator? Shard) Check(SimulationPlan plan, int pointIndex,
        PointAggregate aggregate, ShardResult message, bool notOpen)
    {
        var shardIndex = message.Shard.ShardIndex;
        if (shardIndex < 0 || shardIndex >= plan.MaxShardCount)
            return (DiscardReason.Invalid, $"shard index {shardIndex} is outside 0..{plan.MaxShardCount - 1}", null);
        if (aggregate.Done) return (DiscardReason.PointDone, null, null);
        if (notOpen) return (DiscardReason.NotOpen, null, null);
        if (!aggregate.Needs(shardIndex)) return (DiscardReason.Duplicate, null, null);
        var expectedTrials = plan.Shard(pointIndex, shardIndex).TrialCount;
        if (message.TrialCount != expectedTrials)
            return (DiscardReason.Invalid, $"{message.TrialCount} trials, the plan says {expectedTrials}", null);
        if (!TryRead(aggregate.Layout, message.State, expectedTrials, out var shard, out var problem))
            return (DiscardReason.Invalid, problem, null);
        return (null, null, shard);
    }

    /// <summary>
    /// Snapshots every <c>snapshotEvery</c> accepted shards, and sooner for large states: once the events since the
    /// last snapshot hold two states' worth of bytes (≥ <see cref="SnapshotAfterBytes"/>), so the journal (in memory
    /// with `ntk run`) never holds more than about two shard states of a point beside its snapshot.
    /// </summary>
    private void MaybeSnapshot(long eventBytes)
    {
        if (_snapshotEvery == 0 || !_journaled) return;
        _bytesSinceSnapshot += eventBytes;
        if (++_eventsSinceSnapshot < _snapshotEvery &&
            (_bytesSinceSnapshot < SnapshotAfterBytes || _bytesSinceSnapshot < 2 * eventBytes)) return;
        _eventsSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
        // Held shards are rare (only while an earlier shard is late) and snapshots are every N shards: serializing
        // them here costs less than keeping a byte copy of every held result.
        var held = _aggregate.Held.OrderBy(h => h.Key)
            .Select(h => new HeldShard(h.Key, ImmutableCollectionsMarshal.AsImmutableArray(h.Value.ToBytes()))).ToImmutableArray();
        SaveSnapshot(new AggregatorSnapshot(_aggregate.ShardsMerged,
            ImmutableCollectionsMarshal.AsImmutableArray(_aggregate.Merged.ToBytes()), held));
    }

    /// <summary>Parses a state read back from the journal; a state that does not fit the plan fails the recovery
    /// (the journal belongs to another sweep or was damaged): resuming from it would give wrong results.</summary>
    private PointAccumulator Read(ImmutableArray<byte> bytes, string record)
    {
        try
        {
            return PointAccumulator.FromBytes(_aggregate.Layout, bytes.IsDefault ? [] : bytes.AsSpan());
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidOperationException($"point {_pointIndex}: journal record {record} does not fit this sweep: {e.Message}", e);
        }
    }

    /// <summary>
    /// The result writer has the done point's final state: delete every journal event and snapshot of it (in `ntk
    /// run` these are the in-memory copies of its state) and stop, through the parent (the shard region passivates,
    /// the local parent stops the child). A point that is not done ignores it: its state is still needed.
    /// </summary>
    private void OnRelease()
    {
        if (!_aggregate.Done) return;
        if (LastSequenceNr > 0)
        {
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(SnapshotSelectionCriteria.Latest);
        }
        Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
    }

    private void OnGetSnapshot(GetPointSnapshot message)
    {
        var bytes = _aggregate.Merged.ToBytes();
        Serialization.MessageChunker.For(Context.System).Tell(Sender, new PointSnapshotResult(_pointIndex, message.CollectionId,
            _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done, ImmutableCollectionsMarshal.AsImmutableArray(bytes)), Self);
    }

    private void Discard(ShardResult message, DiscardReason reason, string? problem)
    {
        LogDiscard(_log, _pointIndex, message, reason, problem);
        Report(new ShardDiscarded(
            message.Shard, message.Lease, reason, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
    }

    internal static void LogDiscard(ILoggingAdapter log, int pointIndex, ShardResult message, DiscardReason reason, string? problem)
    {
        if (reason == DiscardReason.Invalid)
            log.Error("{Event:l}: point {PointIndex} shard {ShardIndex} lease {LeaseId}: result rejected: {Reason}",
                LogEvents.ShardRejected, pointIndex, message.Shard.ShardIndex, message.Lease.Value, problem);
        else
            // Information: a late or duplicate result is normal after a lease expired or a worker was downed, but it
            // is work done twice, which the operator should see (`ntk monitor` counts these).
            log.Info("{Event:l}: point {PointIndex} shard {ShardIndex} lease {LeaseId}: {Reason}",
                LogEvents.ShardDiscarded, pointIndex, message.Shard.ShardIndex, message.Lease.Value, reason);
    }

    private void LogPointDone() => LogPointDone(_log, _pointIndex, _aggregate);

    // Debug: the coordinator logs the same moment at Info (PointCompleted), once per point.
    internal static void LogPointDone(ILoggingAdapter log, int pointIndex, PointAggregate aggregate) =>
        log.Debug("{Event:l}: point {PointIndex} done after {ShardsMerged} shards, {TrialCount} trials",
            LogEvents.PointDone, pointIndex, aggregate.ShardsMerged, aggregate.Trials);

    private bool TryRead(ImmutableArray<byte> bytes, long expectedTrials, out PointAccumulator accumulator, out string problem) =>
        TryRead(_aggregate.Layout, bytes, expectedTrials, out accumulator, out problem);

    internal static bool TryRead(Ntk.Numerics.Measurement.MeasurementLayout layout, ImmutableArray<byte> bytes, long expectedTrials,
        out PointAccumulator accumulator, out string problem)
    {
        try
        {
            accumulator = PointAccumulator.FromBytes(layout, bytes.IsDefault ? [] : bytes.AsSpan());
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            accumulator = null!;
            problem = e.Message;
            return false;
        }
        problem = accumulator.Count == expectedTrials ? "" : $"the state holds {accumulator.Count} trials, expected {expectedTrials}";
        return problem.Length == 0;
    }
}
