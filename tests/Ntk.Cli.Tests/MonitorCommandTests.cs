using Ntk.Cli.Monitor;
using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

public sealed class MonitorCommandTests(ITestOutputHelper output)
{
    // Follow mode must end by itself on a finished run; this only stops a hung test.
    private static readonly TimeSpan FollowTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The synthetic run as a multi-node run writes it: one file per node, plus a results.json that is no log.</summary>
    private static void WriteNodeLogs(TempDirectory directory, bool finished)
    {
        var coordinator = SyntheticRun.Coordinator().ToList();
        if (finished) coordinator.Add(SyntheticRun.Finished(40));
        directory.Write("coordinator.log", string.Join("\n", coordinator) + "\n");
        directory.Write("worker-1.log", string.Join("\n", SyntheticRun.NodeA()) + "\n");
        // node-b's file ends with a line it was still writing when it was killed.
        directory.Write("worker-2.log", string.Join("\n", SyntheticRun.NodeB()) + "\n" + SyntheticRun.PartialLine(34));
        directory.Write("results.json", "{\n  \"format\": \"ntk-results/1\"\n}\n");
    }

    /// <summary>The cells of the node table row that starts with <paramref name="nodeId"/>.</summary>
    private static string[] NodeRow(string stdout, string nodeId) =>
        stdout.Split('\n').Single(line => line.StartsWith(nodeId + " ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The last table printed in follow mode (each starts with its "sweep …" headline).</summary>
    private static string LastTable(string stdout) => stdout[stdout.LastIndexOf("sweep synthetic", StringComparison.Ordinal)..];

    [Fact]
    public async Task Once_on_a_directory_prints_per_node_throughput_and_reissued_shards()
    {
        using var directory = new TempDirectory();
        WriteNodeLogs(directory, finished: false);

        var result = await CliRunner.RunAsync("monitor", directory.Path, "--once");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Contains("sweep synthetic: running", result.Stdout);
        Assert.Contains("1/2 done", result.Stdout);
        Assert.Contains("600 of at most 800", result.Stdout);
        Assert.Contains("worst SE    0.0123 (point 1)", result.Stdout);
        Assert.Contains("2 up, 0 unreachable, 1 downed", result.Stdout);
        Assert.Contains("1 shard: p1/s1", result.Stdout);
        // The partial last line of worker-2.log is not an event yet; results.json is not a log.
        Assert.DoesNotContain("unreadable line", result.Stdout);

        // Columns: node, role, member, workers, shards, trials, trials/s (30 s), trials/s (total), in flight, expired, errors, last seen.
        // node-a: 350 trials in the last 30 s (11.7/s), 500 trials over 31 s (16.1/s); see MonitorStateTests.
        Assert.Equal(new[] { "node-a", "worker", "Up", "1", "5", "500", "12", "16", "0", "0", "1" }, NodeRow(result.Stdout, "node-a")[..11]);
        // node-b: 125 trials in the window (4.2/s), 200 over 32 s (6.25/s); its lease of p1/s1 expired.
        Assert.Equal(new[] { "node-b", "worker", "Downed", "1", "2", "200", "4", "6", "0", "1", "0" }, NodeRow(result.Stdout, "node-b")[..11]);

        var reissueRow = result.Stdout.Split('\n').Single(line => line.Contains("worker-1@node-b", StringComparison.Ordinal));
        Assert.Equal(new[] { "00:00:30Z", "1", "1", "worker-1@node-b", "worker-1", "worker-1@node-a" },
            reissueRow.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Once_on_a_single_file_reads_that_file()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("run.log", string.Join("\n", SyntheticRun.AllInTimeOrder().Append(SyntheticRun.Finished(40))) + "\n");

        var result = await CliRunner.RunAsync("monitor", path, "--once");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("sweep synthetic: finished (completed)", result.Stdout);
        Assert.Contains("ETA         done", result.Stdout);
        Assert.Equal("500", NodeRow(result.Stdout, "node-a")[5]);
    }

    [Fact]
    public async Task Follow_mode_on_a_finished_run_prints_the_final_table_and_exits_0()
    {
        using var directory = new TempDirectory();
        WriteNodeLogs(directory, finished: true);
        using var timeout = new CancellationTokenSource(FollowTimeout);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await Program.RunAsync(["monitor", directory.Path, "--interval", "0.05"], stdout, stderr, timeout.Token);
        output.WriteLine(stdout.ToString());
        output.WriteLine(stderr.ToString());

        Assert.False(timeout.IsCancellationRequested, "the monitor did not exit after the sweep's finish event");
        Assert.Equal(0, exitCode);
        var final = LastTable(stdout.ToString());
        Assert.StartsWith("sweep synthetic: finished (completed)", final);
        Assert.Equal("500", NodeRow(final, "node-a")[5]);
    }

    [Fact]
    public async Task Follow_mode_picks_up_lines_and_files_written_later_and_stops_at_the_finish()
    {
        using var directory = new TempDirectory();
        directory.Write("coordinator.log", string.Join("\n", SyntheticRun.Coordinator().Take(4)) + "\n");
        using var timeout = new CancellationTokenSource(FollowTimeout);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var monitor = Program.RunAsync(["monitor", directory.Path, "--interval", "0.05"], stdout, stderr, timeout.Token);
        await Task.Delay(200);
        Assert.False(monitor.IsCompleted, "the monitor stopped before the sweep finished");
        directory.Write("worker-1.log", string.Join("\n", SyntheticRun.NodeA()) + "\n");
        // The coordinator's file grows, its last line in two writes (a line caught half-written).
        var rest = SyntheticRun.Coordinator().Skip(4).Append(SyntheticRun.Finished(40)).ToList();
        var text = string.Join("\n", rest) + "\n";
        await File.AppendAllTextAsync(Path.Combine(directory.Path, "coordinator.log"), text[..^30]);
        await Task.Delay(100);
        await File.AppendAllTextAsync(Path.Combine(directory.Path, "coordinator.log"), text[^30..]);

        var exitCode = await monitor;
        output.WriteLine(stdout.ToString());

        Assert.False(timeout.IsCancellationRequested, "the monitor did not exit after the sweep's finish event");
        Assert.Equal(0, exitCode);
        var final = LastTable(stdout.ToString());
        Assert.StartsWith("sweep synthetic: finished (completed)", final);
        Assert.Equal("500", NodeRow(final, "node-a")[5]);
        Assert.DoesNotContain("unreadable line", stdout.ToString());
    }

    [Fact]
    public async Task Missing_path_exits_2_with_a_message()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "no-such-run");

        var result = await CliRunner.RunAsync("monitor", missing, "--once");
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Contains($"error: {missing}: no such file or directory", result.Stderr);
    }

    [Theory]
    [InlineData("--once")]
    [InlineData("--interval")]
    public async Task A_directory_without_logs_exits_2_instead_of_waiting(string mode)
    {
        using var directory = new TempDirectory();
        directory.Write("notes.txt", "not a log");
        using var timeout = new CancellationTokenSource(FollowTimeout);

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        string[] args = mode == "--once" ? ["monitor", directory.Path, "--once"] : ["monitor", directory.Path, "--interval", "0.05"];
        var exitCode = await Program.RunAsync(args, stdout, stderr, timeout.Token);
        output.WriteLine(stderr.ToString());

        Assert.False(timeout.IsCancellationRequested, "the monitor waited for logs that are not there");
        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout.ToString());
        Assert.StartsWith($"error: {directory.Path}: no log files here", stderr.ToString());
    }

    [Fact]
    public async Task Nonpositive_interval_exits_2()
    {
        using var directory = new TempDirectory();

        var result = await CliRunner.RunAsync("monitor", directory.Path, "--interval", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: --interval: must be a positive number, got 0", result.Stderr);
    }

    [Fact]
    public void Follower_holds_back_a_partial_line_until_it_is_complete()
    {
        using var directory = new TempDirectory();
        var line = SyntheticRun.Finished(40);
        var path = directory.Write("run.log", line[..25]);
        var follower = new LogFollower(path);
        var state = new MonitorState();

        Assert.Equal(0, follower.Poll(state));
        File.AppendAllText(path, line[25..] + "\n");
        Assert.Equal(1, follower.Poll(state));
        Assert.Equal(0, follower.Poll(state));

        Assert.True(state.IsFinished);
        Assert.Equal(0, state.View().UnreadableLines);
        Assert.Equal(new[] { path }, follower.LogFiles);
    }
}
