using System.Globalization;
using Ntk.Cli.Tests.Support;
using static Ntk.Cli.Tests.Support.ClusterProcesses;
using Ntk.Cluster.Logging;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>
/// Aggregators on several nodes: worker nodes started with --aggregator-journal take the aggregator role and host a
/// share of the points, journaled into the coordinator's journal. Killing one of them mid-sweep moves its points to
/// another aggregator node, which recovers them from the journal; the results stay byte-identical.
/// </summary>
public sealed partial class MultiNodeClusterTests
{
    /// <summary>8 points × 360 shards of 300 trials: enough points that sharding spreads them over three aggregator
    /// nodes, long enough to kill one mid-sweep. (With 200-trial shards the faster conditional engine finished the
    /// sweep 13 s after the workers joined on a loaded CI host, about 4 s after the kill could come.)</summary>
    private const string AggregatorSweep = """
        {
          "name": "multi-node-aggregators",
          "seed": 13,
          "trials": 108000,
          "shardTrials": 300,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 60, 90, 120] }
        }
        """;

    [Fact]
    public async Task An_aggregator_node_killed_mid_sweep_hands_its_points_to_another_and_the_results_are_identical()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", AggregatorSweep);
        // Sharding rebalances every 2 s here (10 s by default): the points first land on the coordinator node, which
        // opens them before any worker node is up, and move to the aggregator workers from there.
        var config = temp.Write("test.hocon", TestHocon + "\nakka.cluster.sharding.rebalance-interval = 2s\n");
        var reference = await ClusterProcesses.ReferenceRunAsync(temp, sweep, workers: 1);
        var port = NodeProcess.FreePort();
        var outDir = Path.Combine(temp.Path, "cluster");
        var journalFile = Path.Combine(temp.Path, "journal.db");
        var journal = "sqlite:" + journalFile;
        var nodes = new List<NodeProcess>();
        try
        {
            var coordinator = StartCoordinator(nodes, temp, sweep, outDir, port, config, resume: false, minWorkers: 2, journal: journal);
            await WaitForAsync(() => File.Exists(journalFile), "the coordinator creates its journal", nodes);
            var aggregators = new[]
            {
                StartAggregatorWorker(nodes, temp, "worker-aggregator-1", outDir, port, config, journal),
                StartAggregatorWorker(nodes, temp, "worker-aggregator-2", outDir, port, config, journal),
            };

            // Kill the first aggregator node seen hosting an unfinished point for a few seconds while shards of it were
            // completed (the latest start of each point tells where it lives now: sharding may have moved it since), so
            // that shards it merged are in the journal. Which node that is, and when, is up to the shard allocation and
            // the order in which shards are leased: waiting for a fixed node failed when the allocation gave it no point
            // before the sweep ended, and a point hosted for a while may still have had no shard completed.
            HashSet<int> HostedBy(int processId, TimeSpan atLeast, int completedShards)
            {
                var events = ReadEvents(outDir);
                var finished = events.Where(e => e.Name == LogEvents.PointCompleted).Select(e => e.PointIndex!.Value).ToHashSet();
                return events.Where(e => e.Name == LogEvents.AggregatorStarted)
                    .GroupBy(e => e.PointIndex!.Value)
                    .Select(g => g.Last())
                    .Where(start => start.ProcessId == processId && DateTimeOffset.UtcNow - start.Time >= atLeast
                        && !finished.Contains(start.PointIndex!.Value)
                        && events.Count(e => e.Name == LogEvents.ShardCompleted && e.PointIndex == start.PointIndex
                            && e.Time > start.Time + TimeSpan.FromSeconds(1)) >= completedShards)
                    .Select(start => start.PointIndex!.Value).ToHashSet();
            }
            NodeProcess? victim = null;
            await WaitForAsync(() =>
                {
                    victim = aggregators.FirstOrDefault(a => HostedBy(a.Id, TimeSpan.FromSeconds(4), completedShards: 10).Count > 0);
                    return victim is not null || coordinator.HasExited;
                },
                "an aggregator node hosts an unfinished point for 4 s with 10 shards of it completed", nodes);
            Assert.False(coordinator.HasExited, "the sweep finished before an aggregator node could be killed: make it longer");
            Assert.NotNull(victim);
            var survivor = aggregators.Single(a => a != victim);
            var hosted = HostedBy(victim.Id, TimeSpan.Zero, completedShards: 0);
            var killedAt = DateTimeOffset.UtcNow;
            victim.Kill();
            output.WriteLine($"SIGKILL {victim.Name} (pid {victim.Id}) hosting points {string.Join(",", hosted.Order())} at {killedAt:HH:mm:ss.fff}");

            await ExpectSuccessAsync(coordinator, nodes);
            await ExpectWorkersFinishedAsync(nodes.Where(n => n != victim));
            AssertSameResults(reference.Directory, outDir, trialsPerPoint: 108000);

            // The killed node's points started again elsewhere, and those with merged shards recovered them from the
            // journal instead of computing them again: merged in order, or held (arrived ahead of a missing one).
            var events = ReadEvents(outDir);
            foreach (var e in events.Where(e => e.Name is LogEvents.AggregatorStarted or LogEvents.AggregatorRecovered or LogEvents.MemberDowned))
                output.WriteLine($"{e.Time:HH:mm:ss.fff} {e.Name} point {e.PointIndex} shards {e.ShardsMerged} pid {e.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "coordinator"}");
            var restarted = events.Where(e => e.Name == LogEvents.AggregatorStarted && e.Time > killedAt && e.ProcessId != victim.Id
                && hosted.Contains(e.PointIndex!.Value)).Select(e => e.PointIndex!.Value).ToHashSet();
            var recovered = events.Where(e => e.Name == LogEvents.AggregatorRecovered && e.Time > killedAt && e.ProcessId != victim.Id
                && hosted.Contains(e.PointIndex!.Value)).ToList();
            output.WriteLine($"restarted elsewhere: {string.Join(",", restarted.Order())}; recovered from the journal: " +
                string.Join(", ", recovered.Select(e => $"point {e.PointIndex} ({e.ShardsMerged} shards merged, {e.HeldCount} held)")));
            Assert.NotEmpty(restarted);
            Assert.Contains(recovered, e => e.ShardsMerged + e.HeldCount > 0);
            // The survivor hosted points too: the merge work was spread, not only moved back to the coordinator.
            Assert.Contains(events, e => e.Name == LogEvents.AggregatorStarted && e.ProcessId == survivor.Id);
        }
        finally
        {
            DisposeAll(nodes);
        }
    }

    private static NodeProcess StartAggregatorWorker(List<NodeProcess> nodes, TempDirectory temp, string name, string logDirectory,
        int port, string config, string journal) =>
        Start(nodes, temp, name, "worker", "--seeds", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--threads", "1", "--log-dir", logDirectory, "--config", config, "--aggregator-journal", journal);
}
