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
/// Real multi-node sweeps: `ntk coordinator` and `ntk worker` as separate OS processes on 127.0.0.1, compared byte for
/// byte with `ntk run` of the same sweep (same shard size). Each test is bounded in time and kills its processes in
/// `finally` (NodeProcess.Dispose). The cluster timings are shortened by a test HOCON file (lease timeout, downing),
/// with generous heartbeat pauses: on 2 loaded cores a false "unreachable" only costs time (the node rejoins), never
/// correctness, which is what the tests check.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed partial class MultiNodeClusterTests(ITestOutputHelper output)
{

    /// <summary>4 points × 180 shards of 200 trials: long enough to kill a node mid-sweep also in a Release build
    /// (about 2 ms per shard there; ~25 s of sampling on one core in Debug).</summary>
    private const string KillSweep = """
        {
          "name": "multi-node-kill",
          "seed": 11,
          "trials": 36000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    /// <summary>
    /// The coordinator-kill sweep with a SQLite journal: <see cref="KillSweep"/> with four times the trials. Finished points leave the journal
    /// (their state is in point-states.bin), so the kill must land while a point is still open; with the fast generator
    /// the 36,000-trial sweep could be all merged (only the final files left to write) by the time the test saw its
    /// first snapshot and killed the coordinator.
    /// </summary>
    private const string CoordinatorKillSweep = """
        {
          "name": "multi-node-coordinator-kill",
          "seed": 11,
          "trials": 144000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    [Fact]
    public async Task Three_processes_give_results_csv_byte_identical_to_ntk_run()
    {
        using var scenario = ClusterScenario.Create(SmallSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        var reference = await ClusterProcesses.ReferenceRunAsync(temp, sweep, workers: 3);
        var clock = Stopwatch.StartNew();
        var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false);
        StartWorker(nodes, temp, "worker-1", outDir, port, config);
        StartWorker(nodes, temp, "worker-2", outDir, port, config);
        await ExpectSuccessAsync(coordinator, nodes);
        var wall = clock.Elapsed;
        await ExpectWorkersFinishedAsync(nodes);

        AssertSameResults(reference.Directory, outDir, trialsPerPoint: 4000);
        var trials = 4 * 4000;
        output.WriteLine($"3 processes (coordinator + 2 workers × 1 thread): {wall.TotalSeconds:F1} s wall, {trials / wall.TotalSeconds:F0} trials/s overall");
        output.WriteLine($"ntk run --workers 3 in-process: {reference.Wall.TotalSeconds:F1} s wall, {trials / reference.Wall.TotalSeconds:F0} trials/s");
        output.WriteLine($"coordinator stdout:\n{coordinator.Stdout}");
        Assert.Contains(ReadEvents(outDir), e => e.Name == LogEvents.MemberUp && e.Roles == "worker");
        // What the terminals said: the coordinator what it waited for, each worker that it joined; no raw Akka
        // "gated … dead letters" warnings, whichever node came up first.
        Assert.Contains("waiting for workers: ", coordinator.Stderr);
        Assert.Contains(" of 2 joined", coordinator.Stderr);
        Assert.Matches(@"trials in [0-9.]+ s \([0-9]+ trials/s on the cluster", coordinator.Stdout);
        foreach (var worker in nodes.Where(n => n.Name.StartsWith("worker", StringComparison.Ordinal)))
        {
            Assert.Contains("joined; pulling shards of sweep", worker.Stderr);
            Assert.DoesNotContain("gated", worker.Stderr);
        }
    }

    [Fact]
    public async Task A_worker_killed_mid_sweep_and_a_new_one_give_identical_results_and_exact_trial_counts()
    {
        using var scenario = ClusterScenario.Create(KillSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        var reference = await ClusterProcesses.ReferenceRunAsync(temp, sweep, workers: 1);
        var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false);
        var victim = StartWorker(nodes, temp, "worker-1", outDir, port, config);
        StartWorker(nodes, temp, "worker-2", outDir, port, config);
        await WaitForAsync(() => CountEvents(outDir, LogEvents.ShardCompleted, victim.Id) >= 10, "worker-1 completes 10 shards", nodes);
        Assert.False(coordinator.HasExited, "the sweep finished before the worker could be killed: make it longer");
        var killedAt = DateTimeOffset.UtcNow;
        victim.Kill();
        output.WriteLine($"SIGKILL worker-1 (pid {victim.Id}) at {killedAt:HH:mm:ss.fff}");
        StartWorker(nodes, temp, "worker-3", outDir, port, config);

        await ExpectSuccessAsync(coordinator, nodes);
        await ExpectWorkersFinishedAsync(nodes.Where(n => n != victim));
        AssertSameResults(reference.Directory, outDir, trialsPerPoint: 36000);

        var events = ReadEvents(outDir);
        var reissued = events.Where(e => e.Name == LogEvents.ShardReissued && e.Time > killedAt).ToList();
        var expired = events.FirstOrDefault(e => e.Name == LogEvents.LeasesExpired && e.Time > killedAt);
        output.WriteLine($"leases of the killed worker expired by its downing after {(expired is null ? "-" : (expired.Time - killedAt).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture))} s");
        var downed = events.FirstOrDefault(e => e.Name == LogEvents.MemberDowned && e.Role == "coordinator" && e.Time > killedAt);
        output.WriteLine($"shards re-issued after the kill: {reissued.Count}; first after {(reissued.Count > 0 ? (reissued[0].Time - killedAt).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) : "-")} s" +
            $"; worker downed after {(downed is null ? "-" : (downed.Time - killedAt).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture))} s");

        // `ntk monitor --once` reads the logs of all four nodes from the results directory (the workers log there).
        var monitor = await CliRunner.RunAsync("monitor", "--once", outDir);
        output.WriteLine(monitor.Stdout);
        Assert.True(monitor.ExitCode == 0, monitor.ToString());
        Assert.Contains("finished (completed)", monitor.Stdout);
        Assert.Contains("1 downed", monitor.Stdout);
        foreach (var node in nodes.Where(n => n.Name.StartsWith("worker", StringComparison.Ordinal)))
            Assert.Contains($"-{node.Id.ToString(CultureInfo.InvariantCulture)} ", monitor.Stdout);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_coordinator_killed_mid_sweep_and_restarted_with_resume_gives_identical_results(string journalKind)
    {
        using var temp = new TempDirectory();
        using var postgres = journalKind == "postgresql" ? new PostgresServer() : null;
        // SQLite: the default file in the results directory; PostgreSQL: a throw-away server on 127.0.0.1.
        var journal = postgres?.CreateDatabase("ntk_kill_test");
        // PostgreSQL keeps the short sweep: each event is a round trip to the server, so its sweep is slower (the long one
        // outran the test's timeout on a loaded machine) and its kill lands mid-sweep anyway.
        var trialsPerPoint = journalKind == "sqlite" ? 144000 : 36000;
        var sweep = temp.Write("sweep.json", journalKind == "sqlite" ? CoordinatorKillSweep : KillSweep);
        var config = temp.Write("test.hocon", TestHocon);
        var reference = await ClusterProcesses.ReferenceRunAsync(temp, sweep, workers: 1);
        var port = NodeProcess.FreePort();
        var outDir = Path.Combine(temp.Path, "cluster");
        var nodes = new List<NodeProcess>();
        var first = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false, journal: journal);
        StartWorker(nodes, temp, "worker-1", outDir, port, config);
        StartWorker(nodes, temp, "worker-2", outDir, port, config);
        // Kill once shards are merged, and well before the end.
        await WaitForAsync(() => ReadEvents(outDir).Any(e => e.Name == LogEvents.SnapshotPublished && e.Trials >= 4000),
            "a snapshot with 4000 merged trials", nodes);
        Assert.False(first.HasExited, "the sweep finished before the coordinator could be killed: make it longer");
        first.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"SIGKILL coordinator (pid {first.Id}) at {killedAt:HH:mm:ss.fff}, journal {journalKind}");
        var completedBeforeKill = ReadEvents(outDir).Count(e => e.Name == LogEvents.PointCompleted && e.Time <= killedAt);
        output.WriteLine($"points completed before the kill: {completedBeforeKill} of 4");
        Assert.True(completedBeforeKill < 4, "every point was merged before the coordinator could be killed: make the sweep longer");

        var second = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: true, name: "coordinator-2", journal: journal);
        await ExpectSuccessAsync(second, nodes);
        await ExpectWorkersFinishedAsync(nodes.Where(n => n.Name.StartsWith("worker", StringComparison.Ordinal)));
        AssertSameResults(reference.Directory, outDir, trialsPerPoint);

        var events = ReadEvents(outDir);
        var started = events.Where(e => e.Name == LogEvents.SweepStarted).ToList();
        Assert.Equal(2, started.Count);
        Assert.True(started[1].ResumedPoints > 0, "the restarted coordinator's ledger did not hold any point");
        // Every aggregator recovered its accepted shards from the journal; none of them was leased again.
        var recovered = events.Where(e => e.Name == LogEvents.AggregatorRecovered && e.Time > started[0].Time)
            .GroupBy(e => e.PointIndex!.Value).ToDictionary(g => g.Key, g => g.Max(e => e.ShardsMerged!.Value));
        Assert.True(recovered.Values.Sum() > 0, "no aggregator recovered a merged shard from the journal");
        var leasedAgain = events.Where(e => e.Name == LogEvents.ShardLeased && e.Time > started[1].Time
                && recovered.TryGetValue(e.PointIndex!.Value, out var prefix) && e.ShardIndex < prefix)
            .Select(e => $"{e.PointIndex}/{e.ShardIndex}").ToList();
        Assert.True(leasedAgain.Count == 0, "shards recovered from the journal were computed again: " + string.Join(", ", leasedAgain));
        output.WriteLine($"second coordinator: {recovered.Values.Sum()} shards of {recovered.Count} points recovered from the journal, none leased again; stdout:\n{second.Stdout}");
    }

    [Fact]
    public async Task A_worker_paused_until_it_is_downed_comes_back_and_the_results_are_identical()
    {
        using var scenario = ClusterScenario.Create(KillSweep);
        var (temp, sweep, config, port, outDir, nodes) = scenario;
        // One worker only: while it is paused nobody computes, so the sweep cannot end before it comes back; the work
        // left after the pause usually outlasts the worker's discovery that it was downed (about a second).
        var reference = await ClusterProcesses.ReferenceRunAsync(temp, sweep, workers: 1);
        try
        {
            var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false, minWorkers: 1);
            var slow = StartWorker(nodes, temp, "worker-1", outDir, port, config);
            await WaitForAsync(() => CountEvents(outDir, LogEvents.ShardCompleted, slow.Id) >= 10, "worker-1 completes 10 shards", nodes);
            // SIGSTOP: the process is alive but silent (a worker that is very slow, or cut off by the network).
            var pausedAt = DateTimeOffset.UtcNow;
            Signal("STOP", slow.Id);
            await WaitForAsync(() => ReadEvents(outDir).Any(e => e.Name == LogEvents.MemberDowned && e.Role == "coordinator" && e.Time > pausedAt),
                "the coordinator downs the paused worker", nodes);
            Assert.False(coordinator.HasExited, "the sweep finished while the worker was paused: make it longer");
            Signal("CONT", slow.Id);
            output.WriteLine($"worker-1 paused at {pausedAt:HH:mm:ss.fff}, resumed after {(DateTimeOffset.UtcNow - pausedAt).TotalSeconds:F1} s");

            await ExpectSuccessAsync(coordinator, nodes);
            await ExpectWorkersFinishedAsync(nodes);
            AssertSameResults(reference.Directory, outDir, trialsPerPoint: 36000);
            var slowEvents = ReadEvents(outDir).Where(e => e.ProcessId == slow.Id).ToList();
            // It came back after being downed: it learned so (and normally rejoined with a new actor system). If the
            // rest of the sweep was done before it noticed, the results above are still what is being tested.
            var rejoined = slowEvents.Any(e => e.Name == LogEvents.NodeRejoining);
            Assert.True(rejoined || slowEvents.Any(e => e.Name == LogEvents.MemberDowned && e.Time > pausedAt),
                "worker-1 never learned it was downed; its events after the pause: " +
                string.Join(", ", slowEvents.Where(e => e.Time > pausedAt).Select(e => $"{e.Time:HH:mm:ss.fff} {e.Name}").Distinct()));
            output.WriteLine(rejoined
                ? $"worker-1 rejoined; shards it completed after rejoining: {slowEvents.SkipWhile(e => e.Name != LogEvents.NodeRejoining).Count(e => e.Name == LogEvents.ShardCompleted)}"
                : "worker-1 learned it was downed only after the sweep was done (it finished the remaining shards first)");
        }
        finally
        {
            foreach (var node in nodes.Where(n => !n.HasExited)) Signal("CONT", node.Id);
            DisposeAll(nodes);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static NodeProcess StartCoordinator(List<NodeProcess> nodes, TempDirectory temp, string sweep, string outDir, int port,
        string config, bool resume, string name = "coordinator", int minWorkers = 2, string? journal = null)
    {
        var extra = new List<string> { "--min-workers", minWorkers.ToString(CultureInfo.InvariantCulture) };
        if (resume) extra.Add("--resume");
        if (journal is not null) extra.AddRange(["--journal", journal]);
        return ClusterProcesses.StartCoordinator(nodes, temp, name, sweep, outDir, port, config, [.. extra]);
    }

    private async Task ExpectSuccessAsync(NodeProcess coordinator, IEnumerable<NodeProcess> nodes)
    {
        var exited = await coordinator.WaitForExitAsync(RunTimeout);
        if (!exited || coordinator.ExitCode != 0)
        {
            foreach (var node in nodes) output.WriteLine(node.ToString());
            Assert.Fail(exited ? $"{coordinator.Name} exited with {coordinator.ExitCode}" : $"{coordinator.Name} did not finish within {RunTimeout}");
        }
    }

    /// <summary>Workers exit 0 by themselves once the coordinator said the sweep is finished (or left).</summary>
    private async Task ExpectWorkersFinishedAsync(IEnumerable<NodeProcess> workers)
    {
        foreach (var worker in workers.Where(w => w.Name.StartsWith("worker", StringComparison.Ordinal)))
        {
            var exited = await worker.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exited && worker.ExitCode == 0, worker.ToString());
        }
    }

    private Task WaitForAsync(Func<bool> condition, string what, IEnumerable<NodeProcess> nodes) =>
        ClusterProcesses.WaitForAsync(output, condition, what, nodes);

    private static void AssertSameResults(string referenceDirectory, string clusterDirectory, long trialsPerPoint)
    {
        var expected = File.ReadAllBytes(Path.Combine(referenceDirectory, "results.csv"));
        var actual = File.ReadAllBytes(Path.Combine(clusterDirectory, "results.csv"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "results.csv of the cluster differs from ntk run's");
        // Every point of the sweep written once (points.jsonl), with all its trials.
        var points = SavedResults.PointTrials(clusterDirectory);
        Assert.Equal(SavedResults.PointTrials(referenceDirectory).Keys.Order(), points.Keys.Order());
        Assert.All(points.Values, trials => Assert.Equal(trialsPerPoint, trials));
    }

    private static void DisposeAll(List<NodeProcess> nodes)
    {
        foreach (var node in nodes) node.Dispose();
    }

    private sealed record LogEvent(DateTimeOffset Time, string Name, string? Role, string? Roles, long Trials, int ResumedPoints, int? ProcessId,
        int? PointIndex = null, int? ShardIndex = null, int? ShardsMerged = null, int? HeldCount = null);

    /// <summary>Every event with an {Event} property in the compact-JSON logs of <paramref name="directory"/>, by time.</summary>
    private static List<LogEvent> ReadEvents(string directory) =>
        NodeLogs.Read(directory).Select(e => new LogEvent(e.Time, e.Name, e["Role"], e["Roles"], e.Long("TrialCount") ?? 0,
            e.Int("ResumedPoints") ?? 0, e.ProcessId, e.Int("PointIndex"), e.Int("ShardIndex"), e.Int("ShardsMerged"), e.Int("HeldCount"))).ToList();

    private static int CountEvents(string directory, string name, int processId) =>
        ReadEvents(directory).Count(e => e.Name == name && e.ProcessId == processId);
}

/// <summary>The multi-process tests run alone (after the parallel ones): each starts 3–4 processes that need the
/// cores, and starving them only makes failure detection noisy.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultiNodeCollection
{
    public const string Name = "multi-node processes";
}
