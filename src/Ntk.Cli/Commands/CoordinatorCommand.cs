using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Logging;
using Ntk.Cli.Operations;
using Ntk.Cli.Report;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Persistence;
using Serilog;
using Serilog.Events;

namespace Ntk.Cli.Commands;

/// <summary>What `ntk coordinator` was asked to do.</summary>
internal sealed record CoordinatorRequest(
    string SweepPath, string? OutDirectory, bool Resume, ClusterNodeOptions Node, int? MinWorkers, int? Threads,
    double? SnapshotSeconds, string? Journal, bool Force = false)
{
    public OperationsOptions Operations { get; init; } = OperationsOptions.None;
}

/// <summary>
/// `ntk coordinator SWEEP.json --port P [--out DIR] [--resume] [--journal J] [--min-workers N] [--threads N]`: a
/// cluster node that owns the sweep (coordinator singleton, journaled aggregators, result writer), waits for worker
/// nodes, and exits 0 once the results are written and the workers were told the sweep is finished.
/// </summary>
internal static class CoordinatorCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var sweep = new Argument<string>("SWEEP.json") { Description = "The sweep file to run." };
        var output = new Option<string?>("--out") { Description = "Results directory (default: results/<sweep name>)." };
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue the latest run of this sweep in the journal (else from the results directory's results.json; env NTK_RESUME=1).",
        };
        var force = new Option<bool>("--force") { Description = "Replace the results of an earlier run in the results directory." };
        var journal = new Option<string?>("--journal")
        {
            Description = "Where aggregators and the shard ledger are journaled: \"sqlite\" (default: DIR/sweep-journal.db), " +
                "\"sqlite:PATH\", or a PostgreSQL connection string \"Host=H;Port=P;Database=D;Username=U;Password=W\" (env NTK_JOURNAL).",
        };
        var minWorkers = TypedOptions.OptionalInteger("--min-workers",
            "Worker nodes that must join before the sweep starts (default 1; cluster-config ntk.coordinator.min-workers).",
            minimum: 0, helpName: "N");
        var threads = TypedOptions.OptionalInteger("--threads",
            "Worker threads on the coordinator node itself (default 0: it only coordinates).", minimum: 0, helpName: "N");
        var snapshot = TypedOptions.OptionalPositive("--snapshot-interval",
            "Seconds between snapshots of the results files (default 5). Accepted shards are journaled at once.", helpName: "S");
        var node = NodeFlags.Create(seedsDescription:
            "Seed nodes HOST:PORT[,..] (default: this node itself; env NTK_SEEDS). Give the coordinator's own address in containers.");
        var command = new Command("coordinator",
            "Start the cluster node that owns a sweep, wait for workers, and exit 0 once the results are written.")
        {
            sweep, output, resume, force, journal, minWorkers, threads, snapshot,
        };
        node.AddTo(command);
        var operations = new OperationsFlags(hold: true);
        operations.AddTo(command);
        command.SetAction((parse, cancellation) => CommandLineErrors.GuardAsync(stderr, () => RunAsync(
            new CoordinatorRequest(parse.GetValue(sweep)!, parse.GetValue(output), parse.GetValue(resume) || ResumeFromEnvironment(), node.Read(parse),
                parse.GetValue(minWorkers), parse.GetValue(threads), parse.GetValue(snapshot),
                parse.GetValue(journal) ?? (Environment.GetEnvironmentVariable("NTK_JOURNAL") is { Length: > 0 } j ? j : null),
                parse.GetValue(force))
            {
                Operations = operations.Read(parse, NodeRole.Coordinator),
            },
            stdout, stderr, cancellation)));
        return command;
    }

    /// <summary>NTK_RESUME=1 (or true) stands for --resume (containers); empty or 0 does not. Anything else is an error.</summary>
    private static bool ResumeFromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable("NTK_RESUME")?.Trim() ?? "";
        if (value is "" or "0" || value.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        if (value is "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        throw new InvalidInputException($"NTK_RESUME: \"{value}\" is not 1/true or 0/false");
    }

    private static async Task<int> RunAsync(CoordinatorRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        // 1. Everything that can be wrong with the input, before anything is written.
        var document = SweepReader.Read(request.SweepPath);
        var directory = ResultsDirectory.Resolve(request.OutDirectory, document.Name);
        var sweepHash = RunCommand.Hash(document.NormalizedJson);
        SweepJournal journal;
        try
        {
            journal = SweepJournal.Parse(request.Journal, directory);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException("--journal: " + e.Message, e);
        }
        var resultsJson = Path.Combine(directory, "results.json");
        var statesPath = Path.Combine(directory, PointStateStore.FileName);
        ResultsFile? previous = null;
        if (request.Resume)
        {
            if (!journal.MayHoldRuns && !File.Exists(resultsJson))
                throw new InvalidInputException($"--resume: neither the journal ({journal.Describe()}) nor {resultsJson} exists; there is no run to continue");
            if (File.Exists(resultsJson)) previous = ResultsDirectory.ReadForResume(resultsJson, sweepHash, document.NormalizedJson, stderr);
        }
        // The store of finished points and checkpoints, continued when resuming (a journal alone, without it, is
        // resumed from the journal).
        var resumeStore = request.Resume && File.Exists(statesPath);
        var options = new CoordinatorNodeOptions(request.Operations.Apply(request.Node), request.MinWorkers, request.Threads,
            request.SnapshotSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
        try
        {
            ClusterSweep.ValidateCoordinator(options, document.Plan);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException(e.Message, e);
        }
        if (request.Force && request.Resume) throw new InvalidInputException("--force and --resume: choose one (replace the earlier run, or continue it)");
        WritableDirectory.Check("--out", directory);
        EarlierRun.CheckMayStart(directory, request.Force, request.Resume);
        foreach (var warning in document.Warnings) await stderr.WriteLineAsync("warning: " + warning);

        // 2. The node.
        if (request.Force) EarlierRun.Remove(directory);
        Directory.CreateDirectory(directory);
        try
        {
            journal.Prepare(fresh: !request.Resume);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException("--journal: " + e.Message, e);
        }
        if (journal.Probe() is { } unreachable)
        {
            await stderr.WriteLineAsync($"error: the journal cannot be read: {unreachable}");
            return ExitCodes.RunFailed;
        }
        // The journal restores each aggregator by itself; the store seeds only points that the journal does not
        // hold (a deleted or new journal): a seed behind an aggregator's recovered state is ignored. Points the store
        // holds as finished are never opened again (their aggregators were released and their journal deleted).
        var store = resumeStore
            ? ResultsDirectory.OpenStoreForResume(directory, previous?.SweepHash ?? sweepHash, sweepHash, document.Plan)
            : ResultsDirectory.CreateStore(directory, sweepHash);
        ImmutableArray<PointResumeState> resume;
        try
        {
            resume = resumeStore ? ResumeStates.From(store, document.Plan) : ImmutableArray<PointResumeState>.Empty;
        }
        catch
        {
            store.Dispose();
            throw;
        }

        var nodeId = NodeLogging.DefaultNodeId();
        using var logger = NodeLogging.Create(Path.Combine(directory, "run.log"), nodeId, "coordinator", stderr, LogEventLevel.Information);
        using var operations = NodeOperations.Start(NodeRole.Coordinator, request.Operations, request.Node, nodeId, logger);
        options = options with { Node = operations.Attach(options.Node, request.Operations) };
        var started = DateTimeOffset.UtcNow;
        using var sink = new ResultsSink(directory,
            new RunDescription("cluster", document.NormalizedJson, sweepHash, request.Threads ?? 0, [nodeId],
                previous?.Run.StartedUtc ?? started),
            document.Plan, store, () => DateTimeOffset.UtcNow);

        logger.ForConsole().Information(
            "Sweep {SweepName}: {PointCount} points, output {OutputDirectory}, journal {Journal}{ResumeNote}",
            document.Name, document.Plan.Points.Length, directory, journal.Describe(), request.Resume ? " (resuming)" : "");

        using var interrupt = new InterruptSignals(cancellation);

        var stopwatch = Stopwatch.StartNew();
        // Progress is timed from the sweep's start (the workers joined), so the rate leaves out the wait for them.
        var progress = new RecordingProgress(new ProgressLog(logger, document.Plan));
        SweepSnapshot final;
        try
        {
            final = await ClusterSweep.RunCoordinatorAsync(options, document.Plan, sweepHash, resume, journal, request.Resume, sink,
                progress, logger, interrupt.Token);
        }
        catch (ArgumentException e)
        {
            throw new InvalidInputException(e.Message, e);
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("interrupted before the sweep started");
            return ExitCodes.RunFailed;
        }
        catch (SweepFailedException e)
        {
            // Diagnosed (a journal or results file that cannot be written, a shard that threw): one line on the
            // console, the details in run.log.
            logger.FileOnly().Error(e, "Sweep {SweepName} failed: {Reason}", document.Name, e.Message);
            await stderr.WriteLineAsync(
                $"error: the run failed: {e.Message}; what the journal holds resumes with: ntk coordinator {request.SweepPath} --out {directory} --resume{(request.Journal is null ? "" : " (and the same --journal)")}");
            return ExitCodes.RunFailed;
        }
        catch (Exception e) when (e is not InvalidInputException)
        {
            logger.FileOnly().Error(e, "Sweep {SweepName} failed: {Reason}", document.Name, e.Message);
            await stderr.WriteLineAsync($"error: the run failed: {e.GetType().Name}: {e.Message} (details in {Path.Combine(directory, "run.log")})");
            return ExitCodes.RunFailed;
        }
        stopwatch.Stop();

        var trials = final.TotalTrials;
        var resumedTrials = resume.Sum(r => document.Plan.PrefixTrialsOf(r.ShardsMerged));
        var sweepTime = progress.Latest?.Elapsed ?? stopwatch.Elapsed;
        var waited = stopwatch.Elapsed - sweepTime;
        var rate = (trials - resumedTrials) / Math.Max(sweepTime.TotalSeconds, 1e-9);
        logger.Information("Sweep {SweepName} {Outcome}: {TrialCount} trials in {ElapsedMs} ms ({TrialsPerSecond} trials/s)",
            document.Name, final.Complete ? "completed" : "interrupted", trials, stopwatch.ElapsedMilliseconds, Math.Round(rate));
        if (!final.Complete)
        {
            await stderr.WriteLineAsync(
                $"interrupted: {trials} trials saved in {directory}; continue with: ntk coordinator {request.SweepPath} --out {directory} --resume{(request.Journal is null ? "" : " (and the same --journal)")}");
            return ExitCodes.RunFailed;
        }

        var report = ReportRenderer.Render(directory, TextWriter.Null);
        await stdout.WriteLineAsync(
            $"{document.Name}: {document.Plan.Points.Length} points, {trials} trials in {sweepTime.TotalSeconds:F1} s ({rate:F0} trials/s on the cluster" +
            (waited.TotalSeconds >= 0.5 ? $"; {waited.TotalSeconds:F1} s before that starting and waiting for workers)" : ")"));
        await stdout.WriteLineAsync($"results: {directory}/results.csv, results.parquet, results.json, claims.md, report.md, plots/ ({report.PlotsWritten.Count} plots)");
        await stdout.WriteLineAsync(ClaimsSummary.Render(directory));
        await operations.HoldAsync(request.Operations, stdout, interrupt.Token);
        return ExitCodes.Success;
    }

    /// <summary>Trials in the first <paramref name="shards"/> shards of a point.</summary>
    private static long PrefixTrialsOf(this Ntk.Numerics.MonteCarlo.SimulationPlan plan, int shards) =>
        Math.Min((long)shards * plan.ShardTrials, plan.Stopping.TrialCap);
}

/// <summary>
/// The address flags every cluster node takes, each with an environment-variable fallback (for containers):
/// --hostname (NTK_HOSTNAME), --public-hostname (NTK_PUBLIC_HOSTNAME), --port (NTK_PORT), --seeds (NTK_SEEDS),
/// --config (NTK_CONFIG). A flag wins over its variable; both win over cluster-config/*.hocon.
/// </summary>
internal sealed class NodeFlags
{
    private readonly Option<string?> _hostname = new("--hostname")
    {
        Description = "Interface to bind (default 127.0.0.1; env NTK_HOSTNAME). Use 0.0.0.0 with --public-hostname to accept other machines.",
    };
    private readonly Option<string?> _publicHostname = new("--public-hostname")
    {
        Description = "Address other nodes use to reach this one (default: the bound hostname; env NTK_PUBLIC_HOSTNAME).",
    };
    private readonly Option<int?> _port = TypedOptions.OptionalInteger("--port",
        "TCP port (env NTK_PORT; coordinator default 4053, worker default 0 = any).", minimum: 0, maximum: 65535, helpName: "P");
    private readonly Option<string?> _seeds;
    private readonly Option<string?> _config = new("--config")
    {
        Description = "Extra HOCON file layered over cluster-config/*.hocon (env NTK_CONFIG).",
    };

    private NodeFlags(string seedsDescription)
    {
        _seeds = new Option<string?>("--seeds") { Description = seedsDescription };
    }

    public static NodeFlags Create(string seedsDescription) => new(seedsDescription);

    public void AddTo(Command command)
    {
        command.Add(_hostname);
        command.Add(_publicHostname);
        command.Add(_port);
        command.Add(_seeds);
        command.Add(_config);
    }

    /// <summary>The flags, else the environment; throws <see cref="InvalidInputException"/> for a malformed value.</summary>
    public ClusterNodeOptions Read(ParseResult parse)
    {
        var hostname = HostName("--hostname", parse.GetValue(_hostname) ?? Environment("NTK_HOSTNAME"));
        var publicHostname = HostName("--public-hostname", parse.GetValue(_publicHostname) ?? Environment("NTK_PUBLIC_HOSTNAME"));
        var port = parse.GetValue(_port);
        if (port is null && Environment("NTK_PORT") is { } portText)
        {
            if (!TypedOptions.TryParseInteger(portText, out var parsed) || parsed < 0 || parsed > 65535)
                throw new InvalidInputException($"NTK_PORT: \"{portText}\" is not a port in 0..65535");
            port = parsed;
        }
        var seedsText = parse.GetValue(_seeds) ?? Environment("NTK_SEEDS");
        var seeds = ImmutableArray<SeedAddress>.Empty;
        if (seedsText is not null)
        {
            try
            {
                seeds = SeedAddress.ParseList(seedsText);
            }
            catch (FormatException e)
            {
                throw new InvalidInputException("--seeds: " + e.Message, e);
            }
        }
        var config = parse.GetValue(_config) ?? Environment("NTK_CONFIG");
        if (config is not null && !File.Exists(config)) throw new InvalidInputException($"--config: {config} does not exist");
        return new ClusterNodeOptions(hostname, publicHostname, port, seeds, config);
    }

    /// <summary>A DNS name or an IPv4/IPv6 address, else an input error (Akka would fail later, at bind or join).</summary>
    private static string? HostName(string option, string? value) =>
        value is null || Uri.CheckHostName(value) != UriHostNameType.Unknown ? value
            : throw new InvalidInputException($"{option}: expected a host name or IP address, got '{value}'");

    private static string? Environment(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
