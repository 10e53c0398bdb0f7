using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Logging;
using Ntk.Cli.Report;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Serilog;
using Serilog.Events;

namespace Ntk.Cli.Commands;

/// <summary>What `ntk run` was asked to do.</summary>
internal sealed record RunRequest(string SweepPath, string? OutDirectory, int Workers, bool Resume, double SnapshotSeconds = 5,
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
        var snapshot = TypedOptions.Positive("--snapshot-interval",
            "Seconds between result snapshots (what a killed run resumes from).", () => 5, helpName: "S");
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

    private static async Task<int> RunAsync(RunRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        // 1. Everything that can be wrong with the input, before anything is written.
        var document = SweepReader.Read(request.SweepPath);
        var directory = ResultsDirectory.Resolve(request.OutDirectory, document.Name);
        var sweepHash = Hash(document.NormalizedJson);
        var resume = ImmutableArray<PointResumeState>.Empty;
        ResultsFile? previous = null;
        PointStateStore? store = null;
        var resultsJson = Path.Combine(directory, "results.json");
        if (request.Resume)
        {
            if (!File.Exists(resultsJson))
                throw new InvalidInputException($"--resume: {resultsJson} does not exist; there is no run to continue");
            previous = ResultsDirectory.ReadForResume(resultsJson, sweepHash, document.NormalizedJson, stderr);
            store = ResultsDirectory.OpenStoreForResume(directory, previous.SweepHash, sweepHash, document.Plan);
            try
            {
                resume = ResumeStates.From(store, document.Plan);
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }
        if (request.Force && request.Resume) throw new InvalidInputException("--force and --resume: choose one (replace the earlier run, or continue it)");
        WritableDirectory.Check("--out", directory);
        EarlierRun.CheckMayStart(directory, request.Force, request.Resume);
        foreach (var warning in document.Warnings) await stderr.WriteLineAsync("warning: " + warning);

        // 2. The run.
        if (request.Force) EarlierRun.Remove(directory);
        Directory.CreateDirectory(directory);
        store ??= ResultsDirectory.CreateStore(directory, sweepHash);
        var interactive = !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out)
                          && Environment.GetEnvironmentVariable("CI") is null;
        var nodeId = NodeLogging.DefaultNodeId();
        using var logger = NodeLogging.Create(Path.Combine(directory, "run.log"), nodeId, "local", stderr,
            interactive ? LogEventLevel.Warning : LogEventLevel.Information);
        var started = DateTimeOffset.UtcNow;
        using var sink = new ResultsSink(directory,
            new RunDescription("local", document.NormalizedJson, sweepHash, request.Workers, [nodeId],
                previous?.Run.StartedUtc ?? started),
            document.Plan, store, () => DateTimeOffset.UtcNow);

        logger.Information("Sweep {SweepName} started: {PointCount} points, {Workers} workers, output {OutputDirectory}, resume {Resume}",
            document.Name, document.Plan.Points.Length, request.Workers, directory, request.Resume);

        using var interrupt = new InterruptSignals(cancellation);

        var settings = new SweepRunSettings(request.Workers,
            SnapshotInterval: TimeSpan.FromSeconds(request.SnapshotSeconds), LeaseTimeout: TimeSpan.FromMinutes(10), ProgressInterval: TimeSpan.FromSeconds(interactive ? 0.25 : 5));
        var stopwatch = Stopwatch.StartNew();
        SweepSnapshot final;
        try
        {
            final = interactive
                ? await ProgressDisplay.RunWithBarAsync(document.Plan,
                    observer => LocalSweep.RunAsync(document.Plan, resume, settings, sink, observer, logger, interrupt.Token),
                    new ProgressLog(logger, document.Plan))
                : await LocalSweep.RunAsync(document.Plan, resume, settings, sink,
                    new ProgressLog(logger, document.Plan), logger, interrupt.Token);
        }
        catch (ArgumentException e)
        {
            // LocalSweep checks settings and resume states before anything runs.
            throw new InvalidInputException(e.Message, e);
        }
        catch (SweepFailedException e)
        {
            // A failure the sweep diagnosed (a full disk, a shard that threw): its message says what and where. One
            // line on the console; the details go to run.log.
            logger.FileOnly().Error(e, "Sweep {SweepName} failed: {Reason}", document.Name, e.Message);
            await stderr.WriteLineAsync(
                $"error: the run failed: {e.Message}; what was saved resumes with: ntk run {request.SweepPath} --out {directory} --resume");
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
        var resumedTrials = resume.IsDefaultOrEmpty ? 0
            : resume.Sum(r => Math.Min((long)r.ShardsMerged * document.Plan.ShardTrials, document.Plan.Stopping.TrialCap));
        var rate = (trials - resumedTrials) / Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-9);
        logger.Information("Sweep {SweepName} {Outcome}: {TrialCount} trials in {ElapsedMs} ms ({TrialsPerSecond} trials/s)",
            document.Name, final.Complete ? "completed" : "interrupted", trials, stopwatch.ElapsedMilliseconds, Math.Round(rate));

        if (!final.Complete)
        {
            await stderr.WriteLineAsync(
                $"interrupted: {trials} trials saved in {directory}; continue with: ntk run {request.SweepPath} --out {directory} --resume");
            return ExitCodes.RunFailed;
        }

        var report = ReportRenderer.Render(directory, TextWriter.Null);
        await stdout.WriteLineAsync(
            $"{document.Name}: {document.Plan.Points.Length} points, {trials} trials in {stopwatch.Elapsed.TotalSeconds:F1} s " +
            $"({rate:F0} trials/s on {request.Workers} workers)");
        await stdout.WriteLineAsync($"results: {directory}/results.csv, results.parquet, results.json, claims.md, report.md, plots/ ({report.PlotsWritten.Count} plots)");
        await stdout.WriteLineAsync(ClaimsSummary.Render(directory));
        return ExitCodes.Success;
    }

    /// <summary>SHA-256 of the canonical sweep text: a resumed run must continue the same sweep.</summary>
    internal static string Hash(string normalizedSweep) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalizedSweep)));
}
