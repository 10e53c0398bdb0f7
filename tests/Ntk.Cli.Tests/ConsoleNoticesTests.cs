using Ntk.Cli.Logging;
using Ntk.Cli.Tests.Support;
using Serilog.Events;
using Xunit;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Tests;

/// <summary>What a node prints on its terminal: the waits a user cares about, and plain lines instead of Akka's.</summary>
public sealed class ConsoleNoticesTests
{
    private const string Unreachable =
        "Tried to associate with unreachable remote address [{0}]. Address is now gated for {1} ms, all messages to this address will be delivered to dead letters. Reason: [{2}] {3}";
    private const string AssociationFailed =
        "Association with remote system {0} has failed; address is now gated for {1} ms. Reason is: [{2}]";
    private const string NotJoined = "Couldn't join seed nodes after [{0}] attempts, will try again. seed-nodes=[{1}]";

    [Fact]
    public void A_worker_shows_one_plain_line_for_an_unreachable_coordinator_and_the_log_keeps_every_warning()
    {
        using var temp = new TempDirectory();
        var file = Path.Combine(temp.Path, "worker.log");
        using var console = new StringWriter();
        using (var logger = NodeLogging.Create(file, "node-1", "worker", console, LogEventLevel.Information))
        {
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                logger.Warning(Unreachable, "akka.tcp://ntk@10.0.0.1:4053", 5000, "Connection refused tcp://ntk@10.0.0.1:4053", "");
                logger.Warning(NotJoined, attempt, "akka.tcp://ntk@10.0.0.1:4053");
                logger.Warning(AssociationFailed, "akka.tcp://ntk@10.0.0.1:4053", 5000, "Connection refused");
            }
            logger.Information("{Event:l}: joined; pulling shards of sweep {SweepName} ({Threads} worker threads)", LogEvents.PullingShards, "s", 2);
            logger.Information("{Event:l}: shard {ShardIndex} done", LogEvents.ShardCompleted, 3); // not for the terminal
        }

        var lines = console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("the coordinator at 10.0.0.1:4053 is not reachable yet; still trying", lines[0]);
        Assert.Contains("joined; pulling shards of sweep s", lines[1]);
        Assert.DoesNotContain("gated", console.ToString());
        var logged = File.ReadAllLines(file);
        Assert.Equal(6, logged.Count(l => l.Contains("gated for", StringComparison.Ordinal)));
        Assert.Equal(3, logged.Count(l => l.Contains("Couldn't join seed nodes", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_coordinator_shows_how_many_workers_it_is_waiting_for()
    {
        using var temp = new TempDirectory();
        using var console = new StringWriter();
        using (var logger = NodeLogging.Create(Path.Combine(temp.Path, "run.log"), "node-0", "coordinator", console, LogEventLevel.Information))
        {
            logger.Information("{Event:l}: waiting for workers: {WorkerNodes} of {MinWorkers} joined", LogEvents.WorkersWaiting, 1, 2);
            logger.Information("{Event:l}: {WorkerNodes} worker nodes up; the sweep starts", LogEvents.WorkersJoined, 2);
        }
        var text = console.ToString();
        Assert.Contains("waiting for workers: 1 of 2 joined", text);
        Assert.Contains("2 worker nodes up; the sweep starts", text);
    }
}
