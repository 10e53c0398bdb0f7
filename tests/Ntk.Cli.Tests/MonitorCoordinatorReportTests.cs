using Ntk.Cli.Monitor;
using Xunit;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

/// <summary>
/// `ntk monitor` on the coordinator's log alone: its ShardAccepted events (one per accepted shard, naming the worker
/// that computed it) give a row per worker node, wherever that node's own log is; with the node's own log read too,
/// its row comes from its own events only.
/// </summary>
public sealed class MonitorCoordinatorReportTests
{
    private const string WorkerA = "127.0.0.1:4054";
    private const string WorkerB = "127.0.0.1:4055";

    private static string Accepted(double seconds, string workerNode, int point, int shard, double elapsedMs) =>
        SyntheticRun.Line(seconds, "coordinator", "coordinator",
            "{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials by {WorkerId}, {ElapsedMs} ms after its lease", null,
            (LogEvents.Property, LogEvents.ShardAccepted), ("PointIndex", point), ("ShardIndex", shard), ("TrialCount", 100),
            ("WorkerId", workerNode + "/worker-1"), ("ElapsedMs", elapsedMs));

    private static List<string> CoordinatorLog() =>
    [
        SyntheticRun.Line(0, "coordinator", "coordinator", "{Event:l}: {MemberAddress} ({Roles})", null,
            (LogEvents.Property, LogEvents.MemberUp), ("MemberAddress", SyntheticRun.NodeAAddress), ("Roles", "worker")),
        Accepted(1, WorkerA, 0, 0, 500),
        Accepted(2, WorkerB, 0, 1, 500),
        Accepted(3, WorkerA, 0, 2, 500),
        Accepted(4, WorkerA, 1, 0, 500),
    ];

    [Fact]
    public void The_coordinators_log_alone_shows_every_worker_node_with_its_shards_and_trials()
    {
        var state = new MonitorState(TimeSpan.FromSeconds(30));
        foreach (var line in CoordinatorLog()) state.Apply(line);
        var view = state.View();
        var a = view.Nodes.Single(n => n.NodeId == WorkerA);
        var b = view.Nodes.Single(n => n.NodeId == WorkerB);
        Assert.Equal((3, 300L), (a.ShardsCompleted, a.Trials));
        Assert.Equal((1, 100L), (b.ShardsCompleted, b.Trials));
        Assert.Equal("worker", a.Role);
        Assert.Equal("Up", a.MemberStatus); // tied to its member by address
        Assert.True(a.RecentTrialsPerSecond > 0);
    }

    [Fact]
    public void A_worker_whose_own_log_is_read_is_shown_once_from_its_own_events()
    {
        var state = new MonitorState(TimeSpan.FromSeconds(30));
        foreach (var line in CoordinatorLog()) state.Apply(line);
        // node-a's own log (ActorPath at 127.0.0.1:4054): one completed shard.
        state.Apply(SyntheticRun.Line(1, "node-a", "worker",
            "{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials in {ElapsedMs} ms, {TrialsPerSecond} trials/s, by {WorkerId}", null,
            (LogEvents.Property, LogEvents.ShardCompleted), ("PointIndex", 0), ("ShardIndex", 0), ("TrialCount", 100), ("ElapsedMs", 400.0),
            ("TrialsPerSecond", 250.0), ("WorkerId", WorkerA + "/worker-1")));
        var view = state.View();
        Assert.DoesNotContain(view.Nodes, n => n.NodeId == WorkerA);
        Assert.Equal(1, view.Nodes.Single(n => n.NodeId == "node-a").ShardsCompleted);
        Assert.Contains(view.Nodes, n => n.NodeId == WorkerB);
    }
}
