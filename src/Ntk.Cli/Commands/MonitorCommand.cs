using System.CommandLine;
using Ntk.Cli.CommandLine;
using Ntk.Cli.Monitor;
using Ntk.Cli.Terminal;
using Spectre.Console;

namespace Ntk.Cli.Commands;

/// <summary>What `ntk monitor` was asked to do.</summary>
internal sealed record MonitorRequest(string Path, bool Once, double IntervalSeconds);

/// <summary>
/// <c>ntk monitor LOG_FILE_OR_DIR [--once] [--interval SECONDS]</c>: follows the compact-JSON logs of a local or
/// multi-node run (one file, or every *.log / *.json file in a directory, including files that appear later) and shows
/// a table: points, trials, trials/s per node, worst standard error, ETA, members, re-issued shards, failures. On a
/// terminal the table is redrawn in place; when stdout is redirected a plain-text table is printed after each poll that
/// read something. Exits 0 after the final table once the sweep's finish event was seen (reading one more interval
/// for the final snapshot), or on Ctrl-C. <c>--once</c> prints the table of what is there now and exits 0.
/// A path that does not exist, or a directory with no log file in it, exits 2.
/// </summary>
internal static class MonitorCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var path = new Argument<string>("LOG_FILE_OR_DIR")
        {
            Description = "A log file, or a directory whose *.log and *.json files are the logs of the run's nodes.",
        };
        var once = new Option<bool>("--once") { Description = "Print the table of what is logged now and exit (also for a finished run)." };
        var interval = TypedOptions.Positive("--interval", "Seconds between reads of the log files (default 1).", () => 1,
            helpName: "SECONDS");
        var command = new Command("monitor",
            "Follow the structured logs of a run and show points, trials, trials/s per node, worst standard error, ETA, members, re-issued shards and failures.")
        {
            path, once, interval,
        };
        command.SetAction((parse, cancellation) => ExecuteAsync(
            new MonitorRequest(parse.GetValue(path)!, parse.GetValue(once), parse.GetValue(interval)),
            stdout, stderr, cancellation));
        return command;
    }

    public static Task<int> ExecuteAsync(MonitorRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        CommandLineErrors.GuardAsync(stderr, () => RunAsync(request, stdout, stderr, cancellation));

    private static async Task<int> RunAsync(MonitorRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (!File.Exists(request.Path) && !Directory.Exists(request.Path))
            throw new InvalidInputException(
                $"{request.Path}: no such file or directory; give a run's log file (e.g. results/<sweep>/run.log) or the directory of its node logs");
        var follower = new LogFollower(request.Path);
        var state = new MonitorState();
        follower.Poll(state);
        if (follower.LogFiles.Count == 0)
            throw new InvalidInputException(
                $"{request.Path}: no log files here (looked for compact-JSON *.log and *.json); give the results directory of a " +
                "run that has started (ntk run and ntk coordinator write run.log there) or a worker's --log-dir");

        if (request.Once)
        {
            WarnIfNoLogs(follower, state, request.Path, stderr);
            MonitorTable.WritePlain(state.View(), stdout);
            return ExitCodes.Success;
        }

        var interval = TimeSpan.FromSeconds(request.IntervalSeconds);
        var interactive = !Console.IsOutputRedirected && ReferenceEquals(stdout, Console.Out)
                          && Environment.GetEnvironmentVariable("CI") is null;
        if (interactive)
        {
            await AnsiConsole.Live(MonitorTable.Render(ViewNow(state), AnsiConsole.Profile.Width))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Ellipsis)
                .StartAsync(async context =>
                {
                    await FollowAsync(follower, state, interval, cancellation, pollFirst: false,
                        view => context.UpdateTarget(MonitorTable.Render(view, AnsiConsole.Profile.Width)));
                });
        }
        else
        {
            var printed = false;
            await FollowAsync(follower, state, interval, cancellation, pollFirst: false, view =>
            {
                if (printed) stdout.WriteLine();
                MonitorTable.WritePlain(view, stdout);
                stdout.Flush();
                printed = true;
            }, onlyWhenChanged: true);
        }
        WarnIfNoLogs(follower, state, request.Path, stderr);
        return ExitCodes.Success;
    }

    /// <summary>
    /// Polls every <paramref name="interval"/> and shows the view, until the sweep's finish event was seen (then one
    /// more poll after an interval, for the final snapshot event, and a last show) or <paramref name="cancellation"/>
    /// fires (Ctrl-C; the last table shown stays).
    /// </summary>
    private static async Task FollowAsync(LogFollower follower, MonitorState state, TimeSpan interval,
        CancellationToken cancellation, bool pollFirst, Action<MonitorView> show, bool onlyWhenChanged = false)
    {
        var first = true;
        var finishSeenAt = -1;
        for (var round = 0; ; round++)
        {
            var read = pollFirst || !first ? follower.Poll(state) : 1;
            var finishing = finishSeenAt >= 0 && round > finishSeenAt;
            // A finished sweep's view is at its last event, so an empty last poll would only repeat the table.
            if (!onlyWhenChanged || read > 0 || first) show(finishing ? state.View() : ViewNow(state));
            first = false;
            if (finishing) return;
            if (state.IsFinished && finishSeenAt < 0) finishSeenAt = round;
            try
            {
                await Task.Delay(interval, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>A live view: rates at the wall clock (so a silent node's rate decays), or at the last event once the
    /// sweep finished or when the logs are ahead of this machine's clock.</summary>
    private static MonitorView ViewNow(MonitorState state)
    {
        var now = DateTimeOffset.UtcNow;
        if (state.IsFinished || (state.LatestTimestamp is { } latest && latest > now)) return state.View();
        return state.View(now);
    }

    private static void WarnIfNoLogs(LogFollower follower, MonitorState state, string path, TextWriter stderr)
    {
        if (follower.LogFiles.Count == 0)
            stderr.WriteLine($"warning: {path}: no compact-JSON log file found (looked for *.log and *.json)");
        else if (state.EventsRead == 0)
            stderr.WriteLine($"warning: {path}: the log files hold no events yet");
    }
}
