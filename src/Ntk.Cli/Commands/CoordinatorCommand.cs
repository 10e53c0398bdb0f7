using System.Collections.Immutable;
using System.CommandLine;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Logging;
using Ntk.Cli.Operations;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Cluster.Logging;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Persistence;
using Serilog;

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

    private static Task<int> RunAsync(CoordinatorRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        SweepSession.RunAsync(new CoordinatorMode(request), request.SweepPath, request.OutDirectory, request.Resume, request.Force,
            stdout, stderr, cancellation);

    /// <summary>The cluster node that owns the sweep: a journal (resume from it, else from results.json), cluster
    /// options checked up front, a health endpoint beside the sweep, and the rate timed from the workers' arrival.</summary>
    private sealed class CoordinatorMode(CoordinatorRequest request) : SweepMode
    {
        private SweepJournal? _journal;
        private CoordinatorNodeOptions? _options;
        private NodeOperations? _operations;
        private bool _resumeStore;

        public override string RunKind => "cluster";
        public override string LogRole => "coordinator";
        public override int RecordedWorkers => request.Threads ?? 0;
        public override string SavedWork => "what the journal holds";
        public override bool TimesFromSweepStart => true;
        public override bool CancellationBeforeStartIsInterruption => true;

        private SweepJournal Journal => _journal ?? throw new InvalidOperationException("the journal is read in CheckBeforeWriting");

        public override string ResumeCommand(string directory) =>
            $"ntk coordinator {request.SweepPath} --out {directory} --resume{(request.Journal is null ? "" : " (and the same --journal)")}";

        public override string WhereItRan(TimeSpan waited) =>
            "on the cluster" + (waited.TotalSeconds >= 0.5 ? $"; {waited.TotalSeconds:F1} s before that starting and waiting for workers)" : ")");

        public override ResultsFile? CheckBeforeWriting(SweepDocument document, string directory, string sweepHash, TextWriter notes)
        {
            try
            {
                _journal = SweepJournal.Parse(request.Journal, directory);
            }
            catch (ArgumentException e)
            {
                throw new InvalidInputException("--journal: " + e.Message, e);
            }
            var resultsJson = Path.Combine(directory, "results.json");
            ResultsFile? previous = null;
            if (request.Resume)
            {
                if (!_journal.MayHoldRuns && !File.Exists(resultsJson))
                    throw new InvalidInputException($"--resume: neither the journal ({_journal.Describe()}) nor {resultsJson} exists; there is no run to continue");
                if (File.Exists(resultsJson)) previous = ResultsDirectory.ReadForResume(resultsJson, sweepHash, document.NormalizedJson, notes);
            }
            // The store of finished points and checkpoints, continued when resuming (a journal alone, without it, is
            // resumed from the journal).
            _resumeStore = request.Resume && File.Exists(Path.Combine(directory, PointStateStore.FileName));
            _options = new CoordinatorNodeOptions(request.Operations.Apply(request.Node), request.MinWorkers, request.Threads,
                request.SnapshotSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
            try
            {
                ClusterSweep.ValidateCoordinator(_options, document.Plan);
            }
            catch (ArgumentException e)
            {
                throw new InvalidInputException(e.Message, e);
            }
            return previous;
        }

        public override async Task<int?> PrepareAsync(SweepStart start, TextWriter stderr)
        {
            try
            {
                Journal.Prepare(fresh: !request.Resume);
            }
            catch (ArgumentException e)
            {
                throw new InvalidInputException("--journal: " + e.Message, e);
            }
            if (Journal.Probe() is not { } unreachable) return null;
            await stderr.WriteLineAsync($"error: the journal cannot be read: {unreachable}");
            return ExitCodes.RunFailed;
        }

        // The journal restores each aggregator by itself; the store seeds only points that the journal does not
        // hold (a deleted or new journal): a seed behind an aggregator's recovered state is ignored. Points the store
        // holds as finished are never opened again (their aggregators were released and their journal deleted).
        public override (PointStateStore Store, ImmutableArray<PointResumeState> Resume) OpenStore(SweepStart start)
        {
            var store = _resumeStore
                ? ResultsDirectory.OpenStoreForResume(start.Directory, start.Previous?.SweepHash ?? start.SweepHash, start.SweepHash,
                    start.Document.Plan)
                : ResultsDirectory.CreateStore(start.Directory, start.SweepHash);
            try
            {
                return (store, _resumeStore ? ResumeStates.From(store, start.Document.Plan) : ImmutableArray<PointResumeState>.Empty);
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }

        public override IDisposable StartBeside(ILogger logger, string nodeId)
        {
            _operations = NodeOperations.Start(NodeRole.Coordinator, request.Operations, request.Node, nodeId, logger);
            _options = _options! with { Node = _operations.Attach(_options.Node, request.Operations) };
            return _operations;
        }

        public override void LogStart(ILogger logger, SweepStart start) =>
            logger.Event(LogEvents.RunStarted).ForConsole().Information(
                "Sweep {SweepName}: {PointCount} points, output {OutputDirectory}, journal {Journal}{ResumeNote}",
                start.Document.Name, start.Document.Plan.Points.Length, start.Directory, Journal.Describe(),
                request.Resume ? " (resuming)" : "");

        public override Task<SweepSnapshot> RunAsync(SweepStart start, ImmutableArray<PointResumeState> resume, ResultsSink sink,
            IProgressObserver progress, bool progressBar, ILogger logger, CancellationToken cancellation) =>
            ClusterSweep.RunCoordinatorAsync(_options!, start.Document.Plan, start.SweepHash, resume, Journal, request.Resume, sink,
                progress, logger, cancellation);

        public override Task AfterReportAsync(TextWriter stdout, CancellationToken cancellation) =>
            _operations?.HoldAsync(request.Operations, stdout, cancellation) ?? Task.CompletedTask;
    }
}
