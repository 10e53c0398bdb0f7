using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Ntk.Cluster.Actors;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Settings;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests;

/// <summary>Actors under the TestKit, every message serialized on every send as if it crossed the wire.</summary>
public class ActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public ActorSpecs(ITestOutputHelper output) : base(TestConfigs.SerializeEverything, output: output) { }

    private static ShardResult ResultOf(SimulationPlan plan, int shardIndex, long leaseId)
    {
        var spec = plan.Shard(0, shardIndex);
        var accumulator = ShardRunner.Run(new FakeSampler(plan.Points[0].Definition), spec.FirstTrial, spec.TrialCount);
        return new ShardResult(new ShardId(0, shardIndex), new LeaseId(leaseId), spec.TrialCount,
            ImmutableCollectionsMarshal.AsImmutableArray(accumulator.ToBytes()));
    }

    [Fact]
    public void The_aggregator_merges_in_order_reports_to_the_coordinator_and_answers_snapshots()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 120, shardTrials: 40);
        var router = Sys.ActorOf(PointEntityParent.Props(plan.Points.Length, p => AggregatorActor.Props(plan, p, $"test-point-{p}", snapshotEvery: 0, "/user/no-coordinator")));

        router.Tell(new RestorePoint(0, 0, ImmutableArray<byte>.Empty), TestActor);
        Assert.Equal(new PointRestored(0, 0, 0, false, []), ExpectMsg<PointRestored>());

        router.Tell(ResultOf(plan, 1, leaseId: 11));
        Assert.Equal(new ShardMerged(new ShardId(0, 1), new LeaseId(11), 0, 0, false), ExpectMsg<ShardMerged>());
        router.Tell(ResultOf(plan, 0, leaseId: 10));
        Assert.Equal(new ShardMerged(new ShardId(0, 0), new LeaseId(10), 2, 80, false), ExpectMsg<ShardMerged>());

        router.Tell(ResultOf(plan, 0, leaseId: 12));
        Assert.Equal(DiscardReason.Duplicate, ExpectMsg<ShardDiscarded>().Reason);
        router.Tell(ResultOf(plan, 2, leaseId: 13) with { TrialCount = 39 });
        Assert.Equal(DiscardReason.Invalid, ExpectMsg<ShardDiscarded>().Reason);
        router.Tell(ResultOf(plan, 2, leaseId: 14) with { State = [1, 2, 3] });
        Assert.Equal(DiscardReason.Invalid, ExpectMsg<ShardDiscarded>().Reason);

        router.Tell(new GetPointSnapshot(0, 5));
        var partial = ExpectMsg<PointSnapshotResult>();
        Assert.Equal((5L, 2, 80L, false), (partial.CollectionId, partial.ShardsMerged, partial.Trials, partial.Done));

        router.Tell(ResultOf(plan, 2, leaseId: 15));
        Assert.True(ExpectMsg<ShardMerged>().PointDone);
        router.Tell(ResultOf(plan, 2, leaseId: 16));
        Assert.Equal(DiscardReason.PointDone, ExpectMsg<ShardDiscarded>().Reason);

        router.Tell(new GetPointSnapshot(0, 6));
        var final = ExpectMsg<PointSnapshotResult>();
        Assert.True(final.Done);
        Assert.Equal(Reference.Point(plan, 0, p => new FakeSampler(p)).Merged.ToBytes(), final.State.ToArray());
    }

    [Fact]
    public async Task Aggregators_stopped_mid_sweep_recover_from_the_journal_and_the_results_are_unchanged()
    {
        // As when an aggregator entity moves or its actor is restarted: every aggregator is stopped several times
        // while shards arrive; the next message recreates it, it recovers from the (in-memory) journal and reports
        // to the coordinator by path. Results lost in a stopped mailbox are re-issued when their lease expires.
        var plan = TestPlans.Fixed(points: 2, trials: 2000, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(2, TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TimeSpan.Zero));
        var completion = new TaskCompletionSource<SweepSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        var recoveries = 0;
        var listener = Sys.ActorOf(Props.Create(() => new CountingListener("AggregatorRecovered", () => Interlocked.Increment(ref recoveries))));
        Sys.EventStream.Subscribe(listener, typeof(Akka.Event.Info));
        LocalWiring.Start(Sys, plan, [], settings, workerCount: 2, new RecordingSink(), new RecordingProgress(), completion,
            p => new SlowSampler(new FakeSampler(p), millisecondsPerTrial: 1));

        var stops = 0;
        while (!completion.Task.IsCompleted && stops < 6)
        {
            await Task.Delay(250);
            Sys.ActorSelection("/user/aggregators/*").Tell(PoisonPill.Instance);
            stops++;
        }
        var snapshot = await completion.Task.WaitAsync(Patience);
        Assert.True(snapshot.Complete);
        for (var p = 0; p < plan.Points.Length; p++)
        {
            Assert.Equal(2000, snapshot.Points[p].Trials);
            Assert.Equal(Reference.Point(plan, p, q => new FakeSampler(q)).Merged.ToBytes(), snapshot.Points[p].Merged.ToBytes());
        }
        AwaitCondition(() => Volatile.Read(ref recoveries) > 0, Patience);
        Output?.WriteLine($"aggregators stopped {stops} times; {recoveries} recoveries from the journal");
    }

    [Fact]
    public async Task Finished_points_are_released_their_aggregators_stop_and_the_results_are_unchanged()
    {
        // 24 two-shard points through a window of 16 open points: each finished point is handed to the
        // sink once and its aggregator stops, so none is left at the end.
        var plan = TestPlans.Fixed(points: 24, trials: 100, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(2, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.Zero));
        Assert.Equal(16, settings.PointWindow);
        var completion = new TaskCompletionSource<SweepSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink();
        LocalWiring.Start(Sys, plan, [], settings, workerCount: 2, sink, new RecordingProgress(), completion, p => new FakeSampler(p));
        var snapshot = await completion.Task.WaitAsync(Patience * 3);

        Assert.True(snapshot.Complete);
        for (var p = 0; p < plan.Points.Length; p++)
            Assert.Equal(Reference.Point(plan, p, q => new FakeSampler(q)).Merged.ToBytes(), snapshot.Points[p].Merged.ToBytes());
        await Task.Delay(200);
        // A selection that matches no child answers once with an empty identity; a live child would answer with itself.
        Sys.ActorSelection("/user/aggregators/*").Tell(new Identify("left"), TestActor);
        var answers = ReceiveWhile(TimeSpan.FromMilliseconds(500), m => (ActorIdentity)m);
        Assert.All(answers, a => Assert.Null(a.Subject));
    }

    private sealed class CountingListener : ReceiveActor
    {
        public CountingListener(string text, Action found) =>
            Receive<Akka.Event.Info>(e => { if (e.Message?.ToString()?.Contains(text, StringComparison.Ordinal) == true) found(); });
    }

    private sealed class SlowSampler(ITrialSampler inner, int millisecondsPerTrial) : ITrialSampler
    {
        public MeasurementLayout Layout => inner.Layout;

        public void Sample(long trial, Span<double> measurement)
        {
            Thread.Sleep(millisecondsPerTrial);
            inner.Sample(trial, measurement);
        }
    }

    [Fact]
    public async Task A_worker_that_dies_mid_shard_loses_only_its_lease_and_the_results_are_unchanged()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 200, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(1, TimeSpan.Zero, TimeSpan.FromMilliseconds(300), TimeSpan.Zero));
        var completion = new TaskCompletionSource<SweepSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new RecordingSink();
        var actors = LocalWiring.Start(Sys, plan, [], settings, workerCount: 0, sink, new RecordingProgress(), completion,
            p => new FakeSampler(p));

        // Worker 1 takes shard 0 and hangs inside it.
        var gate = new SamplerGate(pointIndex: 0, firstBlockedTrial: 0);
        try
        {
            var doomed = LocalWiring.StartWorker(Sys, 1, plan, actors.Coordinator, actors.Aggregators, settings,
                gate.Wrap(p => new FakeSampler(p)));
            Watch(doomed);
            AwaitCondition(() => gate.Entered.IsSet, Patience);
            Sys.Stop(doomed);
            ExpectTerminated(doomed);

            // Worker 2 does the rest, shard 0 included once its lease has expired.
            LocalWiring.StartWorker(Sys, 2, plan, actors.Coordinator, actors.Aggregators, settings, p => new FakeSampler(p));
            await completion.Task.WaitAsync(Patience);
        }
        finally
        {
            gate.Release();
        }

        var snapshot = await completion.Task;
        Assert.True(snapshot.Final);
        Assert.True(snapshot.Complete);
        var point = Assert.Single(snapshot.Points);
        Assert.Equal((4, 200L), (point.ShardsMerged, point.Trials));
        Assert.Equal(Reference.Point(plan, 0, p => new FakeSampler(p)).Merged.ToBytes(), point.Merged.ToBytes());
        Assert.Same(snapshot, sink.Snapshots.Last());
    }

    [Fact]
    public void The_coordinator_answers_idle_workers_and_finishes_after_the_last_point()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 100, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(1, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.Zero));
        var aggregators = CreateTestProbe();
        var writer = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(plan, [], settings, aggregators.Ref, writer.Ref, "test-coordinator"));

        Assert.Equal(0, aggregators.ExpectMsg<RestorePoint>().PointIndex);
        coordinator.Tell(new RequestWork(new WorkerId("w"), TestActor));
        ExpectMsg<NoWorkAvailable>(); // the point is not open yet
        coordinator.Tell(new PointRestored(0, 0, 0, false, []));

        coordinator.Tell(new RequestWork(new WorkerId("w"), TestActor));
        var first = ExpectMsg<LeaseShard>();
        coordinator.Tell(new RequestWork(new WorkerId("w"), null));
        var second = ExpectMsg<LeaseShard>();
        Assert.Equal((0, 1), (first.Shard.ShardIndex, second.Shard.ShardIndex));
        Assert.Equal(new ShardSpec(0, 1, 50, 50), second.Shard);
        coordinator.Tell(new RequestWork(new WorkerId("w"), TestActor));
        ExpectMsg<NoWorkAvailable>();

        coordinator.Tell(new ShardMerged(second.Id, second.Lease, 0, 0, false));
        coordinator.Tell(new ShardMerged(first.Id, first.Lease, 2, 100, true));
        // The writer hears of the finished point first (it fetches and writes it), then of the end of the sweep.
        Assert.Equal(new PointCompleted(0), writer.ExpectMsg<PointCompleted>());
        var progress = writer.ExpectMsg<SweepProgressReport>();
        Assert.Equal([new PointTrials(0, 100, true)], progress.Points.ToArray());
        Assert.Null(writer.ExpectMsg<PublishFinalSnapshot>().Failure);
        coordinator.Tell(new RequestWork(new WorkerId("w"), TestActor));
        ExpectMsg<SweepFinished>();
    }

    [Fact]
    public void Stopping_the_coordinator_asks_for_a_final_snapshot_at_once()
    {
        var plan = TestPlans.Fixed(points: 2, trials: 100, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(1, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.Zero));
        var writer = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(plan, [], settings, CreateTestProbe().Ref, writer.Ref, "test-coordinator"));
        coordinator.Tell(StopSweep.Instance);
        writer.ExpectMsg<SweepProgressReport>();
        Assert.Null(writer.ExpectMsg<PublishFinalSnapshot>().Failure);
        coordinator.Tell(new RequestWork(new WorkerId("w"), TestActor));
        ExpectMsg<SweepFinished>();
    }

    [Fact]
    public void A_failed_shard_stops_the_sweep_and_the_final_request_carries_the_failure()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 100, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(1, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.Zero));
        var writer = CreateTestProbe();
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(plan, [], settings, CreateTestProbe().Ref, writer.Ref, "test-coordinator"));
        coordinator.Tell(new ShardFailed(new ShardId(0, 0), new LeaseId(1), new WorkerId("w"), "boom"));
        writer.ExpectMsg<SweepProgressReport>();
        Assert.Contains("boom", writer.ExpectMsg<PublishFinalSnapshot>().Failure);
    }

    [Fact]
    public void A_worker_computes_its_lease_sends_the_result_to_the_aggregator_and_asks_again()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 100, shardTrials: 50);
        var settings = SweepActorSettings.ForLocal(new SweepRunSettings(1, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.Zero));
        var coordinator = CreateTestProbe();
        var aggregators = CreateTestProbe();
        Func<PointDefinition, ITrialSampler> fake = p => new FakeSampler(p);
        var worker = Sys.ActorOf(WorkerActor.Props(new WorkerId("w1"), plan, coordinator.Ref, aggregators.Ref, settings, fake));

        var request = coordinator.ExpectMsg<RequestWork>();
        Assert.Equal(new WorkerId("w1"), request.Worker);
        Assert.Equal(worker, request.ReplyTo);
        var gate = new SamplerGate(pointIndex: 0, firstBlockedTrial: 0);
        try
        {
            // A lease that arrives while the worker is busy is handed back at once.
            var busy = Sys.ActorOf(WorkerActor.Props(new WorkerId("w2"), plan, coordinator.Ref, aggregators.Ref, settings, gate.Wrap(fake)));
            coordinator.ExpectMsg<RequestWork>();
            busy.Tell(new LeaseShard(new LeaseId(1), plan.Shard(0, 0)), coordinator.Ref);
            busy.Tell(new LeaseShard(new LeaseId(2), plan.Shard(0, 1)), coordinator.Ref);
            Assert.Equal(new DeclineLease(new ShardId(0, 1), new LeaseId(2)), coordinator.ExpectMsg<DeclineLease>());
            Watch(busy);
            Sys.Stop(busy);
            ExpectTerminated(busy); // before the gate opens, so its shard never reaches the aggregator probe
        }
        finally
        {
            gate.Release();
        }

        worker.Tell(new LeaseShard(new LeaseId(7), plan.Shard(0, 1)), coordinator.Ref);
        var result = aggregators.ExpectMsg<ShardResult>(Patience);
        Assert.Equal((new ShardId(0, 1), new LeaseId(7), 50L), (result.Shard, result.Lease, result.TrialCount));
        var expected = ShardRunner.Run(new FakeSampler(plan.Points[0].Definition), 50, 50).ToBytes();
        Assert.Equal(expected, result.State.ToArray());
        coordinator.ExpectMsg<RequestWork>();

        Watch(worker);
        worker.Tell(SweepFinished.Instance);
        ExpectTerminated(worker);
    }
}
