using System.Globalization;
using Ntk.Cli.Results;

namespace Ntk.Cli.Report;

/// <summary>
/// Turns a results directory into pictures and a report: reads results.json and points.jsonl (line by line; sketch
/// buckets from point-states.bin only for the points drawn) and writes plots/*.png, report.md and a
/// self-contained report.html (docs/contract.md §7). Called at the end of <c>ntk run</c> and by <c>ntk report DIR</c>.
/// </summary>
/// <remarks>
/// Invariant: the output depends on results.json only — no clock, no system font (the plots use an embedded font), no
/// culture (rendering runs under the invariant culture, so tick labels and numbers never read "0,5") — so the same
/// results.json gives byte-identical PNGs and report files on any machine with the same ScottPlot/SkiaSharp versions.
/// Each file is written atomically.
/// </remarks>
internal static class ReportRenderer
{
    public const string ResultsFileName = "results.json";
    public const string MarkdownFileName = "report.md";
    public const string HtmlFileName = "report.html";
    public const string PlotsDirectoryName = "plots";

    /// <summary>File-name prefixes of the plots this renderer writes; older plots with these prefixes are removed.</summary>
    private static readonly string[] Families =
    [
        CorrelatorFigure.Family, KernelAngleFigure.Family, HistogramFigure.Family, DeviationFigure.Family, SpectrumFigure.Family,
    ];

    /// <summary>
    /// Renders the report of <paramref name="resultsDirectory"/>, logging one line per plot written or skipped (with
    /// the reason) to <paramref name="log"/>. Returns what was written.
    /// </summary>
    /// <exception cref="FileNotFoundException">The directory has no results.json.</exception>
    /// <exception cref="InvalidDataException">results.json is not a results file of this format.</exception>
    public static ReportOutcome Render(string resultsDirectory, TextWriter log) =>
        Render(resultsDirectory, log, ResultsJson.KeepAllPoints);

    /// <summary>As <see cref="Render(string, TextWriter)"/>, keeping every point in memory only up to
    /// <paramref name="keepAllPoints"/> points (<see cref="ResultsJson.Load"/>).</summary>
    /// <param name="known">What the writer of points.jsonl gathered of it (<see cref="ResultsJson.Load"/>).</param>
    internal static ReportOutcome Render(string resultsDirectory, TextWriter log, int keepAllPoints, ReportDigest? known = null)
    {
        var culture = CultureInfo.CurrentCulture;
        var uiCulture = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
            return RenderInvariant(resultsDirectory, log, keepAllPoints, known);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = uiCulture;
        }
    }

    private static ReportOutcome RenderInvariant(string resultsDirectory, TextWriter log, int keepAllPoints, ReportDigest? known)
    {
        var directory = Path.GetFullPath(resultsDirectory);
        var resultsPath = Path.Combine(directory, ResultsFileName);
        if (!File.Exists(resultsPath))
            throw new FileNotFoundException($"{resultsPath}: no results file (run `ntk run` first)", resultsPath);
        var results = ResultsJson.Load(directory, keepAllPoints, known);

        var plan = Plan(results);
        var plotsDirectory = Path.Combine(directory, PlotsDirectoryName);
        Directory.CreateDirectory(plotsDirectory);
        var images = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var written = new List<PlotWritten>();
        foreach (var draft in plan.Drafts)
        {
            var relative = PlotsDirectoryName + "/" + draft.FileName;
            if (images.ContainsKey(relative)) continue;
            var bytes = PlotStyle.ToPng(draft.Build());
            AtomicFile.WriteAllBytes(Path.Combine(plotsDirectory, draft.FileName), bytes);
            images[relative] = bytes;
            written.Add(new PlotWritten(draft.Family, relative, draft.Caption));
            log.WriteLine($"plot written: {relative}");
        }
        RemoveStalePlots(plotsDirectory, images.Keys.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal)!);
        foreach (var skipped in plan.Skipped) log.WriteLine(skipped.ToString());

        var document = ReportContent.Build(results, Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar)), written, plan.Skipped);
        var markdownPath = Path.Combine(directory, MarkdownFileName);
        var htmlPath = Path.Combine(directory, HtmlFileName);
        AtomicFile.WriteAllText(markdownPath, document.ToMarkdown());
        AtomicFile.WriteAllText(htmlPath, document.ToHtml(path => images[path]));
        log.WriteLine($"report written: {MarkdownFileName}, {HtmlFileName}");
        return new ReportOutcome(written, plan.Skipped, markdownPath, htmlPath);
    }

    /// <summary>Which figures the results can support, and why the others are skipped.</summary>
    internal static FigurePlan Plan(ResultsFile results)
    {
        var plan = new FigurePlan();
        var contexts = PlotContext.Split(results.Points, results.Totals);
        if (contexts.Count == 0)
        {
            foreach (var family in Families) plan.Skip(family, "no point has measurements yet (0 trials merged)");
            return plan;
        }
        CorrelatorFigure.Plan(contexts, plan);
        KernelAngleFigure.Plan(contexts, plan);
        HistogramFigure.Plan(contexts, plan);
        DeviationFigure.Plan(contexts, plan);
        SpectrumFigure.Plan(contexts, plan);
        return plan;
    }

    /// <summary>Deletes plots of this renderer's families left by an earlier render that this one did not write.</summary>
    private static void RemoveStalePlots(string plotsDirectory, IReadOnlySet<string> current)
    {
        foreach (var path in Directory.EnumerateFiles(plotsDirectory, "*.png"))
        {
            var name = Path.GetFileName(path);
            if (!current.Contains(name) && Families.Any(f => name.StartsWith(f, StringComparison.Ordinal))) File.Delete(path);
        }
    }
}
