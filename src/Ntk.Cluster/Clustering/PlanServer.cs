using Akka.Actor;
using Akka.Event;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Clustering;

/// <summary>
/// Runs on the coordinator node at /user/sweep-plan and answers <see cref="GetSweepPlan"/> with the sweep's plan
/// (marked <see cref="SweepPlanResult.SweepOver"/> after <see cref="SweepOver"/>). Anything else is logged and dropped.
/// </summary>
internal sealed class PlanServer : ReceiveActor
{
    public PlanServer(SweepPlanResult plan)
    {
        var log = Context.GetLogger();
        var current = plan;
        Receive<GetSweepPlan>(_ =>
        {
            log.Debug("{Event:l}: plan sent to {MemberAddress}", LogEvents.PlanSent, Sender.Path.Address.ToString());
            Serialization.MessageChunker.For(Context.System).Tell(Sender, current, Self);
        });
        Receive<SweepOver>(_ => current = current with { SweepOver = true });
        ReceiveAny(m => log.Warning("{Event:l}: {MessageType} dropped by the plan server", LogEvents.MessageDropped, m.GetType().Name));
    }

    public static Props Props(SweepPlanResult plan) => Akka.Actor.Props.Create(() => new PlanServer(plan));

    /// <summary>Local: the final snapshot is written; joiners are told so from now on.</summary>
    internal sealed record SweepOver : INoSerializationVerificationNeeded
    {
        public static readonly SweepOver Instance = new();
        private SweepOver() { }
    }
}

/// <summary>
/// Worker node: asks every Up member with the coordinator role for the plan (/user/sweep-plan) every
/// <c>retryInterval</c> until one answers; completes <c>plan</c> with the first answer and stops.
/// </summary>
internal sealed class PlanFetcher : ReceiveActor, IWithTimers
{
    private readonly HashSet<Address> _coordinators = [];
    private readonly TimeSpan _retryInterval;

    public PlanFetcher(TaskCompletionSource<SweepPlanResult> plan, TimeSpan retryInterval)
    {
        _retryInterval = retryInterval;
        Receive<Akka.Cluster.ClusterEvent.MemberUp>(m =>
        {
            if (!m.Member.HasRole(ClusterHocon.CoordinatorRole)) return;
            _coordinators.Add(m.Member.Address);
            Ask(m.Member.Address);
        });
        Receive<Akka.Cluster.ClusterEvent.MemberRemoved>(m => _coordinators.Remove(m.Member.Address));
        Receive<Akka.Cluster.ClusterEvent.IMemberEvent>(_ => { });
        Receive<Retry>(_ =>
        {
            foreach (var address in _coordinators) Ask(address);
        });
        var chunks = new Serialization.ChunkInbox(Context.System, Context.GetLogger(), "plan fetcher");
        Receive<Messages.MessageChunk>(chunk => chunks.Receive(chunk, Sender, Self));
        Receive<SweepPlanResult>(result =>
        {
            plan.TrySetResult(result);
            Context.Stop(Self);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TaskCompletionSource<SweepPlanResult> plan, TimeSpan retryInterval) =>
        Akka.Actor.Props.Create(() => new PlanFetcher(plan, retryInterval));

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self,
            Akka.Cluster.ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(Akka.Cluster.ClusterEvent.IMemberEvent));
        Timers.StartPeriodicTimer("retry", Retry.Instance, _retryInterval);
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private void Ask(Address address) =>
        Context.ActorSelection(new RootActorPath(address) / "user" / ClusterWiring.PlanServerName).Tell(GetSweepPlan.Instance);

    private sealed record Retry : INoSerializationVerificationNeeded
    {
        public static readonly Retry Instance = new();
        private Retry() { }
    }
}
