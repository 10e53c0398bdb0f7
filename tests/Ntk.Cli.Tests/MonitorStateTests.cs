using System.Text.Json;
using Ntk.Cli.Monitor;
using Xunit;
using Xunit.Abstractions;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

/// <summary>
/// A synthetic three-node run, written as the nodes would log it (compact JSON, {NodeId}, {Role}, {Event}):
/// a coordinator; node-a, whose worker-1 runs point 0 (4 shards of 100 trials, 2 s each, from t0+1 s to t0+9 s) and
/// later the re-issued shard p1/s1 (t0+30 s to t0+32 s); node-b, whose worker-1 runs p1/s0 (t0+1 s to t0+5 s) and
/// leases p1/s1 at t0+5 s but is downed and finishes it only at t0+33 s (a duplicate the aggregator discards).
/// Every number the tests expect is worked out in the comments of <see cref="MonitorStateTests"/>.
/// </summary>
internal static class SyntheticRun
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const string CoordinatorAddress = "akka.tcp://ntk@127.0.0.1:4053";
    public const string NodeAAddress = "akka.tcp://ntk@127.0.0.1:4054";
    public const string NodeBAddress = "akka.tcp://ntk@127.0.0.1:4055";

    public static IReadOnlyList<string> Coordinator() =>
    [
        Line(0, "coordinator", "coordinator", "{Event:l}: sweep {SweepName}: {PointCount} points, up to {ShardCount} shards of {ShardTrials} trials each, {ResumedPoints} resumed",
            (LogEvents.Property, LogEvents.SweepStarted), ("SweepName", "synthetic"), ("PointCount", 2), ("ShardCount", 4), ("ShardTrials", 100), ("ResumedPoints", 0)),
        Member(0.5, LogEvents.MemberUp, CoordinatorAddress, "coordinator"),
        Member(0.6, LogEvents.MemberUp, NodeAAddress, "worker"),
        Member(0.7, LogEvents.MemberUp, NodeBAddress, "worker"),
        Line(9.5, "coordinator", "coordinator", "{Event:l}: point {PointIndex}: {TrialCount} trials in {ShardsMerged} shards",
            (LogEvents.Property, LogEvents.PointCompleted), ("PointIndex", 0), ("TrialCount", 400), ("ShardsMerged", 4)),
        Line(12, "coordinator", "coordinator", "{Event:l}: snapshot skipped: {Reason}", level: "Warning",
            (LogEvents.Property, LogEvents.SnapshotSkipped), ("Reason", "1 of 2 points did not answer")),
        Member(20, LogEvents.MemberUnreachable, NodeBAddress, "worker", "Warning"),
        Member(25, LogEvents.MemberDowned, NodeBAddress, "worker", "Warning"),
        Member(26, LogEvents.MemberRemoved, NodeBAddress, "worker"),
        Line(30, "coordinator", "coordinator", "{Event:l}: point {PointIndex} shard {ShardIndex}: lease expired, offered to {WorkerId}", level: "Warning",
            (LogEvents.Property, LogEvents.ShardReissued), ("PointIndex", 1), ("ShardIndex", 1), ("WorkerId", "worker-1")),
        Line(33.5, "coordinator", "coordinator", "{Event:l}: point {PointIndex} shard {ShardIndex} lease {LeaseId}: result rejected: {Reason}", level: "Error",
            (LogEvents.Property, LogEvents.ShardRejected), ("PointIndex", 1), ("ShardIndex", 3), ("LeaseId", 17), ("Reason", "unreadable state")),
        Line(34, "coordinator", "coordinator", "{Event:l}: {TrialCount} trials, final: {Final}, complete: {Complete}, worst standard error {WorstStdErr} (point {WorstStdErrPoint}), after {ElapsedMs} ms",
            (LogEvents.Property, LogEvents.SnapshotPublished), ("TrialCount", 600), ("Final", false), ("Complete", false), ("WorstStdErr", 0.0123), ("WorstStdErrPoint", 1), ("ElapsedMs", 34000)),
    ];

    public static IReadOnlyList<string> NodeA() =>
    [
        Leased(1, "node-a", 0, 0), Completed(3, "node-a", 0, 0, 2000),
        Leased(3, "node-a", 0, 1), Completed(5, "node-a", 0, 1, 2000),
        Leased(5, "node-a", 0, 2), Completed(7, "node-a", 0, 2, 2000),
        Leased(7, "node-a", 0, 3), Completed(9, "node-a", 0, 3, 2000),
        Line(21, "node-a", "worker", "Association with remote system {RemoteAddress} has failed", level: "Error",
            ("RemoteAddress", NodeBAddress)),
        Leased(30.2, "node-a", 1, 1), Completed(32, "node-a", 1, 1, 2000),
    ];

    public static IReadOnlyList<string> NodeB() =>
    [
        Leased(1, "node-b", 1, 0), Completed(5, "node-b", 1, 0, 4000),
        Leased(5, "node-b", 1, 1), Completed(33, "node-b", 1, 1, 28000),
    ];

    public static string Finished(double seconds) =>
        Line(seconds, "coordinator", "coordinator", "{Event:l}: sweep {SweepName} {Outcome}, {TrialCount} trials merged by this run",
            (LogEvents.Property, LogEvents.SweepFinished), ("SweepName", "synthetic"), ("Outcome", "completed"), ("TrialCount", 800));

    /// <summary>The start of a line the writer has not finished yet.</summary>
    public static string PartialLine(double seconds) =>
        Leased(seconds, "node-a", 1, 2)[..40];

    /// <summary>Every line of every node, merged in time order (what one combined log would hold).</summary>
    public static IReadOnlyList<string> AllInTimeOrder() =>
        [.. Coordinator().Concat(NodeA()).Concat(NodeB()).OrderBy(l => ClefEvent.PeekTimestamp(l))];

    private static string Leased(double seconds, string node, int point, int shard) =>
        Line(seconds, node, "worker", "{Event:l}: point {PointIndex} shard {ShardIndex} ({TrialCount} trials from {FirstTrial}) to {WorkerId}",
            (LogEvents.Property, LogEvents.ShardLeased), ("PointIndex", point), ("ShardIndex", shard), ("TrialCount", 100), ("FirstTrial", shard * 100), ("WorkerId", "worker-1"));

    private static string Completed(double seconds, string node, int point, int shard, double elapsedMs) =>
        Line(seconds, node, "worker", "{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials in {ElapsedMs} ms, {TrialsPerSecond} trials/s, by {WorkerId}",
            (LogEvents.Property, LogEvents.ShardCompleted), ("PointIndex", point), ("ShardIndex", shard), ("TrialCount", 100), ("ElapsedMs", elapsedMs),
            ("TrialsPerSecond", 100 / (elapsedMs / 1000)), ("WorkerId", "worker-1"));

    private static string Member(double seconds, string name, string address, string roles, string? level = null) =>
        Line(seconds, "coordinator", "coordinator", "{Event:l}: {MemberAddress} ({Roles})", level,
            (LogEvents.Property, name), ("MemberAddress", address), ("Roles", roles));

    private static string Line(double seconds, string node, string role, string template, params (string Name, object Value)[] properties) =>
        Line(seconds, node, role, template, null, properties);

    /// <summary>One CLEF line as Serilog's CompactJsonFormatter writes it: @t first, @l only when not Information.</summary>
    public static string Line(double seconds, string node, string role, string template, string? level, params (string Name, object Value)[] properties)
    {
        var fields = new Dictionary<string, object?>
        {
            ["@t"] = T0.AddSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'"),
            ["@mt"] = template,
        };
        if (level is not null) fields["@l"] = level;
        foreach (var (name, value) in properties) fields[name] = value;
        // Akka's Serilog adapter adds the actor path, whose address is the node's MemberAddress.
        fields["ActorPath"] = node switch
        {
            "node-a" => NodeAAddress + "/user/worker-1",
            "node-b" => NodeBAddress + "/user/worker-1",
            _ => CoordinatorAddress + "/user/coordinator",
        };
        fields["NodeId"] = node;
        fields["Role"] = role;
        return JsonSerializer.Serialize(fields);
    }
}

public sealed class MonitorStateTests(ITestOutputHelper output)
{
    // Rates are printed rounded to whole trials/s, and computed in doubles from exact inputs: 1e-9 is rounding slack.
    private const double RateTolerance = 1e-9;

    private static MonitorState Feed(IEnumerable<string> lines)
    {
        var state = new MonitorState(TimeSpan.FromSeconds(30));
        foreach (var line in lines) state.Apply(line);
        return state;
    }

    [Fact]
    public void Two_node_run_gives_points_trials_rates_members_reissues_and_failures()
    {
        var view = Feed(SyntheticRun.AllInTimeOrder()).View();
        var text = new StringWriter();
        MonitorTable.WritePlain(view, text);
        output.WriteLine(text.ToString());

        Assert.Equal(SyntheticRun.T0.AddSeconds(34), view.Now);
        Assert.Equal("synthetic", view.SweepName);
        Assert.Equal(SweepPhase.Running, view.Phase);
        Assert.Equal(2, view.PointCount);
        Assert.Equal(1, view.PointsDone);
        Assert.Equal(400, view.TrialCapPerPoint);
        Assert.Equal(800, view.TrialsTotal);
        // Point 0: 400 (PointCompleted); point 1: shards 0 and 1 once each = 200, although p1/s1 completed twice.
        var inProgress = Assert.Single(view.PointsInProgress);
        Assert.Equal((1, 200L, 2), (inProgress.PointIndex, inProgress.Trials, inProgress.Shards));
        Assert.Equal(600, view.TrialsDone);

        var nodeA = view.Nodes.Single(n => n.NodeId == "node-a");
        var nodeB = view.Nodes.Single(n => n.NodeId == "node-b");
        Assert.Equal((5, 500L, 1), (nodeA.ShardsCompleted, nodeA.Trials, nodeA.Workers));
        Assert.Equal((2, 200L), (nodeB.ShardsCompleted, nodeB.Trials));
        // node-a: 500 trials from its first lease (t0+1) to its last completion (t0+32): 500/31 trials/s.
        Assert.Equal(500.0 / 31, nodeA.TotalTrialsPerSecond!.Value, RateTolerance);
        // Window [t0+4, t0+34]: half of p0/s1 (50), p0/s2 and p0/s3 (200), p1/s1 (100) = 350 trials in 30 s.
        Assert.Equal(350.0 / 30, nodeA.RecentTrialsPerSecond, RateTolerance);
        // node-b: 200 trials over t0+1..t0+33; recent: a quarter of p1/s0 (25) and all of the 28 s p1/s1 (100).
        Assert.Equal(200.0 / 32, nodeB.TotalTrialsPerSecond!.Value, RateTolerance);
        Assert.Equal(125.0 / 30, nodeB.RecentTrialsPerSecond, RateTolerance);
        Assert.Equal(475.0 / 30, view.RecentTrialsPerSecond, RateTolerance);
        // 200 trials left on point 1 at 475/30 trials/s.
        Assert.Equal(200 / (475.0 / 30), view.Eta!.Value.TotalSeconds, 1e-6);
        Assert.Equal((0, 1), (nodeB.InFlight, nodeB.LeasesExpired));
        Assert.Equal((0, 0), (nodeA.InFlight, nodeA.LeasesExpired));
        Assert.Equal(("Up", "Downed"), (nodeA.MemberStatus, nodeB.MemberStatus));

        Assert.Equal(0.0123, view.WorstStdErr);
        Assert.Equal(1, view.WorstStdErrPoint);
        Assert.Equal((2, 0, 1), (view.MembersUp, view.MembersUnreachable, view.MembersDowned));
        Assert.Equal("Removed", view.Members.Single(m => m.Address == SyntheticRun.NodeBAddress).Status);

        var reissue = Assert.Single(view.Reissued);
        Assert.Equal((1, 1), (reissue.PointIndex, reissue.ShardIndex));
        Assert.Equal("worker-1@node-b", reissue.HeldBy);
        Assert.Equal("worker-1", reissue.OfferedTo);
        Assert.Equal("worker-1@node-a", reissue.CompletedBy);

        // ShardRejected is the sweep's own failure; the Akka association error is counted apart.
        Assert.Equal((1, 1), (view.Failures, view.OtherErrors));
        Assert.Equal(4, view.Warnings);
        Assert.Equal(0, view.UnreadableLines);
    }

    [Fact]
    public void Discarded_late_and_duplicate_results_are_counted_by_reason_and_shown()
    {
        var lines = SyntheticRun.AllInTimeOrder().ToList();
        var reference = Feed(lines).View();
        Assert.Empty(reference.Discarded);
        // node-b's late p1/s1 (t0+33, already merged from node-a's lease) and a shard past a done point.
        const string Template = "{Event:l}: point {PointIndex} shard {ShardIndex} lease {LeaseId}: {Reason}";
        lines.Add(SyntheticRun.Line(33.2, "coordinator", "coordinator", Template, null,
            (LogEvents.Property, LogEvents.ShardDiscarded), ("PointIndex", 1), ("ShardIndex", 1), ("LeaseId", 6), ("Reason", "Duplicate")));
        lines.Add(SyntheticRun.Line(33.3, "coordinator", "coordinator", Template, null,
            (LogEvents.Property, LogEvents.ShardDiscarded), ("PointIndex", 0), ("ShardIndex", 4), ("LeaseId", 9), ("Reason", "PointDone")));
        lines.Add(SyntheticRun.Line(33.4, "coordinator", "coordinator", Template, null,
            (LogEvents.Property, LogEvents.ShardDiscarded), ("PointIndex", 1), ("ShardIndex", 2), ("LeaseId", 11), ("Reason", "Duplicate")));

        var view = Feed(lines).View(reference.Now);
        var text = new StringWriter();
        MonitorTable.WritePlain(view, text);
        output.WriteLine(text.ToString());

        Assert.Equal([("Duplicate", 2), ("PointDone", 1)], view.Discarded.Select(d => (d.Key, d.Value)));
        Assert.Contains("3 late or duplicate results (Duplicate 2, PointDone 1)", text.ToString());
        // Information events: neither failures nor warnings, and the merged trials do not move.
        Assert.Equal((reference.Failures, reference.Warnings, reference.TrialsDone), (view.Failures, view.Warnings, view.TrialsDone));
    }

    [Fact]
    public void Partial_last_line_and_unknown_events_change_nothing_but_the_unreadable_count()
    {
        var lines = SyntheticRun.AllInTimeOrder().ToList();
        var reference = Feed(lines).View();
        lines.Add(SyntheticRun.Line(34.5, "node-a", "worker", "{Event:l}: something new {Value}", null, ("Event", "SomethingNew"), ("Value", 3)));
        lines.Add("not json at all");
        lines.Add(SyntheticRun.PartialLine(35));

        var view = Feed(lines).View(reference.Now);

        Assert.Equal(2, view.UnreadableLines);
        Assert.Equal(reference.TrialsDone, view.TrialsDone);
        Assert.Equal(reference.PointsDone, view.PointsDone);
        Assert.Equal(reference.RecentTrialsPerSecond, view.RecentTrialsPerSecond, RateTolerance);
        Assert.Equal(reference.Reissued.Length, view.Reissued.Length);
        Assert.Equal(reference.Failures, view.Failures);
    }

    [Fact]
    public void Lines_in_any_file_order_give_the_same_counts_as_time_order()
    {
        // Files are read one after the other when not merged: coordinator first, then node-b, then node-a.
        var shuffled = SyntheticRun.Coordinator().Concat(SyntheticRun.NodeB()).Concat(SyntheticRun.NodeA());
        var ordered = Feed(SyntheticRun.AllInTimeOrder()).View();
        var view = Feed(shuffled).View();

        Assert.Equal(ordered.TrialsDone, view.TrialsDone);
        Assert.Equal(ordered.PointsDone, view.PointsDone);
        Assert.Equal((ordered.MembersUp, ordered.MembersUnreachable, ordered.MembersDowned),
            (view.MembersUp, view.MembersUnreachable, view.MembersDowned));
        Assert.Equal(ordered.Nodes.Select(n => (n.NodeId, n.Trials, n.ShardsCompleted)), view.Nodes.Select(n => (n.NodeId, n.Trials, n.ShardsCompleted)));
        Assert.Equal(ordered.WorstStdErr, view.WorstStdErr);
    }

    [Fact]
    public void Finish_event_ends_the_run_and_a_later_start_reopens_it()
    {
        var state = Feed(SyntheticRun.AllInTimeOrder());
        Assert.False(state.IsFinished);

        state.Apply(SyntheticRun.Finished(40));
        var finished = state.View();
        Assert.True(state.IsFinished);
        Assert.Equal(SweepPhase.Finished, finished.Phase);
        Assert.Equal("completed", finished.Outcome);
        Assert.Equal(TimeSpan.Zero, finished.Eta);

        // A resumed run appends to the same log: its start comes after the old finish.
        state.Apply(SyntheticRun.Coordinator()[0].Replace("2026-01-01T00:00:00.0000000Z", "2026-01-01T00:01:00.0000000Z"));
        Assert.False(state.IsFinished);
        Assert.Equal(SweepPhase.Running, state.View().Phase);
    }

    [Fact]
    public void Failed_run_event_finishes_the_sweep_as_failed_and_counts_as_a_failure()
    {
        var state = Feed(SyntheticRun.AllInTimeOrder());
        var before = state.View();

        state.Apply(SyntheticRun.Line(36, "coordinator", "coordinator", "Sweep {SweepName} failed", "Error", ("SweepName", "synthetic"),
            ("@x", "System.InvalidOperationException: the actor system stopped\n   at Somewhere()")));
        var view = state.View();

        Assert.True(state.IsFinished);
        Assert.Equal("failed", view.Outcome);
        Assert.Equal(before.Failures + 1, view.Failures);
        Assert.Equal("Sweep synthetic failed — System.InvalidOperationException: the actor system stopped", view.RecentFailures[^1].Message);
    }

    [Fact]
    public void The_eta_is_the_runs_own_cost_weighted_one_counted_down_from_its_progress_event()
    {
        // The synthetic run alone gives a trial-count ETA (200 trials at 475/30 trials/s ≈ 12.6 s); a progress event of
        // the run (what its bar and progress lines show, weighted by each point's cost) says 40 s at t0+34.
        var state = Feed(SyntheticRun.AllInTimeOrder());
        var fromTrials = state.View().Eta!.Value.TotalSeconds;
        state.Apply(SyntheticRun.Line(34, "coordinator", "coordinator",
            "Progress {PercentDone}% ({TrialCount} trials, {PointsDone}/{PointCount} points), {TrialsPerSecond} trials/s, ETA {Eta}",
            "Information", ("PercentDone", 75), ("TrialCount", 600), ("PointsDone", 1), ("PointCount", 2), ("TrialsPerSecond", 16),
            ("Eta", "00:00:40"), ("EtaSeconds", 40.0)));

        Assert.NotEqual(40, fromTrials, 3);
        Assert.Equal(40, state.View(SyntheticRun.T0.AddSeconds(34)).Eta!.Value.TotalSeconds);
        Assert.Equal(30, state.View(SyntheticRun.T0.AddSeconds(44)).Eta!.Value.TotalSeconds);
        // Logs of older versions carry only the text: the same value.
        var older = Feed(SyntheticRun.AllInTimeOrder());
        older.Apply(SyntheticRun.Line(34, "coordinator", "coordinator", "Progress {PercentDone}% ETA {Eta}", "Information",
            ("PercentDone", 75), ("Eta", "00:01:05")));
        Assert.Equal(65, older.View(SyntheticRun.T0.AddSeconds(34)).Eta!.Value.TotalSeconds);
    }

    [Fact]
    public void Silent_node_rate_decays_to_zero_after_the_window()
    {
        var state = Feed(SyntheticRun.AllInTimeOrder());

        var later = state.View(SyntheticRun.T0.AddSeconds(70));

        Assert.All(later.Nodes, node => Assert.Equal(0, node.RecentTrialsPerSecond));
        Assert.Null(later.Eta);
        Assert.Equal(500.0 / 31, later.Nodes.Single(n => n.NodeId == "node-a").TotalTrialsPerSecond!.Value, RateTolerance);
    }

    [Fact]
    public void Local_run_log_lines_as_ntk_run_writes_them_are_understood()
    {
        // Verbatim shapes from a real `ntk run examples/quickstart.json` run.log (trimmed to two points).
        string[] lines =
        [
            """{"@t":"2026-11-29T00:58:51.7536955Z","@mt":"Sweep {SweepName} started: {PointCount} points, {Workers} workers, output {OutputDirectory}, resume {Resume}","SweepName":"quickstart","PointCount":2,"Workers":2,"OutputDirectory":"/tmp/h9-qs","Resume":false,"NodeId":"vm-2514","Role":"local"}""",
            """{"@t":"2026-11-29T00:58:53.0166699Z","@mt":"{Event:l}: sweep {SweepName}: {PointCount} points, up to {ShardCount} shards of {ShardTrials} trials each, {ResumedPoints} resumed","@r":["SweepStarted"],"Event":"SweepStarted","SweepName":"quickstart","PointCount":2,"ShardCount":2,"ShardTrials":1000,"ResumedPoints":0,"LogSource":"akka://ntk/user/coordinator","ActorPath":"akka://ntk/user/coordinator","SourceContext":"Ntk.Cluster.Actors.CoordinatorActor","NodeId":"vm-2514","Role":"local"}""",
            """{"@t":"2026-11-29T00:58:53.0849383Z","@mt":"{Event:l}: point {PointIndex} shard {ShardIndex} ({TrialCount} trials from {FirstTrial}) to {WorkerId}","@r":["ShardLeased"],"Event":"ShardLeased","PointIndex":0,"ShardIndex":1,"TrialCount":1000,"FirstTrial":1000,"WorkerId":"worker-1","LogSource":"akka://ntk/user/worker-1","ActorPath":"akka://ntk/user/worker-1","SourceContext":"Ntk.Cluster.Actors.WorkerActor","NodeId":"vm-2514","Role":"local"}""",
            """{"@t":"2026-11-29T00:58:53.4286183Z","@mt":"{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials in {ElapsedMs} ms, {TrialsPerSecond} trials/s, by {WorkerId}","@r":["ShardCompleted"],"Event":"ShardCompleted","PointIndex":0,"ShardIndex":1,"TrialCount":1000,"ElapsedMs":303.4,"TrialsPerSecond":3296.3,"WorkerId":"worker-1","LogSource":"akka://ntk/user/worker-1","ActorPath":"akka://ntk/user/worker-1","SourceContext":"Ntk.Cluster.Actors.WorkerActor","NodeId":"vm-2514","Role":"local"}""",
            """{"@t":"2026-11-29T00:58:54.2999875Z","@mt":"{Event:l}: point {PointIndex}: {TrialCount} trials in {ShardsMerged} shards","@r":["PointCompleted"],"Event":"PointCompleted","PointIndex":0,"TrialCount":2000,"ShardsMerged":2,"LogSource":"akka://ntk/user/coordinator","ActorPath":"akka://ntk/user/coordinator","SourceContext":"Ntk.Cluster.Actors.CoordinatorActor","NodeId":"vm-2514","Role":"local"}""",
            """{"@t":"2026-11-29T00:58:58.0623517Z","@mt":"Progress {PercentDone}% ({TrialCount} trials, {PointsDone}/{PointCount} points), {TrialsPerSecond} trials/s, ETA {EtaSeconds} s","PercentDone":75,"TrialCount":3000,"PointsDone":1,"PointCount":2,"TrialsPerSecond":600,"EtaSeconds":2,"Console":true,"NodeId":"vm-2514","Role":"local"}""",
        ];
        var state = Feed(lines);
        var running = state.View();
        Assert.Equal(SweepPhase.Running, running.Phase);
        Assert.Equal((2, 1), (running.PointCount, running.PointsDone));
        // Progress reports 3000 merged trials, more than the one logged shard of point 1 would give.
        Assert.Equal(3000, running.TrialsDone);
        Assert.Equal(4000, running.TrialsTotal);

        state.Apply("""{"@t":"2026-11-29T01:00:30.5228955Z","@mt":"Sweep {SweepName} {Outcome}: {TrialCount} trials in {ElapsedMs} ms ({TrialsPerSecond} trials/s)","SweepName":"quickstart","Outcome":"completed","TrialCount":4000,"ElapsedMs":98720,"TrialsPerSecond":4862,"NodeId":"vm-2514","Role":"local"}""");
        var finished = state.View();
        Assert.Equal(SweepPhase.Finished, finished.Phase);
        Assert.Equal("completed", finished.Outcome);
        var node = Assert.Single(finished.Nodes);
        Assert.Equal(("vm-2514", "local", 1000L), (node.NodeId, node.Role, node.Trials));
    }
}
