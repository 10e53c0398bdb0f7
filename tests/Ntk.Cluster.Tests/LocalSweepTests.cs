using System.Collections.Immutable;
using Akka.Configuration;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Serilog;
using Serilog.Events;
using Xunit;
using Xunit.Abstractions;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Tests;

/// <summary>Whole sweeps through <see cref="LocalSweep"/>, with the real samplers unless stated, and every message
/// serialized on every send.</summary>
public class LocalSweepTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly Config SerializeEverything = ConfigurationFactory.ParseString("akka.actor.serialize-messages = on");
    private static readonly Func<PointDefinition, ITrialSampler> Real = p => p.CreateSampler();
    private static readonly Func<PointDefinition, ITrialSampler> Fake = p => new FakeSampler(p);

    private static SweepRunSettings Settings(int workers) =>
        new(workers, SnapshotInterval: TimeSpan.FromMilliseconds(100), LeaseTimeout: TimeSpan.FromSeconds(30),
            ProgressInterval: TimeSpan.FromMilliseconds(50));

    private async Task<SweepSnapshot> Run(SimulationPlan plan, int workers, Func<PointDefinition, ITrialSampler> samplers,
        IReadOnlyList<PointResumeState>? resume = null, ISweepResultSink? sink = null, RecordingProgress? progress = null,
        ILogger? logger = null, CancellationToken cancellation = default)
    {
        output.WriteLine($"seed {plan.MasterSeed}, {plan.Points.Length} points, {workers} workers");
        return await LocalSweep.RunAsync(plan, resume ?? [], Settings(workers), sink ?? new RecordingSink(),
                progress ?? new RecordingProgress(), logger ?? Serilog.Core.Logger.None, cancellation, samplers, SerializeEverything)
            .WaitAsync(Patience);
    }

    private static void AssertSameBytes(SweepSnapshot expected, SweepSnapshot actual)
    {
        Assert.Equal(expected.Points.Length, actual.Points.Length);
        for (var p = 0; p < expected.Points.Length; p++)
        {
            var (e, a) = (expected.Points[p], actual.Points[p]);
            Assert.Equal((e.PointIndex, e.ShardsMerged, e.Trials, e.Done), (a.PointIndex, a.ShardsMerged, a.Trials, a.Done));
            Assert.Equal(e.Merged.ToBytes(), a.Merged.ToBytes());
        }
    }

    [Fact]
    public async Task One_and_three_workers_give_bitwise_identical_results()
    {
        var plan = TestPlans.Fixed(points: 2, trials: 300, shardTrials: 50, width: 8, depth: 2);
        var one = await Run(plan, 1, Real);
        var three = await Run(plan, 3, Real);
        Assert.True(one.Final && one.Complete && three.Final && three.Complete);
        AssertSameBytes(one, three);
        for (var p = 0; p < plan.Points.Length; p++)
        {
            Assert.Equal(300, one.Points[p].Trials);
            Assert.Equal(Reference.Point(plan, p, Real).Merged.ToBytes(), three.Points[p].Merged.ToBytes());
        }
    }

    [Fact]
    public async Task With_a_target_the_stopping_prefix_does_not_depend_on_the_number_of_workers()
    {
        // Fake statistics have SE ≈ 0.29/√n: the target 0.03 is met near 95 trials, well before the 400-trial cap.
        var plan = TestPlans.Target(points: 2, targetStdErr: 0.03, maxTrials: 400, shardTrials: 10);
        var one = await Run(plan, 1, Fake);
        var three = await Run(plan, 3, Fake);
        AssertSameBytes(one, three);
        for (var p = 0; p < plan.Points.Length; p++)
        {
            var (merged, shards) = Reference.Point(plan, p, Fake);
            Assert.Equal(shards, three.Points[p].ShardsMerged);
            Assert.InRange(shards, 2, plan.MaxShardCount - 1);
            Assert.Equal(merged.ToBytes(), three.Points[p].Merged.ToBytes());
        }
    }

    [Fact]
    public async Task Cancel_gives_an_incomplete_final_snapshot_and_resuming_from_it_gives_the_uninterrupted_bytes()
    {
        var plan = TestPlans.Fixed(points: 2, trials: 400, shardTrials: 50, width: 8, depth: 2);
        var uninterrupted = await Run(plan, 2, Real);

        // Trials from 200 on of point 0 hang, so the run stops with exactly shards 0..3 of point 0 merged (point 1 gets
        // whatever shards the workers took while point 0's window was full).
        var gate = new SamplerGate(pointIndex: 0, firstBlockedTrial: 200);
        using var cancellation = new CancellationTokenSource();
        var sink = new RecordingSink();
        var progress = new RecordingProgress
        {
            OnReport = report => { if (report.Points[0].Trials >= 200) cancellation.Cancel(); },
        };
        SweepSnapshot stopped;
        try
        {
            stopped = await Run(plan, 2, gate.Wrap(Real), sink: sink, progress: progress, cancellation: cancellation.Token);
        }
        finally
        {
            gate.Release();
        }
        Assert.True(stopped.Final);
        Assert.False(stopped.Complete);
        Assert.Same(stopped, sink.Snapshots.Last());
        Assert.Equal((4, 200L, false), (stopped.Points[0].ShardsMerged, stopped.Points[0].Trials, stopped.Points[0].Done));

        var resume = stopped.Points.Select(p => new PointResumeState(p.PointIndex, p.ShardsMerged, [.. p.Merged.ToBytes()])).ToList();
        var resumed = await Run(plan, 3, Real, resume);
        Assert.True(resumed.Complete);
        AssertSameBytes(uninterrupted, resumed);
    }

    [Fact]
    public async Task States_sent_in_chunks_give_the_bytes_of_the_unchunked_sweep_also_when_resuming()
    {
        // 300-byte chunks: every shard result, snapshot answer and resume seed of these points is several chunks.
        var chunked = ConfigurationFactory.ParseString("ntk.cluster.chunk-bytes = 300b").WithFallback(SerializeEverything);
        var plan = TestPlans.Fixed(points: 2, trials: 300, shardTrials: 50, width: 8, depth: 2);
        var seed = new PointAccumulator(plan.Points[0].Definition.Layout);
        var sampler = plan.Points[0].Definition.CreateSampler();
        for (var s = 0; s < 2; s++) seed.Merge(ShardRunner.Run(sampler, plan.Shard(0, s).FirstTrial, plan.Shard(0, s).TrialCount));
        Assert.True(seed.ToBytes().Length > 600);
        var sweep = await LocalSweep.RunAsync(plan, [new PointResumeState(0, 2, [.. seed.ToBytes()])], Settings(3),
                new RecordingSink(), new RecordingProgress(), Serilog.Core.Logger.None, CancellationToken.None, Real, chunked)
            .WaitAsync(Patience);
        Assert.True(sweep.Final && sweep.Complete);
        for (var p = 0; p < plan.Points.Length; p++)
            Assert.Equal(Reference.Point(plan, p, Real).Merged.ToBytes(), sweep.Points[p].Merged.ToBytes());
    }

    [Fact]
    public async Task Shard_events_are_logged_with_named_properties_and_progress_is_reported()
    {
        var events = new CollectingSink();
        var logger = new LoggerConfiguration().MinimumLevel.Information().WriteTo.Sink(events).CreateLogger();
        var progress = new RecordingProgress();
        var plan = TestPlans.Fixed(points: 1, trials: 200, shardTrials: 50);
        var snapshot = await Run(plan, 2, Real, progress: progress, logger: logger);

        Assert.True(snapshot.Complete);
        var completed = events.Events.Where(e => Property(e, LogEvents.Property) == LogEvents.ShardCompleted).ToList();
        Assert.NotEmpty(completed);
        foreach (var name in new[] { "PointIndex", "ShardIndex", "TrialCount", "ElapsedMs", "TrialsPerSecond", "WorkerId" })
            Assert.All(completed, e => Assert.True(e.Properties.ContainsKey(name), $"ShardCompleted lacks {name}"));
        Assert.Contains(events.Events, e => Property(e, LogEvents.Property) == LogEvents.ShardLeased);

        var last = progress.Reports.Last();
        Assert.Equal([new PointProgress(0, 200, 200, true)], last.Points.ToArray());
        Assert.True(last.TrialsPerSecond > 0);
    }

    [Fact]
    public async Task A_failing_sampler_fails_the_run_after_publishing_an_incomplete_final_snapshot()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 200, shardTrials: 50);
        var sink = new RecordingSink();
        var error = await Assert.ThrowsAsync<SweepFailedException>(() => Run(plan, 2, p => new ThrowingSampler(p), sink: sink));
        Assert.Contains("sampler broke", error.Message);
        var final = sink.Snapshots.Last();
        Assert.True(final.Final);
        Assert.False(final.Complete);
    }

    [Fact]
    public async Task A_sink_that_fails_on_the_final_snapshot_fails_the_run()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 100, shardTrials: 50);
        await Assert.ThrowsAsync<SweepFailedException>(() => Run(plan, 1, Fake, sink: new FailingSink()));
    }

    [Fact]
    public async Task A_sink_that_fails_on_an_intermediate_snapshot_stops_the_sweep_at_once_with_the_cause()
    {
        // 200 shards of 50 trials at ~1 ms a trial: about 10 s of sampling; the first snapshot comes after 100 ms.
        var plan = TestPlans.Fixed(points: 1, trials: 10_000, shardTrials: 50);
        var sampled = 0L;
        var sink = new FailingSink(failIntermediate: true);
        var error = await Assert.ThrowsAsync<SweepFailedException>(() => Run(plan, 1, p => new SlowSampler(p, () => Interlocked.Increment(ref sampled)), sink: sink));
        var sampledAtFailure = Interlocked.Read(ref sampled);
        output.WriteLine($"{error.Message}; {sampledAtFailure} of {plan.Stopping.TrialCap} trials sampled");
        Assert.Contains("the results could not be written: disk full", error.Message);
        // One publication (the one that failed): no further snapshot, not even a final one, was attempted.
        Assert.Equal(1, sink.Calls);
        Assert.False(sink.SawFinal);
        // Sampling stopped with the run instead of going on to the end.
        Assert.True(sampledAtFailure < plan.Stopping.TrialCap / 2, $"{sampledAtFailure} trials sampled");
    }

    [Fact]
    public async Task A_resume_state_that_does_not_fit_the_plan_is_rejected_before_anything_runs()
    {
        var plan = TestPlans.Fixed(points: 1, trials: 100, shardTrials: 50);
        var (merged, _) = Reference.Point(plan, 0, Fake);
        await Assert.ThrowsAsync<ArgumentException>(() => Run(plan, 1, Fake, [new PointResumeState(0, 1, [.. merged.ToBytes()])]));
        await Assert.ThrowsAsync<ArgumentException>(() => Run(plan, 1, Fake, [new PointResumeState(1, 1, [.. merged.ToBytes()])]));
        await Assert.ThrowsAsync<ArgumentException>(() => Run(plan, 1, Fake, [new PointResumeState(0, 2, [1, 2, 3])]));
    }

    private static string? Property(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var value) && value is ScalarValue { Value: string text } ? text : null;

    private sealed class ThrowingSampler(PointDefinition point) : ITrialSampler
    {
        public MeasurementLayout Layout { get; } = point.Layout;

        public void Sample(long trial, Span<double> measurement) =>
            throw new InvalidOperationException("sampler broke");
    }

    private sealed class SlowSampler(PointDefinition point, Action sampled) : ITrialSampler
    {
        private readonly FakeSampler _inner = new(point);

        public MeasurementLayout Layout => _inner.Layout;

        public void Sample(long trial, Span<double> measurement)
        {
            Thread.Sleep(1);
            sampled();
            _inner.Sample(trial, measurement);
        }
    }

    private sealed class FailingSink(bool failIntermediate = false) : ISweepResultSink
    {
        public int Calls { get; private set; }

        public bool SawFinal { get; private set; }

        public void Publish(SweepSnapshot snapshot)
        {
            Calls++;
            SawFinal |= snapshot.Final;
            if (snapshot.Final || failIntermediate) throw new IOException("disk full");
        }
    }
}
