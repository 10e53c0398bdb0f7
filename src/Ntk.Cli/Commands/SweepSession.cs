using System.Collections.Immutable;
using System.Diagnostics;
using Ntk.Cli.Logging;
using Ntk.Cli.Report;
using Ntk.Cli.Results;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Cluster.Logging;
using Serilog;
using Serilog.Events;

namespace Ntk.Cli.Commands;

/// <summary>A sweep read and checked, where its results go, and the run it continues from results.json (if any).</summary>
internal sealed record SweepStart(SweepDocument Document, string Directory, string SweepHash, ResultsFile? Previous);

/// <summary>
/// What differs between the two commands that own a sweep: `ntk run` (every actor in this process,
/// <see cref="RunCommand"/>) and `ntk coordinator` (the cluster node that owns the sweep, <see cref="CoordinatorCommand"/>).
/// <see cref="SweepSession"/> calls these steps in one fixed order.
/// </summary>
internal abstract class SweepMode
{
    /// <summary>The run kind written to results.json ("local" or "cluster").</summary>
    public abstract string RunKind { get; }

    /// <summary>The role this node logs under ("local" or "coordinator").</summary>
    public abstract string LogRole { get; }

    /// <summary>Worker threads recorded in results.json.</summary>
    public abstract int RecordedWorkers { get; }

    /// <summary>What a diagnosed failure leaves to resume from ("what was saved", "what the journal holds").</summary>
    public abstract string SavedWork { get; }

    /// <summary>The command line that continues an interrupted or failed run.</summary>
    public abstract string ResumeCommand(string directory);

    /// <summary>True when a terminal may show a progress bar instead of progress lines (`ntk run`).</summary>
    public virtual bool MayShowProgressBar => false;

    /// <summary>True when the rate is timed from the sweep's own start (the first progress report) rather than from
    /// the call: a coordinator leaves out the wait for its workers and says how long that was.</summary>
    public virtual bool TimesFromSweepStart => false;

    /// <summary>True when a cancellation before the sweep started is an interruption (exit 1, one line).</summary>
    public virtual bool CancellationBeforeStartIsInterruption => false;

    /// <summary>Everything else that can be wrong with the input, before anything is written; returns the previous
    /// run's results.json when the run continues from one, else null. Throws <see cref="InvalidInputException"/>.</summary>
    public abstract ResultsFile? CheckBeforeWriting(SweepDocument document, string directory, string sweepHash, TextWriter notes);

    /// <summary>Once the results directory exists: the mode's own state (a journal). Returns an exit code to stop
    /// with (after writing its one line to <paramref name="stderr"/>), or null to go on.</summary>
    public virtual Task<int?> PrepareAsync(SweepStart start, TextWriter stderr) => Task.FromResult<int?>(null);

    /// <summary>Once the directory is ready: the store of finished points and checkpoints (continued when resuming,
    /// else new; the sink takes it over) and the merged prefixes the run starts from (empty for a fresh run).</summary>
    public abstract (PointStateStore Store, ImmutableArray<PointResumeState> Resume) OpenStore(SweepStart start);

    /// <summary>Starts what lives beside the sweep for as long as the session (a node's health endpoint); null for none.</summary>
    public virtual IDisposable? StartBeside(ILogger logger, string nodeId) => null;

    /// <summary>The sweep's first line in the log (a <see cref="LogEvents.RunStarted"/> event).</summary>
    public abstract void LogStart(ILogger logger, SweepStart start);

    /// <summary>Runs the sweep until it completes or <paramref name="cancellation"/> fires.</summary>
    public abstract Task<SweepSnapshot> RunAsync(SweepStart start, ImmutableArray<PointResumeState> resume, ResultsSink sink,
        IProgressObserver progress, bool progressBar, ILogger logger, CancellationToken cancellation);

    /// <summary>Where the trials ran, closing the summary line: "on 2 workers)", "on the cluster)".</summary>
    public abstract string WhereItRan(TimeSpan waited);

    /// <summary>After the report of a completed run (a coordinator that holds its endpoint until told to stop).</summary>
    public virtual Task AfterReportAsync(TextWriter stdout, CancellationToken cancellation) => Task.CompletedTask;
}

/// <summary>
/// The one lifecycle of a sweep run, for `ntk run` and `ntk coordinator`: read → results directory → hash → resume
/// check → directory → point-state store → logger → results sink → interrupt handler → run → summary → report. Everything the user can
/// get wrong is checked before the first write (exit 2); a failed or interrupted run exits 1 and says how to continue;
/// a completed run writes the report and prints the claims.
/// </summary>
internal static class SweepSession
{
    /// <summary>
    /// Runs the sweep at <paramref name="sweepPath"/> into <paramref name="outDirectory"/> (default results/&lt;name&gt;):
    /// a fresh run refuses a directory holding an earlier run unless <paramref name="force"/> (which removes it), and
    /// <paramref name="resume"/> continues one. Returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(SweepMode mode, string sweepPath, string? outDirectory, bool resume, bool force,
        TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        // 1. Everything that can be wrong with the input, before anything is written.
        var document = SweepReader.Read(sweepPath);
        var directory = ResultsDirectory.Resolve(outDirectory, document.Name);
        var sweepHash = ResultsDirectory.SweepHash(document.NormalizedJson);
        var previous = mode.CheckBeforeWriting(document, directory, sweepHash, stderr);
        var start = new SweepStart(document, directory, sweepHash, previous);
        if (force && resume) throw new InvalidInputException("--force and --resume: choose one (replace the earlier run, or continue it)");
        WritableDirectory.Check("--out", directory);
        EarlierRun.CheckMayStart(directory, force, resume);
        foreach (var warning in document.Warnings) await stderr.WriteLineAsync("warning: " + warning);

        // 2. The run.
        if (force) EarlierRun.Remove(directory);
        Directory.CreateDirectory(directory);
        if (await mode.PrepareAsync(start, stderr) is { } stopped) return stopped;
        var (store, resumeStates) = mode.OpenStore(start);
        var interactive = mode.MayShowProgressBar && !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out)
                          && Environment.GetEnvironmentVariable("CI") is null;
        var nodeId = NodeLogging.DefaultNodeId();
        using var logger = NodeLogging.Create(Path.Combine(directory, "run.log"), nodeId, mode.LogRole, stderr,
            interactive ? LogEventLevel.Warning : LogEventLevel.Information);
        using var beside = mode.StartBeside(logger, nodeId);
        var started = DateTimeOffset.UtcNow;
        using var sink = new ResultsSink(directory,
            new RunDescription(mode.RunKind, document.NormalizedJson, sweepHash, mode.RecordedWorkers, [nodeId],
                previous?.Run.StartedUtc ?? started),
            document.Plan, store, () => DateTimeOffset.UtcNow);
        mode.LogStart(logger, start);

        using var interrupt = new InterruptSignals(cancellation);

        var stopwatch = Stopwatch.StartNew();
        var progressLog = new ProgressLog(logger, document.Plan);
        RecordingProgress? progress = null;
        SweepSnapshot final;
        try
        {
            final = interactive
                ? await ProgressDisplay.RunWithBarAsync(document.Plan,
                    observer => mode.RunAsync(start, resumeStates, sink, progress = new RecordingProgress(observer), true, logger,
                        interrupt.Token),
                    progressLog)
                : await mode.RunAsync(start, resumeStates, sink, progress = new RecordingProgress(progressLog), false, logger,
                    interrupt.Token);
        }
        catch (ArgumentException e)
        {
            // The sweep runners check settings and resume states before anything runs.
            throw new InvalidInputException(e.Message, e);
        }
        catch (OperationCanceledException) when (mode.CancellationBeforeStartIsInterruption)
        {
            await stderr.WriteLineAsync("interrupted before the sweep started");
            return ExitCodes.RunFailed;
        }
        catch (SweepFailedException e)
        {
            // A failure the sweep diagnosed (a journal or results file that cannot be written, a shard that threw):
            // its message says what and where. One line on the console; the details go to run.log.
            logger.Event(LogEvents.RunFailed).FileOnly().Error(e, "Sweep {SweepName} failed: {Reason}", document.Name, e.Message);
            await stderr.WriteLineAsync($"error: the run failed: {e.Message}; {mode.SavedWork} resumes with: {mode.ResumeCommand(directory)}");
            return ExitCodes.RunFailed;
        }
        catch (Exception e) when (e is not InvalidInputException)
        {
            logger.Event(LogEvents.RunFailed).FileOnly().Error(e, "Sweep {SweepName} failed: {Reason}", document.Name, e.Message);
            await stderr.WriteLineAsync($"error: the run failed: {e.GetType().Name}: {e.Message} (details in {Path.Combine(directory, "run.log")})");
            return ExitCodes.RunFailed;
        }
        stopwatch.Stop();

        // 3. Summary and report.
        var trials = final.TotalTrials;
        var resumedTrials = resumeStates.IsDefaultOrEmpty ? 0
            : resumeStates.Sum(r => Math.Min((long)r.ShardsMerged * document.Plan.ShardTrials, document.Plan.Stopping.TrialCap));
        var sweepTime = mode.TimesFromSweepStart ? progress?.Latest?.Elapsed ?? stopwatch.Elapsed : stopwatch.Elapsed;
        var rate = (trials - resumedTrials) / Math.Max(sweepTime.TotalSeconds, 1e-9);
        logger.Event(LogEvents.RunEnded).Information("Sweep {SweepName} {Outcome}: {TrialCount} trials in {ElapsedMs} ms ({TrialsPerSecond} trials/s)",
            document.Name, final.Complete ? "completed" : "interrupted", trials, stopwatch.ElapsedMilliseconds, Math.Round(rate));
        if (!final.Complete)
        {
            await stderr.WriteLineAsync($"interrupted: {trials} trials saved in {directory}; continue with: {mode.ResumeCommand(directory)}");
            return ExitCodes.RunFailed;
        }

        var report = ReportRenderer.Render(directory, TextWriter.Null, ResultsJson.KeepAllPoints, sink.Digest);
        await stdout.WriteLineAsync(
            $"{document.Name}: {document.Plan.Points.Length} points, {trials} trials in {sweepTime.TotalSeconds:F1} s " +
            $"({rate:F0} trials/s {mode.WhereItRan(stopwatch.Elapsed - sweepTime)}");
        await stdout.WriteLineAsync($"results: {directory}/results.csv, results.parquet, results.json, claims.md, report.md, plots/ ({report.PlotsWritten.Count} plots)");
        await stdout.WriteLineAsync(ClaimsSummary.Render(directory));
        await mode.AfterReportAsync(stdout, interrupt.Token);
        return ExitCodes.Success;
    }
}
