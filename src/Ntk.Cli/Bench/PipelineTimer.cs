using Ntk.Cli.Terminal;
using Ntk.Cluster.Diagnostics;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Ntk.Cli.Commands;
using Ntk.Cli.Logging;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cluster;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Ntk.Cli.Bench;

/// <summary>
/// One case of the pipeline measurement: a one-point sweep of <paramref name="Configuration"/> (a pair of inputs at
/// 60°) with <paramref name="Engine"/>, in shards of <paramref name="ShardTrials"/> trials.
/// </summary>
internal sealed record PipelineCase(BenchConfiguration Configuration, EngineKind Engine, int ShardTrials)
{
    /// <summary>
    /// The points of benchmarks/Ntk.Benchmarks/sweeps/pipeline-dense.json (600 µs trials in shards of 500) and
    /// pipeline-small.json (2.8 µs trials in shards of 20,000, where per-shard costs weigh most).
    /// </summary>
    public static ImmutableArray<PipelineCase> Standard { get; } =
    [
        new(new BenchConfiguration(10, 3, 256, 2), EngineKind.Dense, 500),
        new(new BenchConfiguration(10, 1, 64, 2), EngineKind.Conditional, 20_000),
    ];

    public string Label => $"{Configuration.Label} {EngineChoice.Name(Engine)}";
}

/// <summary>
/// One run of the actor pipeline (<see cref="LocalSweep"/>, as <c>ntk run</c> drives it): <paramref name="Trials"/>
/// in <paramref name="WallSeconds"/> from the call to its return (actor system start and stop included),
/// <paramref name="ActiveSeconds"/> from the first shard leased to the last shard computed, and the shards' own
/// computing time (wall clock and the shard threads' CPU clock) summed over the <paramref name="Workers"/>, and the
/// whole process's CPU time from the first lease to the last result; garbage collections during the call and the
/// time they paused the process.
/// </summary>
internal readonly record struct PipelineRun(
    long Trials, double WallSeconds, double ActiveSeconds, double ShardSeconds, double ShardCpuSeconds, double ProcessCpuSeconds,
    int Workers, double GcPauseSeconds = 0, int Collections = 0)
{
    /// <summary>
    /// CPU time of the process outside the shards (actors, logging, snapshots, thread pool, JIT, GC) over the shards'
    /// CPU time: what the pipeline takes from the cores, whether or not a core was free to absorb it.
    /// </summary>
    public double OtherCpuFraction => ShardCpuSeconds > 0 ? (ProcessCpuSeconds - ShardCpuSeconds) / ShardCpuSeconds : 0;

    /// <summary>
    /// The shard threads' CPU time over their wall-clock time: below 1 when they waited for a core (other threads of
    /// this process or other processes running), so a low rate with a high share means slower code, not a busy machine.
    /// </summary>
    public double CpuShare => ShardSeconds > 0 ? ShardCpuSeconds / ShardSeconds : 0;

    /// <summary>Trials per second from the first lease to the last result: what the running pipeline delivers.</summary>
    public double PerSecond => ActiveSeconds > 0 ? Trials / ActiveSeconds : 0;

    /// <summary>Trials per second of the whole call, start-up and shut-down included.</summary>
    public double EndToEndPerSecond => WallSeconds > 0 ? Trials / WallSeconds : 0;

    /// <summary>Seconds of the call outside the first-lease-to-last-result span: actor system start and stop, final snapshot.</summary>
    public double StartStopSeconds => Math.Max(0, WallSeconds - ActiveSeconds);

    /// <summary>Fraction of the active span the workers spent inside their shards (1 = never idle).</summary>
    public double Busy => ActiveSeconds > 0 ? ShardSeconds / (ActiveSeconds * Workers) : 0;
}

/// <summary>
/// The pipeline against the bare shard loop, same process, same point and shards: on one thread / one worker, and
/// on <paramref name="Threads"/> threads / workers. <paramref name="ShardTrials"/> is the case's shard size (smaller
/// only when the time budget cannot hold <see cref="PipelineTimer.MinShardsPerRun"/> shards of it).
/// </summary>
internal sealed record PipelineResult(
    PipelineCase Case, int ShardTrials, int Threads, int Rounds, Rate BareSingle, PipelineRun PipelineSingle, Rate BareAll,
    PipelineRun PipelineAll)
{
    /// <summary>1 − pipeline (1 worker, first lease → last result) / bare loop (1 thread): what the actors cost.</summary>
    public double Overhead => 1 - PipelineSingle.PerSecond / BareSingle.PerSecond;

    /// <summary>Pipeline with all workers over pipeline with one (first lease → last result).</summary>
    public double PipelineSpeedUp => PipelineAll.PerSecond / PipelineSingle.PerSecond;

    /// <summary>Bare loop on all threads over the bare loop on one.</summary>
    public double BareSpeedUp => BareAll.PerSecond / BareSingle.PerSecond;
}

/// <summary>
/// Measures what <c>ntk run</c>'s actors cost against the bare engine loop (docs/performance.md §5): the real
/// pipeline (<see cref="LocalSweep.RunAsync(SimulationPlan, IReadOnlyList{PointResumeState}, SweepRunSettings, ISweepResultSink, IProgressObserver, ILogger, CancellationToken)"/>
/// with the results sink, progress log and run.log of <c>ntk run</c>, written to a temporary directory) and
/// <see cref="ShardRunner.Run"/> on dedicated threads taking the same shards in turn, in the same warm process,
/// interleaved over a few rounds (the best round of each is reported, as elsewhere in <c>ntk bench</c>).
/// </summary>
internal static class PipelineTimer
{
    /// <summary>Fewest shards per worker in a run, so that leasing and merging happen more than once.</summary>
    public const int MinShardsPerRun = 4;

    /// <summary>Rounds of (bare 1, pipeline 1, bare T, pipeline T).</summary>
    public const int Rounds = 2;

    public static PipelineResult Measure(PipelineCase pipelineCase, int threads, double seconds)
    {
        var point = pipelineCase.Configuration.Point(pipelineCase.Engine);
        var samplers = Enumerable.Range(0, threads).Select(_ => point.CreateSampler()).ToArray();
        var rate = EstimateRate(samplers[0], seconds / 4);
        var shardTrials = (int)Math.Clamp(Math.Floor(rate * seconds / MinShardsPerRun), 1, pipelineCase.ShardTrials);
        var shardsSingle = (int)Math.Max(MinShardsPerRun, Math.Round(rate * seconds / shardTrials));
        var shardsAll = shardsSingle * threads;

        var directory = Path.Combine(Path.GetTempPath(), "ntk-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        // A terminating actor system prints its last log events with Akka's standard-out logger; the table and the
        // JSON go to stdout, so keep those lines out of it (run.log has them).
        var console = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            var runs = 0;
            // Warm-up: the actor code's first calls (JIT, type loading) on all workers.
            RunPipeline(pipelineCase, shardTrials, 2 * threads, threads, Path.Combine(directory, $"run-{runs++}"));
            Rate? bareSingle = null, bareAll = null;
            PipelineRun? pipelineSingle = null, pipelineAll = null;
            for (var round = 0; round < Rounds; round++)
            {
                bareSingle = Best(bareSingle, BareShards([samplers[0]], shardTrials, shardsSingle));
                pipelineSingle = Best(pipelineSingle,
                    RunPipeline(pipelineCase, shardTrials, shardsSingle, 1, Path.Combine(directory, $"run-{runs++}")));
                bareAll = Best(bareAll, BareShards(samplers, shardTrials, shardsAll));
                pipelineAll = Best(pipelineAll,
                    RunPipeline(pipelineCase, shardTrials, shardsAll, threads, Path.Combine(directory, $"run-{runs++}")));
            }
            return new PipelineResult(pipelineCase, shardTrials, threads, Rounds, bareSingle!.Value, pipelineSingle!.Value,
                bareAll!.Value, pipelineAll!.Value);
        }
        finally
        {
            Console.SetOut(console);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static Rate Best(Rate? best, Rate rate) => best is { } b && b.PerSecond >= rate.PerSecond ? b : rate;

    private static PipelineRun Best(PipelineRun? best, PipelineRun run) => best is { } b && b.PerSecond >= run.PerSecond ? b : run;

    /// <summary>
    /// Trials per second of <see cref="ShardRunner.Run"/> after a warm-up of about <paramref name="seconds"/>, with
    /// shards doubling from one trial until one takes 10 ms.
    /// </summary>
    private static double EstimateRate(ITrialSampler sampler, double seconds)
    {
        var clock = Stopwatch.StartNew();
        var trials = 1;
        var first = 0L;
        double rate;
        do
        {
            var start = clock.Elapsed.TotalSeconds;
            ShardRunner.Run(sampler, first, trials);
            var elapsed = clock.Elapsed.TotalSeconds - start;
            first += trials;
            rate = trials / Math.Max(elapsed, 1e-9);
            if (elapsed < 0.01) trials = (int)Math.Min(2L * trials, 1 << 24);
        } while (clock.Elapsed.TotalSeconds < seconds);
        return rate;
    }

    /// <summary>
    /// <paramref name="shards"/> shards of <paramref name="shardTrials"/> trials on one dedicated thread per sampler,
    /// each thread taking the next shard index when done (as the workers lease them). Wall clock from the start
    /// signal to the last thread's end; CPU time is the sum of the shard threads' CPU clocks.
    /// </summary>
    private static Rate BareShards(ITrialSampler[] samplers, int shardTrials, int shards)
    {
        var next = -1;
        var failures = new Exception?[samplers.Length];
        var cpuSeconds = new double[samplers.Length];
        using var go = new ManualResetEventSlim(false);
        var threads = new Thread[samplers.Length];
        for (var k = 0; k < samplers.Length; k++)
        {
            var sampler = samplers[k];
            var index = k;
            threads[k] = new Thread(() =>
            {
                go.Wait();
                var cpuStart = ThreadClock.ThreadSeconds();
                try
                {
                    int shard;
                    while ((shard = Interlocked.Increment(ref next)) < shards)
                        ShardRunner.Run(sampler, (long)shard * shardTrials, shardTrials);
                    cpuSeconds[index] = ThreadClock.ThreadSeconds() - cpuStart;
                }
                catch (Exception error)
                {
                    failures[index] = error;
                }
            }) { IsBackground = true, Name = $"bench-shards-{k}" };
            threads[k].Start();
        }
        var clock = Stopwatch.StartNew();
        go.Set();
        foreach (var thread in threads) thread.Join();
        var wall = clock.Elapsed.TotalSeconds;
        foreach (var failure in failures)
            if (failure is not null) throw new InvalidOperationException("a benchmark thread failed: " + failure.Message, failure);
        return new Rate((double)shards * shardTrials, wall, cpuSeconds.Sum());
    }

    /// <summary>
    /// One <c>ntk run</c> of the case's point in this process: the sweep text, results sink, progress log (every
    /// 5 s), snapshots (every 5 s) and run.log of <c>ntk run</c> without a terminal, written into
    /// <paramref name="directory"/>.
    /// </summary>
    private static PipelineRun RunPipeline(PipelineCase pipelineCase, int shardTrials, int shards, int workers, string directory)
    {
        var trials = (long)shards * shardTrials;
        var configuration = pipelineCase.Configuration;
        var engine = EngineChoice.Name(pipelineCase.Engine);
        var text = string.Create(CultureInfo.InvariantCulture, $$$"""
            {"name": "bench-pipeline", "seed": 6, "trials": {{{trials}}}, "shardTrials": {{{shardTrials}}},
             "network": {"inputDim": {{{configuration.InputDim}}}, "depth": {{{configuration.Depth}}}, "width": {{{configuration.Width}}},
                         "weights": "gaussian", "engine": "{{{engine}}}"},
             "inputs": {"kind": "pair", "thetaDegrees": 60}}
            """);
        Directory.CreateDirectory(directory);
        var document = SweepReader.Read(text, "bench-pipeline.json", directory, "bench-pipeline");
        var nodeId = NodeLogging.DefaultNodeId();
        var events = new ShardEvents();
        using var runLog = NodeLogging.Create(Path.Combine(directory, "run.log"), nodeId, "local", TextWriter.Null, LogEventLevel.Warning);
        using var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .WriteTo.Logger(runLog)
            .WriteTo.Sink(events)
            .CreateLogger();
        var hash = RunCommand.Hash(document.NormalizedJson);
        using var sink = new ResultsSink(directory,
            new RunDescription("local", document.NormalizedJson, hash, workers, [nodeId], DateTimeOffset.UtcNow),
            document.Plan, ResultsDirectory.CreateStore(directory, hash), () => DateTimeOffset.UtcNow);
        var settings = new SweepRunSettings(workers, SnapshotInterval: TimeSpan.FromSeconds(5),
            LeaseTimeout: TimeSpan.FromMinutes(10), ProgressInterval: TimeSpan.FromSeconds(5));
        var gcPause = GC.GetTotalPauseDuration();
        var collections = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        var final = LocalSweep.RunAsync(document.Plan, [], settings, sink, new ProgressLog(logger, document.Plan), logger,
            CancellationToken.None).GetAwaiter().GetResult();
        var wall = clock.Elapsed.TotalSeconds;
        if (!final.Complete || final.TotalTrials != trials)
            throw new InvalidOperationException($"the benchmark sweep stopped at {final.TotalTrials} of {trials} trials");
        return events.Run(trials, wall, workers) with
        {
            GcPauseSeconds = (GC.GetTotalPauseDuration() - gcPause).TotalSeconds,
            Collections = GC.CollectionCount(0) - collections,
        };
    }

    /// <summary>Collects the ShardLeased / ShardCompleted events of one run (WorkerActor's log events).</summary>
    private sealed class ShardEvents : ILogEventSink
    {
        private readonly Lock _lock = new();
        private DateTimeOffset? _firstLease;
        private DateTimeOffset? _lastResult;
        private double _shardMilliseconds;
        private double _shardCpuMilliseconds;
        private double _firstLeaseCpu;
        private double _lastResultCpu;

        public void Emit(LogEvent logEvent)
        {
            if (!logEvent.Properties.TryGetValue("Event", out var name) || name is not ScalarValue { Value: string eventName })
                return;
            lock (_lock)
            {
                if (eventName == "ShardLeased")
                {
                    if (_firstLease is null)
                    {
                        _firstLease = logEvent.Timestamp;
                        _firstLeaseCpu = ThreadClock.ProcessSeconds();
                    }
                }
                else if (eventName == "ShardCompleted")
                {
                    if (_lastResult is null || logEvent.Timestamp > _lastResult) _lastResult = logEvent.Timestamp;
                    _lastResultCpu = ThreadClock.ProcessSeconds();
                    if (logEvent.Properties.TryGetValue("ElapsedMs", out var elapsed) && elapsed is ScalarValue { Value: { } value })
                        _shardMilliseconds += Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    if (logEvent.Properties.TryGetValue("CpuMs", out var cpu) && cpu is ScalarValue { Value: { } cpuValue })
                        _shardCpuMilliseconds += Convert.ToDouble(cpuValue, CultureInfo.InvariantCulture);
                }
            }
        }

        public PipelineRun Run(long trials, double wallSeconds, int workers)
        {
            lock (_lock)
            {
                var active = _firstLease is { } first && _lastResult is { } last ? (last - first).TotalSeconds : wallSeconds;
                return new PipelineRun(trials, wallSeconds, Math.Clamp(active, 1e-9, wallSeconds), _shardMilliseconds / 1000,
                    _shardCpuMilliseconds / 1000, _lastResultCpu - _firstLeaseCpu, workers);
            }
        }
    }
}
