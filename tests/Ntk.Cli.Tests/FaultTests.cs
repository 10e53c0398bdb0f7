using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ntk.Cli.Tests.Support;
using static Ntk.Cli.Tests.Support.ClusterProcesses;
using Ntk.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

/// <summary>
/// The faults of docs/cluster.md's fault table, each on real OS processes: a full disk under `ntk run` and under the
/// coordinator's SQLite journal (a small tmpfs the test mounts: root only, skipped with the reason otherwise), the
/// PostgreSQL journal's server stopped mid-sweep, SIGTERM to a worker, `--resume` of a sweep the journal already
/// holds whole, and a late result. Every one ends with results byte-identical to `ntk run` of the same sweep.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class FaultTests(ITestOutputHelper output)
{

    /// <summary>4 points × 300 shards of 200 trials: seconds of sampling on one core in a Release build, so that a
    /// fault lands mid-sweep.</summary>
    private const string LongSweep = """
        {
          "name": "faults",
          "seed": 5,
          "trials": 60000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    private const long LongSweepTrialsPerPoint = 60000;

    /// <summary>The journal faults' sweep: 4 points × 1,500 shards of 200 trials. With the ziggurat generator
    /// LongSweep takes about 3 s on an idle machine, less than a full disk takes to show in the journal's writes.</summary>
    private const string JournalSweep = """
        {
          "name": "faults",
          "seed": 5,
          "trials": 300000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    private const long JournalSweepTrialsPerPoint = 300000;


    /// <summary>2 points × 4 shards of 750 trials, dense engine at width 256: a shard takes a few hundred ms (a
    /// lease round trip about one), so a worker paused at a random moment is almost surely in the middle of one. (With
    /// shards of 200 trials the ziggurat generator finished a shard before the test's STOP arrived.)</summary>
    private const string SlowShardSweep = """
        {
          "name": "faults-slow-shards",
          "seed": 9,
          "trials": 60000,
          "shardTrials": 1500,
          "network": { "inputDim": 8, "depth": 3, "width": 256, "weights": "gaussian", "engine": "dense" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    [SkippableFact]
    public async Task Ntk_run_on_a_full_disk_stops_at_the_first_failed_write_with_one_line_and_resumes_identical()
    {
        Skip.If(Tmpfs.WhyUnavailable() is not null, Tmpfs.WhyUnavailable());
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", LongSweep);
        var reference = await ReferenceAsync(temp, sweep);
        using var disk = new Tmpfs(Path.Combine(temp.Path, "disk"), 16 << 20);
        var outDir = Path.Combine(disk.Path, "out");

        using var run = NodeProcess.Start("run", temp.Path, "run", sweep, "--out", outDir, "--workers", "1", "--snapshot-interval", "0.2");
        await WaitForAsync(() => SavedTrials(outDir) >= 20_000, "a snapshot with 20000 trials", run);
        var filler = disk.Fill();
        var filledAt = Stopwatch.StartNew();
        Assert.True(await run.WaitForExitAsync(RunTimeout), "ntk run went on after the disk was full\n" + run);
        var exitAfter = filledAt.Elapsed;
        output.WriteLine($"disk full → exit {run.ExitCode} after {exitAfter.TotalSeconds:F1} s\n{run}");

        Assert.Equal(1, run.ExitCode);
        var stderr = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(stderr, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("No space left on device", error);
        Assert.Contains("--resume", error);
        Assert.DoesNotContain(stderr, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal));
        AssertNoTemporaryFiles(outDir);
        AssertWholeLines(Path.Combine(outDir, "run.log"));
        // The files of the last good snapshot agree with each other, and the run did not go on to the end.
        var saved = AssertOneSnapshot(outDir);
        Assert.True(saved >= 20_000, $"the snapshot before the failure was lost: {saved} trials");
        Assert.True(saved < 4 * LongSweepTrialsPerPoint, "the run sampled to the end although no snapshot could be written");

        File.Delete(filler);
        var resumed = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1", "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        AssertNoTemporaryFiles(outDir);
        AssertWholeLines(Path.Combine(outDir, "run.log"));
        AssertSameCsv(reference, outDir);
        output.WriteLine($"resumed from {saved} trials: results.csv identical to the uninterrupted run");
    }

    [SkippableFact]
    public async Task A_coordinator_whose_SQLite_journal_fills_the_disk_fails_with_the_cause_and_resumes_identical()
    {
        Skip.If(Tmpfs.WhyUnavailable() is not null, Tmpfs.WhyUnavailable());
        using var temp = new TempDirectory();
        using var disk = new Tmpfs(Path.Combine(temp.Path, "disk"), 32 << 20);
        await JournalFailureAsync(temp, "sqlite:" + Path.Combine(disk.Path, "journal.db"),
            breakJournal: () =>
            {
                var filler = disk.Fill();
                return () => File.Delete(filler);
            },
            expectedCause: "database or disk is full");
    }

    [Fact]
    public async Task A_coordinator_whose_PostgreSQL_server_stops_mid_sweep_fails_with_the_cause_and_resumes_identical()
    {
        using var temp = new TempDirectory();
        using var postgres = new PostgresServer();
        await JournalFailureAsync(temp, postgres.CreateDatabase("ntk_fault_test"),
            breakJournal: () =>
            {
                postgres.Stop();
                return postgres.Start;
            },
            expectedCause: "the journal cannot be written",
            // A stopped server fails the next write at once; the long sweep is only for a disk that fills, and
            // every event kept in PostgreSQL makes it minutes long.
            sweepText: LongSweep, trialsPerPoint: LongSweepTrialsPerPoint);
    }

    /// <summary>
    /// Coordinator + one worker on <paramref name="journal"/>; once 20,000 trials are saved the journal is broken
    /// (<paramref name="breakJournal"/> returns how to repair it). The coordinator must fail by itself, exit 1 with
    /// the cause on one line; after the repair, `--resume` (and a new worker) must finish with results identical to
    /// `ntk run`.
    /// </summary>
    private async Task JournalFailureAsync(TempDirectory temp, string journal, Func<Action> breakJournal, string expectedCause,
        string sweepText = JournalSweep, long trialsPerPoint = JournalSweepTrialsPerPoint)
    {
        var sweep = temp.Write("sweep.json", sweepText);
        // No aggregator snapshots: they delete the events before them, and a SQLite file whose freed pages are reused
        // stops growing, so a full disk would go unnoticed until the end of the sweep (seen on an idle machine). With
        // every event kept, each accepted shard needs new pages.
        var config = temp.Write("test.hocon", TestHocon + "\nntk.persistence.snapshot-every = 0\n");
        var reference = await ReferenceAsync(temp, sweep);
        var outDir = Path.Combine(temp.Path, "cluster");
        var port = NodeProcess.FreePort();
        var nodes = new List<NodeProcess>();
        try
        {
            var first = StartCoordinator(nodes, temp, sweep, outDir, port, config, "--journal", journal);
            StartWorker(nodes, temp, "worker-1", outDir, port, config);
            await WaitForAsync(() => SavedTrials(outDir) >= 20_000, "a snapshot with 20000 trials", [.. nodes]);
            Assert.False(first.HasExited, "the sweep finished before the journal could be broken: make it longer");
            var repair = breakJournal();
            var brokenAt = Stopwatch.StartNew();
            Assert.True(await first.WaitForExitAsync(RunTimeout), "the coordinator went on with a broken journal\n" + first);
            output.WriteLine($"journal broken → coordinator exit {first.ExitCode} after {brokenAt.Elapsed.TotalSeconds:F1} s\n{first}");
            Assert.Equal(1, first.ExitCode);
            var error = Assert.Single(first.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains("journal", error);
            Assert.Contains(expectedCause, error);
            Assert.Contains("--resume", error);
            Assert.DoesNotContain("   at ", first.Stderr);

            repair();
            var second = StartCoordinator(nodes, temp, sweep, outDir, port, config, "--journal", journal, "--resume");
            StartWorker(nodes, temp, "worker-2", outDir, port, config);
            Assert.True(await second.WaitForExitAsync(RunTimeout), "the resumed coordinator did not finish\n" + string.Join("\n", nodes));
            Assert.True(second.ExitCode == 0, string.Join("\n", nodes));
            AssertSameCsv(reference, outDir);
            AssertTrials(outDir, trialsPerPoint);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }

    [Fact]
    public async Task A_worker_given_SIGTERM_stops_leasing_hands_in_its_shard_leaves_and_exits_0_with_no_lease_lost()
    {
        using var scenario = ClusterScenario.Create(LongSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        var reference = await ReferenceAsync(temp, sweep);
        var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, "--min-workers", "2");
        var leaving = StartWorker(nodes, temp, "worker-1", outDir, port, config);
        StartWorker(nodes, temp, "worker-2", outDir, port, config);
        var leavingLog = $"-{leaving.Id.ToString(CultureInfo.InvariantCulture)}.log";
        await WaitForAsync(() => NodeLogs.Read(outDir).Count(e => e.Name == LogEvents.ShardCompleted && e.File.EndsWith(leavingLog, StringComparison.Ordinal)) >= 20,
            "worker-1 completes 20 shards", [.. nodes]);
        Assert.False(coordinator.HasExited, "the sweep finished before the worker could be stopped: make it longer");
        var terminatedAt = DateTimeOffset.UtcNow;
        Signal("TERM", leaving.Id);
        Assert.True(await leaving.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the worker did not leave after SIGTERM\n" + leaving);
        var leftAfter = DateTimeOffset.UtcNow - terminatedAt;
        output.WriteLine($"SIGTERM → worker exit {leaving.ExitCode} after {leftAfter.TotalSeconds:F1} s\n{leaving}");
        Assert.Equal(0, leaving.ExitCode);

        Assert.True(await coordinator.WaitForExitAsync(RunTimeout), "the coordinator did not finish\n" + string.Join("\n", nodes));
        Assert.True(coordinator.ExitCode == 0, string.Join("\n", nodes));
        AssertSameCsv(reference, outDir);
        AssertTrials(outDir, LongSweepTrialsPerPoint);

        // Count the leases: every shard the stopped worker leased was completed (and its result confirmed by the
        // aggregator) or handed back; none was re-issued after a timeout, no lease of its node expired, and it
        // leased nothing once it had started draining.
        var events = NodeLogs.Read(outDir);
        var mine = events.Where(e => e.File.EndsWith(leavingLog, StringComparison.Ordinal)).ToList();
        var draining = Assert.Single(mine, e => e.Name == LogEvents.NodeDraining);
        var leased = mine.Where(e => e.Name == LogEvents.ShardLeased).Select(e => e.Shard).ToList();
        var completed = mine.Where(e => e.Name == LogEvents.ShardCompleted).Select(e => e.Shard).ToHashSet();
        var returned = mine.Where(e => e.Name == LogEvents.LeaseReturned).Select(e => e.Shard).ToHashSet();
        var unaccounted = leased.Where(s => !completed.Contains(s) && !returned.Contains(s)).ToList();
        Assert.True(unaccounted.Count == 0, "leases neither completed nor handed back: " + string.Join(", ", unaccounted));
        // The node logs NodeDraining before its worker actor hears of it, so a lease already on its way may still land in
        // between (and is then finished: "unaccounted" above is empty). Once the worker itself drains, it leases
        // nothing: no ShardLeased after its WorkerDraining in the log's own order.
        var workerDraining = mine.FindLastIndex(e => e.Name == LogEvents.WorkerDraining);
        Assert.True(workerDraining > mine.IndexOf(draining), "the worker never logged WorkerDraining after NodeDraining");
        Assert.DoesNotContain(mine.Skip(workerDraining + 1), e => e.Name == LogEvents.ShardLeased);
        var reissued = events.Where(e => e.Name == LogEvents.ShardReissued && e.Time > terminatedAt && leased.Contains(e.Shard))
            .Select(e => $"{e.Shard} at +{(e.Time - terminatedAt).TotalSeconds:F1} s").ToList();
        Assert.True(reissued.Count == 0, "shards of the stopped worker re-issued after their lease expired: " + string.Join(", ", reissued)
            + "\nits events after SIGTERM: " + string.Join(", ", mine.Where(e => e.Time > terminatedAt).Select(e => $"{e.Name} {e.Shard}")));
        Assert.DoesNotContain(events, e => e.Name == LogEvents.LeasesExpired && e.Time > terminatedAt);
        Assert.Contains(mine, e => e.Name == LogEvents.NodeDrained && e["Outcome"] == "every worker drained");
        output.WriteLine($"worker-1: {leased.Count} leases, {completed.Count} completed, {returned.Count} handed back, " +
            $"{mine.Count(e => e.Name == LogEvents.ResultConfirmed)} last results confirmed; left {leftAfter.TotalSeconds:F1} s after SIGTERM");
    }

    [Fact]
    public async Task Resume_of_a_coordinator_whose_journal_holds_every_shard_finishes_at_once_without_workers()
    {
        using var scenario = ClusterScenario.Create(SmallSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        var first = StartCoordinator(nodes, temp, sweep, outDir, port, config);
        StartWorker(nodes, temp, "worker-1", outDir, port, config);
        Assert.True(await first.WaitForExitAsync(RunTimeout) && first.ExitCode == 0, string.Join("\n", nodes));
        var csv = File.ReadAllBytes(Path.Combine(outDir, "results.csv"));

        // The journal holds the whole sweep; two workers are asked for and none is started.
        var clock = Stopwatch.StartNew();
        var second = StartCoordinator(nodes, temp, sweep, outDir, port, config, "--resume", "--min-workers", "2");
        Assert.True(await second.WaitForExitAsync(RunTimeout), "the resumed coordinator waited for workers\n" + second);
        output.WriteLine($"--resume of a finished sweep: exit {second.ExitCode} after {clock.Elapsed.TotalSeconds:F1} s\n{second}");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.True(csv.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outDir, "results.csv"))), "results.csv changed");
        var events = NodeLogs.Read(outDir);
        var resumedStart = events.Last(e => e.Name == LogEvents.JournalOpened).Time;
        Assert.Contains(events, e => e.Name == LogEvents.SweepAlreadyComplete && e.Time >= resumedStart);
        Assert.DoesNotContain(events, e => e.Name is LogEvents.WorkersJoined or LogEvents.ShardLeased && e.Time >= resumedStart);
        output.WriteLine("resumed coordinator's events: " + string.Join(", ", events.Where(e => e.Time >= resumedStart)
            .Select(e => $"+{(e.Time - resumedStart).TotalSeconds:F1} s {e.Name}")));
    }

    [Fact]
    public async Task A_late_result_is_discarded_logged_at_Information_and_counted_by_ntk_monitor()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", SlowShardSweep);
        // Leases expire after 2 s; a worker paused for 6 s is not declared unreachable (pause 20 s), so when it goes
        // on, the shard it was computing has been leased again and merged from another worker: its result is late.
        // 80 shards of ~0.4 s: the other worker alone cannot finish the sweep during the pause (with 8 shards it did,
        // and the coordinator had left before the late result was sent), and the shard in hand is still being computed
        // when the pause begins (with ~0.2 s shards it was once finished in the time the log took to show its lease).
        var config = temp.Write("test.hocon", TestHocon + """

            ntk.sweep.lease-timeout = 2s
            akka.cluster.failure-detector.acceptable-heartbeat-pause = 20s
            """);
        var reference = await ReferenceAsync(temp, sweep);
        var outDir = Path.Combine(temp.Path, "cluster");
        var port = NodeProcess.FreePort();
        var nodes = new List<NodeProcess>();
        try
        {
            var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, "--min-workers", "2");
            var late = StartWorker(nodes, temp, "worker-1", outDir, port, config);
            StartWorker(nodes, temp, "worker-2", outDir, port, config);
            var lateLog = $"-{late.Id.ToString(CultureInfo.InvariantCulture)}.log";
            await WaitForAsync(() => NodeLogs.Read(outDir).Any(e => e.Name == LogEvents.ShardLeased && e.File.EndsWith(lateLog, StringComparison.Ordinal)),
                "worker-1 leases a shard", [.. nodes]);
            Signal("STOP", late.Id);
            await Task.Delay(TimeSpan.FromSeconds(6));
            Signal("CONT", late.Id);
            var finishedDuringPause = coordinator.HasExited;
            output.WriteLine($"coordinator finished during the pause: {finishedDuringPause}");

            Assert.True(await coordinator.WaitForExitAsync(RunTimeout), "the coordinator did not finish\n" + string.Join("\n", nodes));
            Assert.True(coordinator.ExitCode == 0, string.Join("\n", nodes));
            AssertSameCsv(reference, outDir);
            var discarded = NodeLogs.Read(outDir).Where(e => e.Name == LogEvents.ShardDiscarded).ToList();
            Assert.False(discarded.Count == 0, finishedDuringPause
                ? "no late result: the sweep ended during the pause (make it longer)"
                : "no late result was discarded");
            // Compact JSON leaves out "@l" for Information: neither Debug nor a warning.
            Assert.All(discarded, e => Assert.False(e.Properties.ContainsKey("@l"), $"ShardDiscarded at {e["@l"]}"));
            var monitor = await CliRunner.RunAsync("monitor", "--once", outDir);
            output.WriteLine(monitor.Stdout);
            Assert.Contains($"{discarded.Count} late or duplicate result", monitor.Stdout);
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (!node.HasExited) Signal("CONT", node.Id);
                node.Dispose();
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /// <summary>A coordinator (coordinator-1, -2, … in start order) waiting for one worker unless <paramref name="extra"/> says otherwise.</summary>
    private static NodeProcess StartCoordinator(List<NodeProcess> nodes, TempDirectory temp, string sweep, string outDir, int port,
        string config, params string[] extra) =>
        ClusterProcesses.StartCoordinator(nodes, temp,
            "coordinator-" + (nodes.Count(n => n.Name.StartsWith("coordinator", StringComparison.Ordinal)) + 1), sweep, outDir, port,
            config, extra);

    private static void AssertTrials(string directory, long trialsPerPoint)
    {
        var points = SavedResults.PointTrials(directory);
        Assert.NotEmpty(points);
        Assert.All(points.Values, trials => Assert.Equal(trialsPerPoint, trials));
    }

    private static async Task<string> ReferenceAsync(TempDirectory temp, string sweep) =>
        (await ReferenceRunAsync(temp, sweep, workers: 1)).Directory;

    private Task WaitForAsync(Func<bool> condition, string what, params NodeProcess[] nodes) =>
        ClusterProcesses.WaitForAsync(output, condition, what, nodes);

    /// <summary>Trials in the directory's results.json (written atomically: whole or absent).</summary>
    private static long SavedTrials(string directory) => SavedResults.TotalTrials(directory);

    private static void AssertNoTemporaryFiles(string directory)
    {
        var left = Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories).ToList();
        Assert.True(left.Count == 0, "temporary files left: " + string.Join(", ", left));
    }

    /// <summary>Every line of a compact-JSON log is a whole JSON object.</summary>
    private static void AssertWholeLines(string log)
    {
        var text = File.ReadAllText(log);
        Assert.True(text.Length == 0 || text.EndsWith('\n'), $"{log} ends in a cut line: …{text[^Math.Min(80, text.Length)..]}");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                using var _ = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                Assert.Fail($"{log}: not a whole event ({e.Message}): {line}");
            }
        }
    }

    /// <summary>
    /// The saved files agree: results.json is whole; every point results.csv and points.jsonl hold (the finished ones,
    /// appended as they finish) is finished in point-states.bin with the same trials. Returns the trials
    /// point-states.bin holds, which is what --resume continues from.
    /// </summary>
    private static long AssertOneSnapshot(string directory)
    {
        using (JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "results.json")))) { }
        var stored = SavedResults.StoredTrials(directory);
        var written = SavedResults.PointTrials(directory);
        foreach (var (point, trials) in written) Assert.Equal(trials, stored[point]);
        // A line being appended when the disk filled may be cut short: only whole lines are compared.
        var text = File.ReadAllText(Path.Combine(directory, "results.csv"));
        var lines = text.Split('\n');
        var header = lines[0].Split(',');
        var trialsColumn = Array.IndexOf(header, "trials");
        foreach (var line in lines.Skip(1).Take(lines.Length - 2))
        {
            var fields = line.Split(',');
            Assert.Equal(stored[int.Parse(fields[0], CultureInfo.InvariantCulture)], long.Parse(fields[trialsColumn], CultureInfo.InvariantCulture));
        }
        return stored.Values.Sum();
    }

    private static void AssertSameCsv(string referenceDirectory, string directory)
    {
        var expected = File.ReadAllBytes(Path.Combine(referenceDirectory, "results.csv"));
        var actual = File.ReadAllBytes(Path.Combine(directory, "results.csv"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "results.csv differs from the uninterrupted run's");
    }
}
