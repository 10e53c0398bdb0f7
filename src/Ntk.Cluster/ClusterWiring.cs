using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Ntk.Cluster.Actors;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Settings;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cluster;

/// <summary>
/// The cluster counterpart of <see cref="LocalWiring"/>: the same actor classes, with the aggregator router being an
/// Akka.Cluster.Sharding region (entity = point, <see cref="PointMessageExtractor"/>, pinned to the coordinator role)
/// and the coordinator a cluster singleton on the coordinator role. Worker nodes reach both through proxies.
/// </summary>
internal static class ClusterWiring
{
    /// <summary>Sharding type name of the aggregators.</summary>
    public const string AggregatorTypeName = "aggregator";

    /// <summary>Name of the singleton manager (/user/sweep-coordinator); the singleton is its child "coordinator".</summary>
    public const string CoordinatorManagerName = "sweep-coordinator";

    /// <summary>Name of the coordinator singleton proxy on every node (/user/sweep-coordinator-proxy).</summary>
    public const string CoordinatorProxyName = "sweep-coordinator-proxy";

    /// <summary>Name of the plan server on the coordinator node (/user/sweep-plan).</summary>
    public const string PlanServerName = "sweep-plan";

    /// <summary>
    /// Starts everything the coordinator node runs: the aggregator shard region (hosting entities, journaled under
    /// <paramref name="run"/>'s persistence ids, a snapshot every <paramref name="snapshotEvery"/> shards), the result
    /// writer, the coordinator singleton (manager and proxy), the plan server and <paramref name="localWorkers"/>
    /// workers. Call once this node is Up. Returns the actors (Coordinator = the singleton proxy) and the singleton
    /// manager, which the caller watches with the region and the writer.
    /// </summary>
    public static async Task<(SweepActors Actors, IActorRef SingletonManager)> StartCoordinatorNode(
        ActorSystem system,
        SweepPlanResult plan,
        IReadOnlyList<PointResumeState> resume,
        Persistence.SweepRun run,
        int snapshotEvery,
        SweepActorSettings settings,
        int aggregatorShards,
        int localWorkers,
        ISweepResultSink sink,
        IProgressObserver progress,
        TaskCompletionSource<SweepSnapshot> completion,
        Func<PointDefinition, ITrialSampler> samplerFactory)
    {
        var sweep = plan.Plan;
        // Loading the extension first injects its reference configuration, which the settings read.
        var sharding = ClusterSharding.Get(system);
        var shardingSettings = ClusterShardingSettings.Create(system)
            .WithRole(ClusterHocon.CoordinatorRole)
            .WithStateStoreMode(StateStoreMode.DData)
            .WithRememberEntities(false);
        var region = await sharding.StartAsync(
            AggregatorTypeName,
            entityId =>
            {
                var point = int.Parse(entityId, NumberStyles.None, CultureInfo.InvariantCulture);
                // Aggregators live on the coordinator node, next to its singleton proxy.
                return AggregatorActor.Props(sweep, point, run.AggregatorId(point), snapshotEvery, "/user/" + CoordinatorProxyName);
            },
            shardingSettings,
            new PointMessageExtractor(aggregatorShards)).ConfigureAwait(false);
        var writer = system.ActorOf(ResultWriterActor.Props(sweep, region, sink, progress, settings, completion), "result-writer");
        var manager = system.ActorOf(
            ClusterSingletonManager.Props(
                CoordinatorActor.Props(sweep, resume, settings, region, writer, run.CoordinatorId),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole(ClusterHocon.CoordinatorRole)),
            CoordinatorManagerName);
        var coordinator = StartCoordinatorProxy(system);
        system.ActorOf(PlanServer.Props(plan), PlanServerName);
        system.ActorOf(WorkerLossWatcher.Props(coordinator), "worker-loss-watcher");
        var workers = StartWorkers(system, localWorkers, sweep, coordinator, region, settings, samplerFactory);
        return (new SweepActors(coordinator, region, writer, workers), manager);
    }

    /// <summary>Worker node: the aggregator region proxy (no entities here) and the coordinator singleton proxy.</summary>
    public static async Task<(IActorRef Coordinator, IActorRef Aggregators)> StartWorkerProxies(ActorSystem system, int aggregatorShards)
    {
        var region = await ClusterSharding.Get(system).StartProxyAsync(
            AggregatorTypeName, ClusterHocon.CoordinatorRole, new PointMessageExtractor(aggregatorShards)).ConfigureAwait(false);
        return (StartCoordinatorProxy(system), region);
    }

    /// <summary>
    /// Starts <paramref name="count"/> workers named worker-1..worker-N, with ids "HOST:PORT/worker-N" (unique in the
    /// cluster, readable in the logs).
    /// </summary>
    public static ImmutableArray<IActorRef> StartWorkers(ActorSystem system, int count, SimulationPlan plan,
        IActorRef coordinator, IActorRef aggregators, SweepActorSettings settings,
        Func<PointDefinition, ITrialSampler> samplerFactory)
    {
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var node = $"{self.Host}:{self.Port?.ToString(CultureInfo.InvariantCulture)}";
        var workers = ImmutableArray.CreateBuilder<IActorRef>(count);
        for (var i = 1; i <= count; i++)
        {
            var name = "worker-" + i.ToString(CultureInfo.InvariantCulture);
            workers.Add(system.ActorOf(
                WorkerActor.Props(new WorkerId($"{node}/{name}"), plan, coordinator, aggregators, settings, samplerFactory), name));
        }
        return workers.MoveToImmutable();
    }

    private static IActorRef StartCoordinatorProxy(ActorSystem system) =>
        system.ActorOf(
            ClusterSingletonProxy.Props("/user/" + CoordinatorManagerName,
                ClusterSingletonProxySettings.Create(system).WithRole(ClusterHocon.CoordinatorRole)),
            CoordinatorProxyName);
}
