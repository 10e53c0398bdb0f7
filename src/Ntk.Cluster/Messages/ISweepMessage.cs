namespace Ntk.Cluster.Messages;

/// <summary>
/// Every message that may cross the wire. Bound to <see cref="Serialization.SweepMessageSerializer"/> (and nothing
/// else) by akka.actor.serialization-bindings, so only these types are accepted from the network (docs/contract.md §8).
/// </summary>
internal interface ISweepMessage { }

/// <summary>Messages sent to the coordinator (by workers, aggregators and the host).</summary>
internal interface ICoordinatorMessage : ISweepMessage { }

/// <summary>Messages sent by the coordinator to a worker.</summary>
internal interface IWorkerMessage : ISweepMessage { }

/// <summary>
/// Messages for the aggregator of one point. Both aggregator routers (the local child-per-point parent and, in
/// cluster mode, the shard region) route on <see cref="PointIndex"/>.
/// </summary>
internal interface IPointMessage : ISweepMessage
{
    int PointIndex { get; }
}

/// <summary>Messages sent to the result writer (by the coordinator and the aggregators).</summary>
internal interface IResultWriterMessage : ISweepMessage { }
