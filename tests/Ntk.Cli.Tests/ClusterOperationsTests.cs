using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Ntk.Cli.Tests.Support;
using static Ntk.Cli.Tests.Support.ClusterProcesses;
using Ntk.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

/// <summary>
/// Operating a cluster (docs/cluster.md, "Deploy" and "Observe"), with real OS processes on 127.0.0.1: three nodes
/// form the cluster through Cluster Bootstrap with config discovery (no seed nodes), answer their health probes,
/// export metrics that agree with the logs, and give a results.csv byte-identical to `ntk run`.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class ClusterOperationsTests(ITestOutputHelper output)
{


    private const int Points = 4;
    private const int ShardsPerPoint = 20;
    private const int TrialsPerPoint = 100_000;

    /// <summary>
    /// The small cluster sweep with 25× the trials (20 shards of 5,000 per point): long enough (a few seconds) that the
    /// second worker, which starts with the first but gets its plan and samplers a little later, computes shards too.
    /// At 4,000 trials per point one worker finished all 80 shards before the other began (the engines got faster).
    /// </summary>
    private static readonly string Sweep = SmallSweep
        .Replace("\"trials\": 4000", "\"trials\": 100000", StringComparison.Ordinal)
        .Replace("\"shardTrials\": 200", "\"shardTrials\": 5000", StringComparison.Ordinal);

    [Fact]
    public async Task Three_processes_bootstrap_through_config_discovery_answer_probes_and_export_metrics_matching_the_log()
    {
        using var temp = new TempDirectory();
        Assert.Contains("\"trials\": 100000", Sweep, StringComparison.Ordinal);
        var sweep = temp.Write("sweep.json", Sweep);
        var config = temp.Write("test.hocon", TestHocon);
        var reference = await CliRunner.RunAsync("run", sweep, "--out", Path.Combine(temp.Path, "reference"), "--workers", "3");
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var outDir = Path.Combine(temp.Path, "cluster");
        var coordinatorHttp = NodeProcess.FreePort();
        var workerHttp = NodeProcess.FreePort();
        var discovery = $"config:127.0.0.1:{coordinatorHttp}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var nodes = new List<NodeProcess>();
        try
        {
            // A worker that starts before the coordinator keeps probing until the coordinator's endpoint answers.
            var worker1 = Start(nodes, temp, "worker-1", "worker", "--discovery", discovery, "--threads", "1", "--log-dir", outDir,
                "--config", config, "--http-port", Port(workerHttp));
            var workerBeforeJoin = await WaitForStatusAsync(http, workerHttp, "/healthz/ready", s => s is not null, nodes);
            var coordinator = Start(nodes, temp, "coordinator", "coordinator", sweep, "--port", Port(NodeProcess.FreePort()),
                "--out", outDir, "--min-workers", "2", "--config", config, "--snapshot-interval", "1",
                "--discovery", discovery, "--http-port", Port(coordinatorHttp), "--hold");
            Start(nodes, temp, "worker-2", "worker", "--discovery", discovery, "--threads", "1", "--log-dir", outDir, "--config", config);

            // Readiness: a worker is ready once it is Up and has the plan; the coordinator once Up with its journal open.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, workerBeforeJoin.Status);
            Assert.Contains("\"plan\":\"not received\"", workerBeforeJoin.Body);
            var workerReady = await WaitForStatusAsync(http, workerHttp, "/healthz/ready", s => s?.Status == HttpStatusCode.OK, nodes);
            Assert.Contains("\"member\":\"ok\"", workerReady.Body);
            var coordinatorReady = await WaitForStatusAsync(http, coordinatorHttp, "/healthz/ready", s => s?.Status == HttpStatusCode.OK, nodes);
            Assert.Contains("\"journal\":\"ok\"", coordinatorReady.Body);
            var live = await GetAsync(http, workerHttp, "/healthz/live");
            Assert.Equal(HttpStatusCode.OK, live?.Status);

            // Members by status during the run: the coordinator sees itself and both workers Up.
            var membersSeen = await WaitForStatusAsync(http, coordinatorHttp, "/metrics",
                s => s is { Status: HttpStatusCode.OK } && Metric(s.Body, "ntk_node_cluster_members", ("status", "Up"), ("role", "worker")) == 2, nodes);
            Assert.Equal(1, Metric(membersSeen.Body, "ntk_node_cluster_members", ("status", "Up"), ("role", "coordinator")));

            await WaitForAsync(() => coordinator.Stdout.Contains("holding", StringComparison.Ordinal) || coordinator.HasExited, "the sweep ends", nodes);
            Assert.False(coordinator.HasExited, coordinator.ToString());
            foreach (var worker in nodes.Where(n => n.Name.StartsWith("worker", StringComparison.Ordinal)))
                Assert.True(await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)) && worker.ExitCode == 0, worker.ToString());

            // After the sweep (held): live, not ready, and the coordinator's counters equal what its log says.
            var finished = await GetAsync(http, coordinatorHttp, "/healthz/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, finished?.Status);
            Assert.Contains("\"sweep\":\"finished\"", finished!.Body);
            Assert.Equal(HttpStatusCode.OK, (await GetAsync(http, coordinatorHttp, "/healthz/live"))?.Status);
            var metrics = (await GetAsync(http, coordinatorHttp, "/metrics"))!.Body;
            output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("ntk_", StringComparison.Ordinal) || l.Contains("Ntk", StringComparison.Ordinal))));
            var events = ReadEvents(Path.Combine(outDir, "run.log"));
            var accepted = events.Count(e => e.Name == LogEvents.ShardAccepted);
            Assert.Equal(Points * ShardsPerPoint, accepted);
            Assert.Equal(accepted, Metric(metrics, "ntk_sweep_shards_completed_total"));
            Assert.Equal(events.Where(e => e.Name == LogEvents.ShardAccepted).Sum(e => e.Trials), Metric(metrics, "ntk_sweep_trials_completed_total"));
            Assert.Equal(Points * TrialsPerPoint, Metric(metrics, "ntk_sweep_trials_completed_total"));
            Assert.Equal(events.Count(e => e.Name == LogEvents.ShardReissued), Metric(metrics, "ntk_sweep_shards_reissued_total"));
            Assert.True(Metric(metrics, "ntk_sweep_shards_leased_total") >= accepted);
            Assert.Equal(Points, Metric(metrics, "ntk_sweep_points_done"));
            Assert.Equal(0, Metric(metrics, "ntk_sweep_merge_backlog"));
            // Every accepted shard was journaled once: one latency observation each.
            Assert.Equal(accepted, Metric(metrics, "ntk_sweep_journal_write_duration_ms_count"));
            // Each worker's throughput is in the coordinator's log: every shard names the worker that computed it.
            var workerIds = events.Where(e => e.Name == LogEvents.ShardAccepted).Select(e => e.WorkerNode).Distinct().Count();
            Assert.Equal(2, workerIds);

            Signal("TERM", coordinator.Id);
            Assert.True(await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(30)) && coordinator.ExitCode == 0, coordinator.ToString());

            var expected = File.ReadAllBytes(Path.Combine(temp.Path, "reference", "results.csv"));
            var actual = File.ReadAllBytes(Path.Combine(outDir, "results.csv"));
            Assert.True(expected.AsSpan().SequenceEqual(actual), "results.csv of the bootstrapped cluster differs from ntk run's");
            Assert.Contains(events, e => e.Name == LogEvents.HttpEndpointStarted);
            Assert.DoesNotContain(ReadEvents(Path.Combine(outDir, "run.log")), e => e.Name == LogEvents.MemberDowned);
        }
        finally
        {
            foreach (var node in nodes) node.Dispose();
        }
    }

    private sealed record Response(HttpStatusCode Status, string Body);

    private sealed record LogEvent(string Name, long Trials, string? WorkerNode);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task<Response?> GetAsync(HttpClient http, int port, string path)
    {
        try
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{Port(port)}{path}");
            return new Response(response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null; // not listening (yet, or any more)
        }
    }

    private async Task<Response> WaitForStatusAsync(HttpClient http, int port, string path, Func<Response?, bool> condition,
        List<NodeProcess> nodes)
    {
        Response? last = null;
        await WaitForAsync(() =>
        {
            last = GetAsync(http, port, path).GetAwaiter().GetResult();
            return condition(last);
        }, $"GET {path} on port {port} as expected (last: {last?.Status} {last?.Body})", nodes);
        return last!;
    }

    private Task WaitForAsync(Func<bool> condition, string what, IEnumerable<NodeProcess> nodes) =>
        ClusterProcesses.WaitForAsync(output, condition, what, nodes);

    /// <summary>The value of a Prometheus sample with exactly these labels (none: the unlabelled sample); NaN if absent.</summary>
    private static double Metric(string text, string name, params (string Key, string Value)[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = line[name.Length..];
            string labelText = "";
            if (rest.StartsWith('{'))
            {
                var close = rest.IndexOf('}', StringComparison.Ordinal);
                labelText = rest[1..close];
                rest = rest[(close + 1)..];
            }
            if (!rest.StartsWith(' ')) continue; // a longer name with this prefix
            var found = labelText.Length == 0 ? [] : labelText.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1].Trim('"'));
            if (found.Count != labels.Length || labels.Any(l => !found.TryGetValue(l.Key, out var v) || v != l.Value)) continue;
            return double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return double.NaN;
    }

    private static List<LogEvent> ReadEvents(string file) =>
        NodeLogs.ReadFile(file).Select(e => new LogEvent(e.Name, e.Long("TrialCount") ?? 0, e["WorkerId"]?.Split('/')[0])).ToList();

}
