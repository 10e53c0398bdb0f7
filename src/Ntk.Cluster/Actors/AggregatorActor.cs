using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Ntk.Cluster.Messages;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster.Actors;

/// <summary>
/// The aggregator of one point (a child of the local router, or a sharded entity keyed by point in cluster mode):
/// a thin shell over <see cref="PointAggregate"/>. Takes <see cref="RestorePoint"/> (answering
/// <see cref="PointRestored"/> and remembering its sender as the coordinator), <see cref="ShardResult"/> (answering
/// the coordinator with <see cref="ShardMerged"/> or <see cref="ShardDiscarded"/>) and <see cref="GetPointSnapshot"/>.
/// </summary>
internal sealed class AggregatorActor : ReceiveActor
{
    private readonly SimulationPlan _plan;
    private readonly int _pointIndex;
    private readonly PointAggregate _aggregate;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef _coordinator = ActorRefs.Nobody;

    public AggregatorActor(SimulationPlan plan, int pointIndex)
    {
        if (pointIndex < 0 || pointIndex >= plan.Points.Length)
            throw new ArgumentOutOfRangeException(nameof(pointIndex), pointIndex, $"the plan has {plan.Points.Length} points");
        _plan = plan;
        _pointIndex = pointIndex;
        _aggregate = new PointAggregate(plan.Points[pointIndex].Definition.Layout, plan.Stopping, plan.MaxShardCount);
        Receive<RestorePoint>(OnRestore);
        Receive<ShardResult>(OnShardResult);
        Receive<GetPointSnapshot>(OnGetSnapshot);
    }

    public static Props Props(SimulationPlan plan, int pointIndex) =>
        Akka.Actor.Props.Create(() => new AggregatorActor(plan, pointIndex));

    private void OnRestore(RestorePoint message)
    {
        _coordinator = Sender;
        if (message.ShardsMerged > _aggregate.ShardsMerged && !_aggregate.Done)
        {
            if (TryRead(message.State, _plan.PrefixTrials(message.ShardsMerged), out var state, out var problem))
            {
                if (_aggregate.Restore(message.ShardsMerged, state)) LogPointDone();
            }
            else
            {
                // The coordinator then leases the point from the aggregator's own prefix: slower, never wrong.
                _log.Error("{Event:l}: point {PointIndex}: resume state of {ShardsMerged} shards ignored: {Reason}",
                    "RestoreRejected", _pointIndex, message.ShardsMerged, problem);
            }
        }
        Sender.Tell(new PointRestored(_pointIndex, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
    }

    private void OnShardResult(ShardResult message)
    {
        var shardIndex = message.Shard.ShardIndex;
        if (shardIndex < 0 || shardIndex >= _plan.MaxShardCount)
        {
            Discard(message, DiscardReason.Invalid, $"shard index {shardIndex} is outside 0..{_plan.MaxShardCount - 1}");
            return;
        }
        if (_aggregate.Done)
        {
            Discard(message, DiscardReason.PointDone, null);
            return;
        }
        if (!_aggregate.Needs(shardIndex))
        {
            Discard(message, DiscardReason.Duplicate, null);
            return;
        }
        var expectedTrials = _plan.Shard(_pointIndex, shardIndex).TrialCount;
        if (message.TrialCount != expectedTrials)
        {
            Discard(message, DiscardReason.Invalid, $"{message.TrialCount} trials, the plan says {expectedTrials}");
            return;
        }
        if (!TryRead(message.State, expectedTrials, out var shard, out var problem))
        {
            Discard(message, DiscardReason.Invalid, problem);
            return;
        }
        var outcome = _aggregate.Add(shardIndex, shard);
        _coordinator.Tell(new ShardMerged(message.Shard, message.Lease, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
        if (outcome.BecameDone) LogPointDone();
    }

    private void OnGetSnapshot(GetPointSnapshot message)
    {
        var bytes = _aggregate.Merged.ToBytes();
        Sender.Tell(new PointSnapshotResult(_pointIndex, message.CollectionId, _aggregate.ShardsMerged, _aggregate.Trials,
            _aggregate.Done, ImmutableCollectionsMarshal.AsImmutableArray(bytes)));
    }

    private void Discard(ShardResult message, DiscardReason reason, string? problem)
    {
        if (reason == DiscardReason.Invalid)
            _log.Error("{Event:l}: point {PointIndex} shard {ShardIndex} lease {LeaseId}: result rejected: {Reason}",
                "ShardRejected", _pointIndex, message.Shard.ShardIndex, message.Lease.Value, problem);
        else
            _log.Debug("{Event:l}: point {PointIndex} shard {ShardIndex} lease {LeaseId}: {Reason}",
                "ShardDiscarded", _pointIndex, message.Shard.ShardIndex, message.Lease.Value, reason);
        _coordinator.Tell(new ShardDiscarded(
            message.Shard, message.Lease, reason, _aggregate.ShardsMerged, _aggregate.Trials, _aggregate.Done));
    }

    // Debug: the coordinator logs the same moment at Info (PointCompleted), once per point.
    private void LogPointDone() =>
        _log.Debug("{Event:l}: point {PointIndex} done after {ShardsMerged} shards, {TrialCount} trials",
            "PointDone", _pointIndex, _aggregate.ShardsMerged, _aggregate.Trials);

    private bool TryRead(ImmutableArray<byte> bytes, long expectedTrials, out PointAccumulator accumulator, out string problem)
    {
        try
        {
            accumulator = PointAccumulator.FromBytes(_aggregate.Layout, bytes.IsDefault ? [] : bytes.AsSpan());
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
