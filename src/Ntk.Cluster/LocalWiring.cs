using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Ntk.Cluster.Actors;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Settings;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cluster;

/// <summary>The actors of one running sweep.</summary>
internal sealed record SweepActors(IActorRef Coordinator, IActorRef Aggregators, IActorRef ResultWriter, ImmutableArray<IActorRef> Workers);

/// <summary>
/// The only place that differs between local and cluster mode: who stands in for the aggregator shard region (here a
/// child-per-point parent) and for the coordinator singleton (here a plain top-level actor). The actor classes are
/// the same in both modes.
/// </summary>
internal static class LocalWiring
{
    /// <summary>The coordinator is /user/coordinator (aggregators report there).</summary>
    public const string CoordinatorName = "coordinator";

    public static SweepActors Start(
        IActorRefFactory system,
        SimulationPlan plan,
        IReadOnlyList<PointResumeState> resume,
        SweepActorSettings settings,
        int workerCount,
        ISweepResultSink sink,
        IProgressObserver progress,
        TaskCompletionSource<SweepSnapshot> completion,
        Func<PointDefinition, ITrialSampler> samplerFactory,
        bool journalAggregators = false)
    {
        // One in-memory run per process: persistence ids only need to be unique in it. The aggregators keep no
        // journal here (AggregatorActor.Record): nothing could recover from it, and it would hold their states.
        // journalAggregators: tests that stop aggregators mid-sweep, as a cluster moves them, journal them in memory
        // (snapshots every 10 shards keep that journal from growing with the shards).
        var run = Persistence.SweepRun.Local("local");
        var aggregators = system.ActorOf(
            // Without aggregator journals a plain actor per point (LocalAggregatorActor: no Akka.Persistence machinery).
            PointEntityParent.Props(plan.Points.Length, p => journalAggregators
                ? AggregatorActor.Props(plan, p, run.AggregatorId(p), snapshotEvery: 10, "/user/" + CoordinatorName)
                : LocalAggregatorActor.Props(plan, p, "/user/" + CoordinatorName)),
            "aggregators");
        var writer = system.ActorOf(ResultWriterActor.Props(plan, aggregators, sink, progress, settings, completion), "result-writer");
        var coordinator = system.ActorOf(CoordinatorActor.Props(plan, resume, settings, aggregators, writer, run.CoordinatorId,
            journaled: journalAggregators), CoordinatorName);
        var workers = ImmutableArray.CreateBuilder<IActorRef>(workerCount);
        for (var i = 1; i <= workerCount; i++)
            workers.Add(StartWorker(system, i, plan, coordinator, aggregators, settings, samplerFactory));
        return new SweepActors(coordinator, aggregators, writer, workers.MoveToImmutable());
    }

    /// <summary>Starts worker number <paramref name="number"/> (named "worker-N").</summary>
    public static IActorRef StartWorker(IActorRefFactory system, int number, SimulationPlan plan, IActorRef coordinator,
        IActorRef aggregators, SweepActorSettings settings, Func<PointDefinition, ITrialSampler> samplerFactory)
    {
        var name = "worker-" + number.ToString(CultureInfo.InvariantCulture);
        return system.ActorOf(
            WorkerActor.Props(new WorkerId(name), plan, coordinator, aggregators, settings, samplerFactory), name);
    }
}
