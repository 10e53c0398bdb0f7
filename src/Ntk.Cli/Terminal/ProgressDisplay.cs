using Ntk.Cluster;
using Ntk.Cluster.Logging;
using Ntk.Numerics.MonteCarlo;
using Ntk.Cli.Logging;
using Serilog;
using Spectre.Console;

namespace Ntk.Cli.Terminal;

/// <summary>The terminal progress bar of `ntk run`: trials done of the cap, trials/s and ETA.</summary>
internal static class ProgressDisplay
{
    /// <summary>How often the bar also writes a progress event to the log, for `ntk monitor` (the same ETA).</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    /// <param name="log">Also told the progress every <see cref="LogInterval"/> (the run's log file), or null.</param>
    public static async Task<SweepSnapshot> RunWithBarAsync(SimulationPlan plan, Func<IProgressObserver, Task<SweepSnapshot>> run,
        IProgressObserver? log = null)
    {
        var latest = new LatestProgress();
        var eta = new EtaEstimator(plan);
        var total = (double)plan.Points.Length * plan.Stopping.TrialCap;
        SweepSnapshot? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(plan.Name, maxValue: total);
                var running = run(latest);
                var logged = System.Diagnostics.Stopwatch.StartNew();
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, Task.Delay(250));
                    if (latest.Value is { } progress)
                    {
                        task.Value = Done(plan, progress);
                        var left = eta.Remaining(progress) is { } t ? t.ToString("c") : "…";
                        task.Description = $"{plan.Name}: {progress.Points.Count(p => p.Done)}/{plan.Points.Length} points, {progress.TrialsPerSecond:N0} trials/s, ETA {left}";
                        if (log is not null && logged.Elapsed >= LogInterval)
                        {
                            log.Report(progress);
                            logged.Restart();
                        }
                    }
                }
                result = await running;
                task.Value = total;
            });
        return result!;
    }

    /// <summary>Trials that count toward the bar: a finished point counts as its whole cap.</summary>
    internal static double Done(SimulationPlan plan, SweepProgress progress) =>
        progress.Points.Sum(p => p.Done ? (double)plan.Stopping.TrialCap : p.Trials);

    private sealed class LatestProgress : IProgressObserver
    {
        private volatile SweepProgress? _value;
        public SweepProgress? Value => _value;
        public void Report(SweepProgress progress) => _value = progress;
    }
}

/// <summary>
/// Without a terminal: one structured progress event every few seconds (also in run.log). Its ETA (also as the number
/// {EtaSeconds}) is the one `ntk monitor` shows, so the bar, the progress lines and the monitor agree.
/// </summary>
internal sealed class ProgressLog(ILogger logger, SimulationPlan plan) : IProgressObserver
{
    private readonly EtaEstimator _eta = new(plan);

    public void Report(SweepProgress progress)
    {
        var total = (double)plan.Points.Length * plan.Stopping.TrialCap;
        var done = ProgressDisplay.Done(plan, progress);
        var eta = _eta.Remaining(progress);
        logger.Event(LogEvents.ProgressReported).ForConsole().ForContext("EtaSeconds", eta?.TotalSeconds).Information(
            "Progress {PercentDone}% ({TrialCount} trials, {PointsDone}/{PointCount} points), {TrialsPerSecond} trials/s, ETA {Eta}",
            Math.Round(100 * done / total, 1), progress.Points.Sum(p => p.Trials), progress.Points.Count(p => p.Done),
            plan.Points.Length, Math.Round(progress.TrialsPerSecond), eta is { } left ? left.ToString("c") : "unknown");
    }
}

/// <summary>Passes progress on and keeps the latest report (its rate and elapsed time start with the sweep itself).</summary>
internal sealed class RecordingProgress(IProgressObserver inner) : IProgressObserver
{
    private volatile SweepProgress? _latest;

    public SweepProgress? Latest => _latest;

    public void Report(SweepProgress progress)
    {
        _latest = progress;
        inner.Report(progress);
    }
}
