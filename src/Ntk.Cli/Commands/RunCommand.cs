using System.Collections.Immutable;
using System.CommandLine;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Logging;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Cluster.Logging;
using Serilog;

namespace Ntk.Cli.Commands;

/// <summary>What `ntk run` was asked to do.</summary>
internal sealed record RunRequest(string SweepPath, string? OutDirectory, int Workers, bool Resume, double? SnapshotSeconds = null,
    bool Force = false);

/// <summary>
/// `ntk run SWEEP.json [--out DIR] [--workers N] [--resume]`: the whole sweep in this process, through the same actors
/// as a cluster (local wiring, no network). Everything the user can get wrong is checked before anything is written.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var sweep = new Argument<string>("SWEEP.json") { Description = "The sweep file to run." };
        var output = new Option<string?>("--out") { Description = "Results directory (default: results/<sweep name>)." };
        var workers = TypedOptions.Integer("--workers",
            "Worker actors, each running one shard at a time on its own thread (default: all cores).",
            () => Environment.ProcessorCount, minimum: 1, helpName: "N");
        var resume = new Option<bool>("--resume") { Description = "Continue the run whose results.json is in the results directory." };
        var force = new Option<bool>("--force") { Description = "Replace the results of an earlier run in the results directory." };
        var snapshot = TypedOptions.OptionalPositive("--snapshot-interval",
            "Seconds between result snapshots, what a killed run resumes from (default 5: ntk.run.snapshot-interval).", helpName: "S");
        var command = new Command("run", "Run a sweep in this process and write results, claims and plots.")
        {
            sweep, output, workers, resume, force, snapshot,
        };
        command.SetAction((parse, cancellation) => ExecuteAsync(
            new RunRequest(parse.GetValue(sweep)!, parse.GetValue(output), parse.GetValue(workers), parse.GetValue(resume),
                parse.GetValue(snapshot), parse.GetValue(force)),
            stdout, stderr, cancellation));
        return command;
    }

    public static Task<int> ExecuteAsync(RunRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        CommandLineErrors.GuardAsync(stderr, () => RunAsync(request, stdout, stderr, cancellation));

    private static Task<int> RunAsync(RunRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        SweepSession.RunAsync(new LocalMode(request), request.SweepPath, request.OutDirectory, request.Resume, request.Force,
            stdout, stderr, cancellation);

    /// <summary>The sweep in this process: resume only from results.json; a progress bar on a terminal.</summary>
    private sealed class LocalMode(RunRequest request) : SweepMode
    {
        private ImmutableArray<PointResumeState> _resume = ImmutableArray<PointResumeState>.Empty;
        private PointStateStore? _store;

        public override string RunKind => "local";
        public override string LogRole => "local";
        public override int RecordedWorkers => request.Workers;
        public override string SavedWork => "what was saved";
        public override bool MayShowProgressBar => true;

        public override string ResumeCommand(string directory) => $"ntk run {request.SweepPath} --out {directory} --resume";

        public override string WhereItRan(TimeSpan waited) => $"on {request.Workers} workers)";

        public override ResultsFile? CheckBeforeWriting(SweepDocument document, string directory, string sweepHash, TextWriter notes)
        {
            if (!request.Resume) return null;
            var resultsJson = Path.Combine(directory, "results.json");
            if (!File.Exists(resultsJson))
                throw new InvalidInputException($"--resume: {resultsJson} does not exist; there is no run to continue");
            var previous = ResultsDirectory.ReadForResume(resultsJson, sweepHash, document.NormalizedJson, notes);
            _store = ResultsDirectory.OpenStoreForResume(directory, previous.SweepHash, sweepHash, document.Plan);
            try
            {
                _resume = ResumeStates.From(_store, document.Plan);
            }
            catch
            {
                _store.Dispose();
                throw;
            }
            return previous;
        }

        public override (PointStateStore Store, ImmutableArray<PointResumeState> Resume) OpenStore(SweepStart start) =>
            (_store ?? ResultsDirectory.CreateStore(start.Directory, start.SweepHash), _resume);

        public override void LogStart(ILogger logger, SweepStart start) =>
            logger.Event(LogEvents.RunStarted).Information(
                "Sweep {SweepName} started: {PointCount} points, {Workers} workers, output {OutputDirectory}, resume {Resume}",
                start.Document.Name, start.Document.Plan.Points.Length, request.Workers, start.Directory, request.Resume);

        public override Task<SweepSnapshot> RunAsync(SweepStart start, ImmutableArray<PointResumeState> resume, ResultsSink sink,
            IProgressObserver progress, bool progressBar, ILogger logger, CancellationToken cancellation)
        {
            // LocalSweep checks settings and resume states before anything runs (ArgumentException: an input error).
            var settings = SweepRunSettings.Create(request.Workers, progressBar,
                request.SnapshotSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
            return LocalSweep.RunAsync(start.Document.Plan, resume, settings, sink, progress, logger, cancellation);
        }
    }
}
