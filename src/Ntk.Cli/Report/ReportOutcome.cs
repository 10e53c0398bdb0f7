using ScottPlot;

namespace Ntk.Cli.Report;

/// <summary>A plot written to the results directory.</summary>
/// <param name="Family">The kind of plot, e.g. "kernel-vs-angle".</param>
/// <param name="RelativePath">Path relative to the results directory, with forward slashes ("plots/x.png").</param>
/// <param name="Caption">One or two sentences saying what the figure shows.</param>
internal sealed record PlotWritten(string Family, string RelativePath, string Caption);

/// <summary>A plot that was not drawn because the sweep lacks the axis it needs.</summary>
internal sealed record PlotSkipped(string Family, string Reason)
{
    public override string ToString() => $"{Family}: skipped, {Reason}";
}

/// <summary>What <see cref="ReportRenderer.Render"/> wrote.</summary>
/// <param name="MarkdownPath">Absolute path of report.md.</param>
/// <param name="HtmlPath">Absolute path of report.html.</param>
internal sealed record ReportOutcome(
    IReadOnlyList<PlotWritten> PlotsWritten, IReadOnlyList<PlotSkipped> PlotsSkipped, string MarkdownPath, string HtmlPath);

/// <summary>A figure that has its data and is ready to draw.</summary>
internal sealed record FigureDraft(string Family, string FileName, string Caption, Func<Plot> Build);

/// <summary>Collects the figures each plot family can draw for a sweep, and the ones it must skip with a reason.</summary>
internal sealed class FigurePlan
{
    private readonly List<FigureDraft> _drafts = [];
    private readonly List<PlotSkipped> _skipped = [];

    public IReadOnlyList<FigureDraft> Drafts => _drafts;
    public IReadOnlyList<PlotSkipped> Skipped => _skipped;

    public void Add(string family, string fileName, string caption, Func<Plot> build) =>
        _drafts.Add(new FigureDraft(family, fileName, caption, build));

    public void Skip(string family, string reason) => _skipped.Add(new PlotSkipped(family, reason));

    /// <summary>Records that a family was skipped for one context (the context is named when the sweep has several).</summary>
    public void Skip(string family, PlotContext context, string reason)
    {
        var text = context.Description.Length == 0 ? reason : $"{reason} ({context.Description})";
        if (!_skipped.Any(s => s.Family == family && s.Reason == text)) _skipped.Add(new PlotSkipped(family, text));
    }
}
