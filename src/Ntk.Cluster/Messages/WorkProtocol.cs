using Akka.Actor;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cluster.Messages;

// Work pulling between workers and the coordinator. A worker asks only when it is idle, runs one shard at a time and
// asks again after sending the shard's result to the point's aggregator. Delivery is at most once: a lost lease or
// result costs one lease timeout, never a wrong result (aggregators merge each shard once).

/// <summary>Worker → coordinator: "I am idle, give me a shard". The answer goes to <see cref="ReplyTo"/> when set,
/// else to the sender. Answered by <see cref="LeaseShard"/>, <see cref="NoWorkAvailable"/> or <see cref="SweepFinished"/>.</summary>
internal sealed record RequestWork(WorkerId Worker, IActorRef? ReplyTo) : ICoordinatorMessage;

/// <summary>Coordinator → worker: compute <see cref="Shard"/> and send its <see cref="ShardResult"/> to the point's
/// aggregator. The coordinator offers the shard to another worker if no result arrives within its lease timeout.</summary>
internal sealed record LeaseShard(LeaseId Lease, ShardSpec Shard) : IWorkerMessage
{
    public ShardId Id => new(Shard.PointIndex, Shard.ShardIndex);
}

/// <summary>Coordinator → worker: nothing to lease right now (shards in flight, points waiting); ask again later.</summary>
internal sealed record NoWorkAvailable : IWorkerMessage
{
    public static readonly NoWorkAvailable Instance = new();
    private NoWorkAvailable() { }
}

/// <summary>Coordinator → worker: the sweep is over (done or stopped); the worker stops.</summary>
internal sealed record SweepFinished : IWorkerMessage
{
    public static readonly SweepFinished Instance = new();
    private SweepFinished() { }
}

/// <summary>Worker → coordinator: "I am busy, I will not compute this lease" (a second answer to a repeated request).
/// The coordinator releases the lease at once instead of waiting for it to expire.</summary>
internal sealed record DeclineLease(ShardId Shard, LeaseId Lease) : ICoordinatorMessage;

/// <summary>Worker → coordinator: computing a shard threw. Sampling is deterministic, so a retry would fail the
/// same way: the coordinator stops the sweep and fails it after publishing the final snapshot.</summary>
internal sealed record ShardFailed(ShardId Shard, LeaseId Lease, WorkerId Worker, string Reason) : ICoordinatorMessage;

/// <summary>Host → coordinator (Ctrl-C): lease nothing more, publish a final snapshot (incomplete unless every point
/// is already done) and finish.</summary>
internal sealed record StopSweep : ICoordinatorMessage
{
    public static readonly StopSweep Instance = new();
    private StopSweep() { }
}
