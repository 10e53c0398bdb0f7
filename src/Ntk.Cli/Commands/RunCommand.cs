using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Ntk.Cli.Logging;
using Ntk.Cli.Report;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cluster;
using Serilog;
using Serilog.Events;

namespace Ntk.Cli.Commands;

/// <summary>What `ntk run` was asked to do.</summary>
internal sealed record RunRequest(string SweepPath, string? OutDirectory, int Workers, bool Resume, double SnapshotSeconds = 5);

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
        var workers = new Option<int>("--workers")
        {
            Description = "Worker actors, each running one shard at a time on its own thread (default: all cores).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        workers.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--workers must be at least 1");
        });
        var resume = new Option<bool>("--resume") { Description = "Continue the run whose results.json is in the results directory." };
        var snapshot = new Option<double>("--snapshot-interval")
        {
            Description = "Seconds between result snapshots (what a killed run resumes from).",
            DefaultValueFactory = _ => 5,
        };
        snapshot.Validators.Add(result =>
        {
            var seconds = result.GetValueOrDefault<double>();
            if (!(seconds > 0) || !double.IsFinite(seconds)) result.AddError("--snapshot-interval must be a positive number of seconds");
        });
        var command = new Command("run", "Run a sweep in this process and write results, claims and plots.")
        {
            sweep, output, workers, resume, snapshot,
        };
        command.SetAction((parse, cancellation) => ExecuteAsync(
            new RunRequest(parse.GetValue(sweep)!, parse.GetValue(output), parse.GetValue(workers), parse.GetValue(resume),
                parse.GetValue(snapshot)),
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
            previous = ResultsDirectory.ReadForResume(resultsJson, sweepHash);
            store = ResultsDirectory.OpenStoreForResume(directory, sweepHash);
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
        foreach (var warning in document.Warnings) await stderr.WriteLineAsync("warning: " + warning);

        // 2. The run.
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
                    observer => LocalSweep.RunAsync(document.Plan, resume, settings, sink, observer, logger, interrupt.Token))
                : await LocalSweep.RunAsync(document.Plan, resume, settings, sink,
                    new ProgressLog(logger, document.Plan), logger, interrupt.Token);
        }
        catch (ArgumentException e)
        {
            // LocalSweep checks settings and resume states before anything runs.
            throw new InvalidInputException(e.Message, e);
        }
        catch (Exception e) when (e is not InvalidInputException)
        {
            logger.Error(e, "Sweep {SweepName} failed", document.Name);
            await stderr.WriteLineAsync($"error: the run failed: {e.Message}");
            return ExitCodes.RunFailed;
        }
        stopwatch.Stop();

        var trials = final.TotalTrials;
        var resumedTrials = resume.Sum(r => Math.Min((long)r.ShardsMerged * document.Plan.ShardTrials, document.Plan.Stopping.TrialCap));
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
