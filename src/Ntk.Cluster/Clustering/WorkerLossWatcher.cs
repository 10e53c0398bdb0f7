using System.Globalization;
using Akka.Actor;
using Akka.Cluster;

namespace Ntk.Cluster.Clustering;

/// <summary>
/// Coordinator node → coordinator singleton (local, never serialized): the worker node at
/// <see cref="MemberAddress"/> was downed or removed, so the leases of its workers (ids starting with
/// <see cref="WorkerIdPrefix"/>) expire now instead of after the lease timeout.
/// </summary>
internal sealed record WorkerNodeLost(string MemberAddress, string WorkerIdPrefix) : INoSerializationVerificationNeeded
{
    /// <summary>Worker ids are "HOST:PORT/worker-N" (ClusterWiring.StartWorkers).</summary>
    public static WorkerNodeLost For(Address address) =>
        new(address.ToString(), $"{address.Host}:{address.Port?.ToString(CultureInfo.InvariantCulture)}/");
}

/// <summary>
/// Runs on the coordinator node: tells the coordinator (through its singleton proxy) when a worker-role member is
/// downed or removed, once per member.
/// </summary>
internal sealed class WorkerLossWatcher : ReceiveActor
{
    private readonly HashSet<UniqueAddress> _reported = [];

    public WorkerLossWatcher(IActorRef coordinator)
    {
        void Report(Member member)
        {
            if (member.HasRole(ClusterHocon.WorkerRole) && _reported.Add(member.UniqueAddress))
                coordinator.Tell(WorkerNodeLost.For(member.Address));
        }

        Receive<ClusterEvent.MemberDowned>(m => Report(m.Member));
        Receive<ClusterEvent.MemberRemoved>(m => Report(m.Member));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    public static Props Props(IActorRef coordinator) => Akka.Actor.Props.Create(() => new WorkerLossWatcher(coordinator));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.MemberDowned), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
