using System.CommandLine;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Logging;
using Ntk.Cli.Operations;
using Ntk.Cli.Results;
using Ntk.Cli.Terminal;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Persistence;
using Serilog.Events;

namespace Ntk.Cli.Commands;

/// <summary>What `ntk worker` was asked to do.</summary>
internal sealed record WorkerRequest(ClusterNodeOptions Node, int? Threads, string LogDirectory)
{
    /// <summary>--aggregator-journal: host aggregators (the aggregator role), journaled here; null: a plain worker.</summary>
    public string? AggregatorJournal { get; init; }

    public OperationsOptions Operations { get; init; } = OperationsOptions.None;
}

/// <summary>
/// `ntk worker --seeds HOST:PORT[,..] [--port P] [--threads N]`: a node that joins the cluster, fetches the plan
/// from the coordinator, pulls and computes shards, and exits 0 when the sweep is done, or on SIGTERM / Ctrl-C once its
/// shards in hand are finished or handed back. When it is downed (it was
/// unreachable, or the coordinator died), it joins again by itself.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var threads = TypedOptions.OptionalInteger("--threads",
            "Worker threads, one shard each at a time (default: all cores).", minimum: 1, helpName: "N");
        var logDirectory = new Option<string?>("--log-dir")
        {
            Description = "Directory of this node's compact-JSON log, worker-<node id>.log (default ./logs; env NTK_LOG_DIR).",
        };
        var aggregatorJournal = new Option<string?>("--aggregator-journal")
        {
            Description = "Also host aggregators (the aggregator role: a share of the merge work), journaled in the " +
                          "coordinator's journal: \"sqlite:PATH\" (its file, on the same machine) or its PostgreSQL connection " +
                          "string (env NTK_AGGREGATOR_JOURNAL).",
            HelpName = "JOURNAL",
        };
        var node = NodeFlags.Create(seedsDescription: "Seed nodes HOST:PORT[,..], normally the coordinator (required; env NTK_SEEDS).");
        var command = new Command("worker", "Join a cluster, pull trial shards, and exit 0 when the sweep is done.")
        {
            threads, logDirectory, aggregatorJournal,
        };
        node.AddTo(command);
        var operations = new OperationsFlags();
        operations.AddTo(command);
        command.SetAction((parse, cancellation) => CommandLineErrors.GuardAsync(stderr, () => RunAsync(
            new WorkerRequest(node.Read(parse), parse.GetValue(threads),
                parse.GetValue(logDirectory) ?? (Environment.GetEnvironmentVariable("NTK_LOG_DIR") is { Length: > 0 } d ? d : "logs"))
            {
                Operations = operations.Read(parse, NodeRole.Worker),
                AggregatorJournal = parse.GetValue(aggregatorJournal)
                    ?? (Environment.GetEnvironmentVariable("NTK_AGGREGATOR_JOURNAL") is { Length: > 0 } j ? j : null),
            },
            stdout, stderr, cancellation)));
        return command;
    }

    private static async Task<int> RunAsync(WorkerRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (request.Node.Seeds.IsDefaultOrEmpty && request.Operations.Discovery is null)
            throw new InvalidInputException("--seeds: a worker needs the HOST:PORT of the coordinator (or NTK_SEEDS), or --discovery");
        var aggregatorJournal = AggregatorJournal(request.AggregatorJournal);
        var directory = Path.GetFullPath(request.LogDirectory);
        WritableDirectory.Check("--log-dir", directory);
        Directory.CreateDirectory(directory);
        var nodeId = NodeLogging.DefaultNodeId();
        using var logger = NodeLogging.Create(Path.Combine(directory, $"worker-{nodeId}.log"), nodeId, "worker", stderr,
            LogEventLevel.Information);
        using var operations = NodeOperations.Start(NodeRole.Worker, request.Operations, request.Node, nodeId, logger);

        using var interrupt = new InterruptSignals(cancellation);
        WorkerNodeOutcome outcome;
        try
        {
            outcome = await ClusterSweep.RunWorkerAsync(new WorkerNodeOptions(operations.Attach(request.Node, request.Operations), request.Threads, aggregatorJournal), logger, interrupt.Token);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException(e.Message, e);
        }
        catch (OperationCanceledException)
        {
            outcome = WorkerNodeOutcome.Cancelled;
        }
        catch (Exception e)
        {
            logger.Error(e, "Worker node failed");
            await stderr.WriteLineAsync($"error: the worker failed: {e.Message}");
            return ExitCodes.RunFailed;
        }
        logger.ForConsole().Information("Worker node {NodeOutcome}", outcome);
        if (outcome == WorkerNodeOutcome.SweepFinished)
        {
            await stdout.WriteLineAsync("worker: the sweep is finished");
            return ExitCodes.Success;
        }
        if (outcome == WorkerNodeOutcome.JoinTimedOut)
        {
            await stderr.WriteLineAsync("error: the worker could not join the cluster (see ntk.worker.join-timeout); is the coordinator running at the seeds?");
            return ExitCodes.RunFailed;
        }
        // SIGTERM (an autoscaler, `docker stop`) or Ctrl-C: the workers handed in or handed back every lease before
        // the node left, so this is a clean stop.
        await stderr.WriteLineAsync("worker: stopped on request; its shards were finished or handed back");
        return ExitCodes.Success;
    }

    /// <summary>
    /// Reads --aggregator-journal: the coordinator's journal, named explicitly (a worker has no results directory, so
    /// the bare "sqlite" default means nothing here). A PostgreSQL server that refuses connections fails at once.
    /// </summary>
    private static SweepJournal? AggregatorJournal(string? text)
    {
        if (text is null) return null;
        var value = text.Trim();
        if (value.Length == 0 || value.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException($"--aggregator-journal: '{text}': name the coordinator's journal: sqlite:PATH of its file, or its PostgreSQL connection string");
        SweepJournal journal;
        try
        {
            journal = SweepJournal.Parse(value, Directory.GetCurrentDirectory());
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException("--aggregator-journal: " + e.Message, e);
        }
        if (journal.Backend == JournalBackend.Sqlite && !File.Exists(journal.SqlitePath))
            throw new InvalidInputException($"--aggregator-journal: {journal.SqlitePath} does not exist; start the coordinator first and give its journal file");
        if (journal.Probe() is { } unreachable)
            throw new InvalidInputException($"--aggregator-journal: the journal cannot be reached: {unreachable}");
        return journal;
    }
}
