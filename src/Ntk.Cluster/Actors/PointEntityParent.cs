using Akka.Actor;
using Akka.Event;
using Ntk.Cluster.Messages;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Local stand-in for the aggregator shard region: one child per point, created on the point's first message and
/// named by the same <see cref="PointMessageExtractor"/> the region uses; every <see cref="IPointMessage"/> is
/// forwarded to it (the sender is kept). A child that throws is resumed, never restarted: a restart would silently
/// drop the merged state that the coordinator already counts as done. A child that asks to be passivated (a released
/// point) is sent its stop message, as a shard region would.
/// </summary>
internal sealed class PointEntityParent : ReceiveActor
{
    private readonly Func<int, Props> _entityProps;
    private readonly PointMessageExtractor _extractor = new(maxNumberOfShards: 1);
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="pointCount">Messages for points outside 0..pointCount−1 are dropped (logged).</param>
    public PointEntityParent(int pointCount, Func<int, Props> entityProps)
    {
        _entityProps = entityProps;
        Receive<IPointMessage>(message =>
        {
            if (message.PointIndex < 0 || message.PointIndex >= pointCount)
            {
                _log.Warning("{Event:l}: {MessageType} for point {PointIndex} dropped: the sweep has {PointCount} points",
                    "MessageDropped", message.GetType().Name, message.PointIndex, pointCount);
                return;
            }
            var name = _extractor.EntityId(message)!;
            var child = Context.Child(name);
            if (child.IsNobody()) child = Context.ActorOf(_entityProps(message.PointIndex), name);
            child.Forward(_extractor.EntityMessage(message));
        });
        // A released aggregator asks to go, as it would ask a shard region.
        Receive<Akka.Cluster.Sharding.Passivate>(m => Sender.Tell(m.StopMessage));
    }

    public static Props Props(int pointCount, Func<int, Props> entityProps) =>
        Akka.Actor.Props.Create(() => new PointEntityParent(pointCount, entityProps));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Resume);
}
