using System.Globalization;
using Ntk.Cli.Terminal;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Ntk.Cli.Monitor;

/// <summary>
/// Renders a <see cref="MonitorView"/>: as plain text (pipes, files, tests; grep-friendly, no colour) or as a
/// Spectre.Console renderable for the live terminal display. Both show the same numbers: a summary (points, trials,
/// rate, worst standard error, ETA, members, re-issued shards, failures), one row per node, and lists of points in
/// progress, members, re-issued shards and recent failures when there are any.
/// </summary>
internal static class MonitorTable
{
    private const int PointsInProgressShown = 12;
    private const int ReissuesShown = 20;

    /// <summary>Writes the plain-text table.</summary>
    public static void WritePlain(MonitorView view, TextWriter output)
    {
        output.WriteLine(Headline(view));
        foreach (var (label, value) in Summary(view)) output.WriteLine($"{label,-10}  {value}");

        output.WriteLine();
        var nodes = new TextTable(NodeHeaders(view));
        foreach (var node in view.Nodes) nodes.AddRow(NodeCells(view, node));
        if (view.Nodes.Length == 0) output.WriteLine("no node has logged an event yet");
        else nodes.Write(output);

        if (!view.PointsInProgress.IsEmpty)
        {
            output.WriteLine();
            output.WriteLine("in progress: " + PointsInProgress(view));
        }

        if (!view.Members.IsEmpty)
        {
            output.WriteLine();
            output.WriteLine("members:");
            var members = new TextTable("address", "roles", "status", "since");
            foreach (var member in view.Members) members.AddRow(MemberCells(member));
            members.Write(output);
        }

        if (!view.Reissued.IsEmpty)
        {
            output.WriteLine();
            output.WriteLine($"re-issued shards ({view.Reissued.Length}):");
            var reissued = new TextTable("at", "point>", "shard>", "lease expired on", "offered to", "completed by");
            foreach (var reissue in LastReissues(view)) reissued.AddRow(ReissueCells(reissue));
            reissued.Write(output);
        }

        if (!view.RecentFailures.IsEmpty)
        {
            output.WriteLine();
            output.WriteLine("recent errors:");
            foreach (var failure in view.RecentFailures) output.WriteLine("  " + FailureLine(failure));
        }
    }

    /// <summary>
    /// The same content as <see cref="WritePlain"/>, for <c>AnsiConsole.Live</c>. Below <see cref="WideTerminal"/>
    /// columns the node table keeps only node, trials, rates, leases in flight and expired, and last seen.
    /// </summary>
    public static IRenderable Render(MonitorView view, int terminalWidth)
    {
        var parts = new List<IRenderable> { new Markup("[bold]" + Markup.Escape(Headline(view)) + "[/]") };

        var summary = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (label, value) in Summary(view))
            summary.AddRow(new Markup("[grey]" + Markup.Escape(label) + "[/]"), new Markup(Markup.Escape(value)));
        parts.Add(summary);

        var shown = terminalWidth >= WideTerminal ? AllNodeColumns : NarrowNodeColumns;
        // No border and 2-space gaps: the narrow column set fits an 80-column terminal.
        var nodes = new Table().Border(TableBorder.None);
        var headers = LiveNodeHeaders(view);
        foreach (var index in shown)
        {
            var column = new TableColumn(new Markup("[grey]" + Markup.Escape(headers[index].TrimEnd('>')) + "[/]"))
                .NoWrap().Padding(0, 0, 2, 0);
            if (headers[index].EndsWith('>')) column.RightAligned();
            nodes.AddColumn(column);
        }
        foreach (var node in view.Nodes)
        {
            var cells = NodeCells(view, node);
            nodes.AddRow(shown.Select(index => (IRenderable)new Text(cells[index])).ToArray());
        }
        parts.Add(nodes);

        if (!view.PointsInProgress.IsEmpty) parts.Add(new Text("in progress: " + PointsInProgress(view)));

        if (!view.Members.IsEmpty)
        {
            var members = new Table().Border(TableBorder.Simple).Title("members")
                .AddColumns("address", "roles", "status", "since");
            foreach (var member in view.Members)
            {
                var cells = MemberCells(member);
                var colour = member.Status switch { "Up" => "green", "Unreachable" => "yellow", "Downed" => "red", _ => "grey" };
                members.AddRow(new Text(cells[0]), new Text(cells[1]), new Markup($"[{colour}]{Markup.Escape(cells[2])}[/]"), new Text(cells[3]));
            }
            parts.Add(members);
        }

        if (!view.Reissued.IsEmpty)
        {
            var reissued = new Table().Border(TableBorder.Simple).Title($"re-issued shards ({view.Reissued.Length})")
                .AddColumns("at", "point", "shard", "lease expired on", "offered to", "completed by");
            foreach (var reissue in LastReissues(view))
                reissued.AddRow(ReissueCells(reissue).Select(c => (IRenderable)new Text(c)).ToArray());
            parts.Add(reissued);
        }

        if (!view.RecentFailures.IsEmpty)
        {
            parts.Add(new Markup("[red]recent errors:[/]"));
            foreach (var failure in view.RecentFailures) parts.Add(new Text("  " + FailureLine(failure)));
        }
        return new Rows(parts);
    }

    private static string Headline(MonitorView view)
    {
        var name = view.SweepName ?? "(sweep name not logged yet)";
        var phase = view.Phase switch
        {
            SweepPhase.Finished => "finished" + (view.Outcome is { } outcome ? $" ({outcome})" : ""),
            SweepPhase.Running => "running",
            _ => "waiting for the sweep to start",
        };
        var time = view.LastEventAt is { } last ? $", last event {Clock(last)}" : ", no events yet";
        var elapsed = view.StartedAt is { } started && view.LastEventAt is { } end && end >= started
            ? $", {Duration(end - started)} since start" : "";
        return $"sweep {name}: {phase}{time}{elapsed}";
    }

    private static IEnumerable<(string Label, string Value)> Summary(MonitorView view)
    {
        yield return ("points", view.PointCount is { } count
            ? $"{view.PointsDone}/{count} done" + (view.PointsInProgress.IsEmpty ? "" : $", {view.PointsInProgress.Length} in progress")
            : $"{view.PointsDone} done (point count not logged yet)");
        yield return ("trials", view.TrialsTotal is { } total && total > 0
            ? $"{Count(view.TrialsDone)} of {(view.Phase == SweepPhase.Finished ? "" : "at most ")}{Count(total)} ({Percent(view.TrialsDone, total)})"
            : Count(view.TrialsDone));
        yield return ("rate", $"{Rate(view.RecentTrialsPerSecond)} trials/s over the last {Duration(view.RecentWindow)}");
        yield return ("worst SE", view.WorstStdErr is { } se
            ? Number(se) + (view.WorstStdErrPoint is { } point ? $" (point {point})" : "")
            : "not logged yet");
        yield return ("ETA", view.Phase == SweepPhase.Finished ? "done"
            : view.Eta is { } eta ? (eta == TimeSpan.Zero ? "done" : Duration(eta))
            : "unknown (no recent throughput or no trial cap)");
        yield return ("members", view.Members.IsEmpty
            ? "none logged (local run, or membership not logged yet)"
            : $"{view.MembersUp} up, {view.MembersUnreachable} unreachable, {view.MembersDowned} downed");
        yield return ("re-issued", view.Reissued.IsEmpty ? "0 shards"
            : $"{view.Reissued.Length} {(view.Reissued.Length == 1 ? "shard" : "shards")}: " +
              string.Join(", ", view.Reissued.Select(r => $"p{r.PointIndex}/s{r.ShardIndex}").Distinct().Take(ReissuesShown)) +
              (view.Reissued.Length > ReissuesShown ? ", …" : ""));
        var discarded = view.Discarded.Values.Sum();
        yield return ("discarded", discarded == 0 ? "0 results"
            : $"{discarded} late or duplicate {(discarded == 1 ? "result" : "results")} (" +
              string.Join(", ", view.Discarded.Select(d => $"{d.Key} {d.Value}")) + ")");
        yield return ("failures", $"{view.Failures}" +
            (view.OtherErrors > 0 ? $" (+{view.OtherErrors} other errors)" : "") +
            $", {view.Warnings} {(view.Warnings == 1 ? "warning" : "warnings")}" +
            (view.UnreadableLines > 0 ? $", {view.UnreadableLines} unreadable {(view.UnreadableLines == 1 ? "line" : "lines")}" : ""));
    }

    private static string[] NodeHeaders(MonitorView view) =>
        ["node", "role", "member", "workers>", "shards>", "trials>", $"trials/s ({Duration(view.RecentWindow)})>", "trials/s (total)>",
         "in flight>", "expired>", "errors>", "last seen>"];

    /// <summary>Terminal width from which the live node table shows every column.</summary>
    public const int WideTerminal = 120;

    private static readonly int[] AllNodeColumns = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    // node, trials, trials/s recent, trials/s total, in flight, expired, last seen.
    private static readonly int[] NarrowNodeColumns = [0, 5, 6, 7, 8, 9, 11];

    /// <summary>Shorter headers for the live table (the plain table spells them out).</summary>
    private static string[] LiveNodeHeaders(MonitorView view) =>
        ["node", "role", "member", "workers>", "shards>", "trials>", $"trials/s {Duration(view.RecentWindow)}>", "avg/s>",
         "leased>", "expired>", "errors>", "seen>"];

    private static string[] NodeCells(MonitorView view, NodeView node) =>
    [
        node.NodeId,
        node.Role ?? "",
        node.MemberStatus ?? "-",
        Count(node.Workers),
        Count(node.ShardsCompleted),
        Count(node.Trials),
        Rate(node.RecentTrialsPerSecond),
        node.TotalTrialsPerSecond is { } total ? Rate(total) : "-",
        Count(node.InFlight),
        Count(node.LeasesExpired),
        Count(node.Errors),
        node.LastSeen == DateTimeOffset.MinValue ? "-" : Ago(view.Now - node.LastSeen),
    ];

    private static string PointsInProgress(MonitorView view) =>
        string.Join(", ", view.PointsInProgress.Take(PointsInProgressShown).Select(p =>
            $"p{p.PointIndex} {Count(p.Trials)}" + (p.TrialCap is { } cap ? "/" + Count(cap) : ""))) +
        (view.PointsInProgress.Length > PointsInProgressShown ? $", … ({view.PointsInProgress.Length} in all)" : "");

    private static string[] MemberCells(MemberView member) =>
        [member.Address, member.Roles, member.Status + (member.WasDowned && member.Status != "Downed" ? " (was downed)" : ""), Clock(member.Since)];

    private static IEnumerable<ReissueView> LastReissues(MonitorView view) =>
        view.Reissued.Skip(Math.Max(0, view.Reissued.Length - ReissuesShown));

    private static string[] ReissueCells(ReissueView reissue) =>
    [
        Clock(reissue.At),
        Count(reissue.PointIndex),
        Count(reissue.ShardIndex),
        reissue.HeldBy ?? "(not logged)",
        reissue.OfferedTo ?? "?",
        reissue.CompletedBy ?? "-",
    ];

    private static string FailureLine(FailureView failure)
    {
        var level = failure.Level switch { ClefLevel.Fatal => "FTL", ClefLevel.Error => "ERR", ClefLevel.Warning => "WRN", _ => "INF" };
        return $"{Clock(failure.At)} {failure.NodeId} {level} {failure.Message}";
    }

    /// <summary>An integer with thousands separators (invariant culture).</summary>
    internal static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A rate rounded to a whole number of trials per second.</summary>
    internal static string Rate(double trialsPerSecond) => Math.Round(trialsPerSecond).ToString("N0", CultureInfo.InvariantCulture);

    private static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Percent(long done, long total) =>
        (100.0 * done / total).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string Clock(DateTimeOffset at) => at.UtcDateTime.ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Ago(TimeSpan age) => age <= TimeSpan.Zero ? "now" : Duration(age) + " ago";

    /// <summary>"850 ms", "12 s", "3m05s", "2h07m".</summary>
    internal static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.FromSeconds(1)) return $"{Math.Max(0, (int)span.TotalMilliseconds)} ms";
        if (span < TimeSpan.FromMinutes(1)) return $"{(int)span.TotalSeconds} s";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes}m{span.Seconds:00}s";
        return $"{(int)span.TotalHours}h{span.Minutes:00}m";
    }
}
