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
/// Akka.Cluster.Sharding region (entity = point, <see cref="PointMessageExtractor"/>, on the nodes with the aggregator
/// role: the coordinator node, and worker nodes started with <c>--aggregator-journal</c>) and the coordinator a cluster
/// singleton on the coordinator role. Other worker nodes reach both through proxies. Every aggregator journals into
/// the one journal the coordinator opened, under the coordinator's run, so a point whose node dies is recovered on
/// another aggregator node from the journal (docs/cluster.md, "Aggregators on several nodes").
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
        plan = plan with { RunGeneration = run.Generation };
        var region = await StartAggregatorRegion(system, new AggregatorHosting(sweep, run, snapshotEvery), aggregatorShards)
            .ConfigureAwait(false);
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

    /// <summary>
    /// Worker node: the coordinator singleton proxy, and the aggregator region — a proxy (no entities here), or, with
    /// <paramref name="hosting"/> (the node has the aggregator role), a region that hosts some of the points.
    /// </summary>
    public static async Task<(IActorRef Coordinator, IActorRef Aggregators)> StartWorkerProxies(ActorSystem system, int aggregatorShards,
        AggregatorHosting? hosting = null)
    {
        // The coordinator proxy first: the aggregators hosted here report to it by path.
        var coordinator = StartCoordinatorProxy(system);
        var region = hosting is null
            ? await ClusterSharding.Get(system).StartProxyAsync(
                AggregatorTypeName, ClusterHocon.AggregatorRole, new PointMessageExtractor(aggregatorShards)).ConfigureAwait(false)
            : await StartAggregatorRegion(system, hosting, aggregatorShards).ConfigureAwait(false);
        return (coordinator, region);
    }

    /// <summary>
    /// The aggregator shard region of a node with the aggregator role: entity = point, journaled under
    /// <see cref="AggregatorHosting.Run"/>'s persistence ids; entities are not remembered (a point's aggregator starts
    /// again, from the journal, when a message for it arrives on whichever aggregator node then owns its shard).
    /// </summary>
    private static Task<IActorRef> StartAggregatorRegion(ActorSystem system, AggregatorHosting hosting, int aggregatorShards)
    {
        // Loading the extension first injects its reference configuration, which the settings read.
        var sharding = ClusterSharding.Get(system);
        var shardingSettings = ClusterShardingSettings.Create(system)
            .WithRole(ClusterHocon.AggregatorRole)
            .WithStateStoreMode(StateStoreMode.DData)
            .WithRememberEntities(false);
        return sharding.StartAsync(
            AggregatorTypeName,
            entityId =>
            {
                var point = int.Parse(entityId, NumberStyles.None, CultureInfo.InvariantCulture);
                // Every node of the cluster runs the coordinator proxy at this path.
                return AggregatorActor.Props(hosting.Plan, point, hosting.Run.AggregatorId(point), hosting.SnapshotEvery,
                    "/user/" + CoordinatorProxyName);
            },
            shardingSettings,
            new PointMessageExtractor(aggregatorShards));
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

/// <summary>What a node with the aggregator role needs to host points: the plan, the coordinator's run in the shared
/// journal (persistence ids) and how often an aggregator snapshots (ntk.persistence.snapshot-every).</summary>
internal sealed record AggregatorHosting(SimulationPlan Plan, Persistence.SweepRun Run, int SnapshotEvery);
