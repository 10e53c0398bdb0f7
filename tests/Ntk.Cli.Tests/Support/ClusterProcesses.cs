using System.Diagnostics;
using System.Globalization;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests.Support;

/// <summary>
/// The set-up every test that runs real `ntk` processes shares (multi-node, fault, operations and TLS tests): shortened
/// cluster timings, starting nodes into a list that the test disposes, waiting with a deadline, signals, and the
/// `ntk run` reference the cluster's results are compared with byte for byte.
/// </summary>
internal static class ClusterProcesses
{
    /// <summary>Upper bound for one cluster run (start, formation, sweep, linger, report); far above the ~15–30 s seen.</summary>
    public static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    /// <summary>
    /// Shorter timings for tests on one machine (see cluster-config/*.hocon for what each key means). The lease timeout
    /// is longer than the ~10 s a dead node takes to be downed here, so a killed worker's shard is re-issued when its
    /// node is downed (LeasesExpired), not when the lease runs out. Generous heartbeat pauses: on 2 loaded cores a false
    /// "unreachable" only costs time (the node rejoins), never correctness.
    /// </summary>
    public const string TestHocon = """
        ntk.sweep.lease-timeout = 20s
        ntk.sweep.work-retry-interval = 200ms
        ntk.coordinator.linger = 5s
        ntk.worker.rejoin-delay = 1s
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 5s
        """;

    /// <summary>4 points × 20 shards of 200 trials: a sweep of a few seconds for a cluster of one or two workers.</summary>
    public const string SmallSweep = """
        {
          "name": "cluster-small",
          "seed": 7,
          "trials": 4000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    /// <summary>Starts `ntk <paramref name="args"/>` as <paramref name="name"/> and adds it to <paramref name="nodes"/>.</summary>
    public static NodeProcess Start(List<NodeProcess> nodes, TempDirectory temp, string name, params string[] args)
    {
        var node = NodeProcess.Start(name, temp.Path, args);
        nodes.Add(node);
        return node;
    }

    /// <summary>A coordinator on <paramref name="port"/> with the test HOCON and 1 s snapshots, waiting for one worker
    /// unless <paramref name="extra"/> gives --min-workers.</summary>
    public static NodeProcess StartCoordinator(List<NodeProcess> nodes, TempDirectory temp, string name, string sweep, string outDir,
        int port, string config, params string[] extra)
    {
        var args = new List<string>
        {
            "coordinator", sweep, "--port", port.ToString(CultureInfo.InvariantCulture), "--out", outDir,
            "--config", config, "--snapshot-interval", "1",
        };
        if (!extra.Contains("--min-workers")) args.AddRange(["--min-workers", "1"]);
        args.AddRange(extra);
        return Start(nodes, temp, name, [.. args]);
    }

    /// <summary>A one-thread worker joining the coordinator on <paramref name="port"/>, logging into <paramref name="logDirectory"/>.</summary>
    public static NodeProcess StartWorker(List<NodeProcess> nodes, TempDirectory temp, string name, string logDirectory, int port, string config) =>
        Start(nodes, temp, name, "worker", "--seeds", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--threads", "1", "--log-dir", logDirectory, "--config", config);

    /// <summary>Polls <paramref name="condition"/> until it holds; after <see cref="RunTimeout"/> prints the nodes and fails.</summary>
    public static async Task WaitForAsync(ITestOutputHelper output, Func<bool> condition, string what, IEnumerable<NodeProcess> nodes)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return;
            await Task.Delay(150);
        }
        foreach (var node in nodes) output.WriteLine(node.ToString());
        Assert.Fail($"timed out waiting for: {what}");
    }

    /// <summary>Sends a signal (TERM, STOP, CONT; no .NET API for the last two) with kill(1).</summary>
    public static void Signal(string signal, int processId)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {processId.ToString(CultureInfo.InvariantCulture)}")
        {
            UseShellExecute = false,
        })!;
        kill.WaitForExit(10_000);
    }

    /// <summary>`ntk run` of the same sweep into temp/reference: the results a cluster must reproduce byte for byte.</summary>
    public static async Task<(string Directory, TimeSpan Wall)> ReferenceRunAsync(TempDirectory temp, string sweep, int workers)
    {
        var directory = Path.Combine(temp.Path, "reference");
        var clock = Stopwatch.StartNew();
        var result = await CliRunner.RunAsync("run", sweep, "--out", directory, "--workers", workers.ToString(CultureInfo.InvariantCulture));
        clock.Stop();
        Assert.True(result.ExitCode == 0, result.ToString());
        return (directory, clock.Elapsed);
    }
}

/// <summary>
/// One multi-process test's ground: a temporary directory holding the sweep and the test HOCON, a free port for the
/// coordinator, the cluster's results directory and the nodes started. Dispose kills every node still running, then
/// removes the directory, whatever the test did.
/// </summary>
internal sealed class ClusterScenario : IDisposable
{
    private ClusterScenario(TempDirectory temp, string sweepJson, string hocon)
    {
        Temp = temp;
        Sweep = temp.Write("sweep.json", sweepJson);
        Config = temp.Write("test.hocon", hocon);
        OutDir = Path.Combine(temp.Path, "cluster");
    }

    public TempDirectory Temp { get; }
    public string Sweep { get; }
    public string Config { get; }
    public int Port { get; } = NodeProcess.FreePort();
    public string OutDir { get; }
    public List<NodeProcess> Nodes { get; } = [];

    public static ClusterScenario Create(string sweepJson, string hocon = ClusterProcesses.TestHocon) =>
        new(new TempDirectory(), sweepJson, hocon);

    public void Deconstruct(out TempDirectory temp, out string sweep, out string config, out int port, out string outDir,
        out List<NodeProcess> nodes) =>
        (temp, sweep, config, port, outDir, nodes) = (Temp, Sweep, Config, Port, OutDir, Nodes);

    public void Dispose()
    {
        foreach (var node in Nodes) node.Dispose();
        Temp.Dispose();
    }
}
