using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Clustering;

/// <summary>
/// Logs membership and reachability changes as seen by this node, one event each, for `ntk monitor`:
/// {Event} is MemberUp, MemberUnreachable, MemberReachable, MemberDowned, MemberLeft or MemberRemoved, with
/// {MemberAddress} and {Roles} (comma-separated). Also completes <c>coordinatorLeft</c> when a coordinator-role member
/// is removed after leaving gracefully (the sweep is over), as opposed to being downed.
/// </summary>
internal sealed class MembershipLogger : ReceiveActor
{
    public MembershipLogger(TaskCompletionSource? coordinatorLeft)
    {
        var log = Context.GetLogger();
        void Write(string name, Member member, bool warning = false)
        {
            var roles = string.Join(",", member.Roles.OrderBy(r => r, StringComparer.Ordinal));
            if (warning)
                log.Warning("{Event:l}: {MemberAddress} ({Roles})", name, member.Address.ToString(), roles);
            else
                log.Info("{Event:l}: {MemberAddress} ({Roles})", name, member.Address.ToString(), roles);
        }

        Receive<ClusterEvent.MemberUp>(m => Write(LogEvents.MemberUp, m.Member));
        Receive<ClusterEvent.UnreachableMember>(m => Write(LogEvents.MemberUnreachable, m.Member, warning: true));
        Receive<ClusterEvent.ReachableMember>(m => Write(LogEvents.MemberReachable, m.Member));
        Receive<ClusterEvent.MemberDowned>(m => Write(LogEvents.MemberDowned, m.Member, warning: true));
        Receive<ClusterEvent.MemberLeft>(m => Write(LogEvents.MemberLeft, m.Member));
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            Write(LogEvents.MemberRemoved, m.Member);
            if (m.PreviousStatus == MemberStatus.Exiting && m.Member.HasRole(ClusterHocon.CoordinatorRole))
                coordinatorLeft?.TrySetResult();
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    public static Props Props(TaskCompletionSource? coordinatorLeft) =>
        Akka.Actor.Props.Create(() => new MembershipLogger(coordinatorLeft));

    protected override void PreStart() =>
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
}
