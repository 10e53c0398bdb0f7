using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Ntk.Cluster.Messages;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Actors;

/// <summary>
/// The aggregator of one point in `ntk run` (no aggregator journal): the same protocol and the same answers as
/// <see cref="AggregatorActor"/> with <c>journaled: false</c>, as a plain actor. `ntk run` has nothing to recover
/// (no journal, a point's actor is never restarted), so it needs none of Akka.Persistence's machinery — the recovery
/// handshake with the journal when each point's actor starts, the stash and the event-sourcing state machine around
/// every message — which cost ~5% of the CPU of a 20,000-point sweep (one aggregator per point,
/// docs/performance.md §7.2). Every decision is made by <see cref="PointAggregate"/> and the checks shared with
/// <see cref="AggregatorActor"/> (<see cref="AggregatorActor.Check"/>).
/// </summary>
internal sealed class LocalAggregatorActor : ReceiveActor
{
    private readonly SimulationPlan _plan;
    private readonly int _pointIndex;
    private readonly PointAggregate _aggregate;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _coordinatorPath;
    private IActorRef? _coordinator;

    public LocalAggregatorActor(SimulationPlan plan, int pointIndex, string coordinatorPath)
    {
        if (pointIndex < 0 || pointIndex >= plan.Points.Length)
            throw new ArgumentOutOfRangeException(nameof(pointIndex), pointIndex, $"the plan has {plan.Points.Length} points");
        _plan = plan;
        _pointIndex = pointIndex;
        _coordinatorPath = coordinatorPath;
        _aggregate = new PointAggregate(plan.Points[pointIndex].Definition.Layout, plan.Stopping, plan.MaxShardCount);
        var chunks = new Serialization.ChunkInbox(Context.System, _log, $"point {pointIndex}");

        Receive<RestorePoint>(OnRestore);
        Receive<ShardResult>(OnShardResult);
        Receive<GetPointSnapshot>(OnGetSnapshot);
        Receive<ReleasePoint>(_ =>
        {
            // As AggregatorActor.OnRelease: a point that is not done keeps its state.
            if (_aggregate.Done) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
        });
        Receive<MessageChunk>(chunk => chunks.Receive(chunk, Sender, Self));
    }

    public static Props Props(SimulationPlan plan, int pointIndex, string coordinatorPath) =>
        Akka.Actor.Props.Create(() => new LocalAggregatorActor(plan, pointIndex, coordinatorPath));

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
            if (AggregatorActor.TryRead(_aggregate.Layout, message.State, _plan.PrefixTrials(message.ShardsMerged), out var state, out var problem))
                _aggregate.Restore(message.ShardsMerged, state);
            else
                // The coordinator then leases the point from the aggregator's own prefix: slower, never wrong.
                _log.Error("{Event:l}: point {PointIndex}: resume state of {ShardsMerged} shards ignored: {Reason}",
                    LogEvents.RestoreRejected, _pointIndex, message.ShardsMerged, problem);
        }
        Sender.Tell(new PointRestored(_pointIndex, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done,
            [.. _aggregate.Held.Keys.Order()]));
    }

    private void OnShardResult(ShardResult message)
    {
        var check = AggregatorActor.Check(_plan, _pointIndex, _aggregate, message, notOpen: _coordinator is null && _aggregate.ShardsMerged == 0 && _aggregate.HeldCount == 0);
        if (check.Reason is { } reason)
        {
            AggregatorActor.LogDiscard(_log, _pointIndex, message, reason, check.Problem);
            Report(new ShardDiscarded(message.Shard, message.Lease, reason, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
            if (reason == DiscardReason.NotOpen) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
            return;
        }
        var becameDone = _aggregate.Add(message.Shard.ShardIndex, check.Shard!).BecameDone;
        Report(new ShardMerged(message.Shard, message.Lease, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
        if (becameDone) AggregatorActor.LogPointDone(_log, _pointIndex, _aggregate);
    }

    private void OnGetSnapshot(GetPointSnapshot message)
    {
        var bytes = _aggregate.Merged.ToBytes();
        Serialization.MessageChunker.For(Context.System).Tell(Sender, new PointSnapshotResult(_pointIndex, message.CollectionId,
            _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done, ImmutableCollectionsMarshal.AsImmutableArray(bytes)), Self);
    }
}
