using Ntk.Cli.Results;
using ScottPlot;

namespace Ntk.Cli.Report;

/// <summary>
/// The spectrum of the m×m empirical NTK against depth: the median of λ_max and of λ_min over sampled networks with
/// whiskers from the 10% to the 90% quantile (from the points' quantile sketches, docs/contract.md §6), one colour per width. With
/// pair inputs one angle is shown, the one closest to 90° (K is singular at θ = 0, where λ_min = 0).
/// </summary>
internal static class SpectrumFigure
{
    public const string Family = "spectrum-vs-depth";

    private const double PreferredAngle = 90;
    private const double LowerQuantile = 0.1;
    private const double UpperQuantile = 0.9;

    private sealed record Summary(double Median, double Lower, double Upper);

    public static void Plan(IReadOnlyList<PlotContext> contexts, FigurePlan plan)
    {
        foreach (var context in contexts)
        {
            var points = context.Points.Where(p => Summarize(p, "lambda_max") is not null).ToList();
            if (points.Count == 0)
            {
                plan.Skip(Family, context, "no point has quantile sketches of λ_max and λ_min");
                continue;
            }
            double? angle = null;
            if (context.IsPair)
            {
                angle = points.Select(p => p.ThetaDeg ?? 0).OrderBy(a => Math.Abs(a - PreferredAngle)).ThenBy(a => a).First();
                points = points.Where(p => p.ThetaDeg == angle).ToList();
            }
            if (points.Select(p => p.Depth).Distinct().Count() < 2)
            {
                plan.Skip(Family, context, "the sweep has a single depth, so there is no depth axis");
                continue;
            }
            var angleText = angle is { } a ? $" at θ = {PointLookups.Degrees(a)}" : "";
            var caption =
                $"Largest and smallest eigenvalue of the empirical NTK{angleText} against depth ({context.Facts}), one colour per width: " +
                $"markers are the median over sampled networks, whiskers span the 10%–90% quantiles (from the quantile sketches); " +
                "filled circles and solid lines λ_max, open circles and dashed lines λ_min; the widths are offset slightly left and right of their depth so that their whiskers do not overlap.";
            plan.Add(Family, $"spectrum-vs-depth{context.FileSuffix}.png", caption, () => Draw(points, angle, context));
        }
    }

    private static Summary? Summarize(PointResult point, string stat)
    {
        if (point.FindSketch(stat) is not { } sketch) return null;
        if (sketch.Quantile(0.5) is not { } median) return null;
        return new Summary(median, sketch.Quantile(LowerQuantile) ?? median, sketch.Quantile(UpperQuantile) ?? median);
    }

    private static Plot Draw(IReadOnlyList<PointResult> points, double? angle, PlotContext context)
    {
        var groups = points.GroupBy(p => p.WidthsText())
            .OrderBy(g => g.Min(p => p.Widths.Min())).ThenBy(g => g.Key).ToList();
        var summaries = points.SelectMany(p => new[] { Summarize(p, "lambda_max"), Summarize(p, "lambda_min") })
            .OfType<Summary>().ToList();
        var values = summaries.SelectMany(s => new[] { s.Median, s.Lower, s.Upper }).ToList();
        var logY = PlotStyle.SpansDecades(values.Where(v => v > 0), 1.5) && values.Any(v => v > 0);
        // Depths spanning more than ~1.3 decades (1 … 20 and beyond) go on a log axis, else small depths crowd together.
        var logX = PlotStyle.SpansDecades(points.Select(p => (double)p.Depth), 1.3);
        var plot = PlotStyle.NewPlot(
            "NTK spectrum vs depth" + (angle is { } a ? $", θ = {PointLookups.Degrees(a)}" : "") + context.TitleSuffix,
            logX ? "depth L (hidden layers; log scale)" : "depth L (hidden layers)",
            logY ? "eigenvalue of K (log scale)" : "eigenvalue of K");

        double DepthX(int depth) => logX ? Math.Log10(depth) : depth;
        var depths = points.Select(p => DepthX(p.Depth)).Distinct().Order().ToList();
        var step = depths.Count > 1 ? depths.Zip(depths.Skip(1), (x, y) => y - x).Min() : 1;
        var spread = 0.25 * step;
        // On a log axis a quantile ≤ 0 (λ_min of a singular K) cannot be drawn: its whisker runs to the bottom edge.
        var positive = values.Where(v => v > 0).ToList();
        var bottom = logY ? Math.Log10(positive.Min()) - 0.15 : values.Min();
        var top = logY ? Math.Log10(positive.Max()) + 0.15 : values.Max();
        double Display(double value) => logY ? (value > 0 ? Math.Log10(value) : bottom) : value;
        for (var i = 0; i < groups.Count; i++)
        {
            var color = PlotStyle.CategoricalColor(i);
            var offset = groups.Count == 1 ? 0 : spread * (i / (double)(groups.Count - 1) - 0.5);
            var ordered = groups[i].OrderBy(p => p.Depth).ToList();
            foreach (var (stat, marker, pattern) in new[]
                     {
                         ("lambda_max", MarkerShape.FilledCircle, LinePattern.Solid),
                         ("lambda_min", MarkerShape.OpenCircle, LinePattern.Dashed),
                     })
            {
                var xs = new List<double>();
                var ys = new List<double>();
                var below = new List<double>();
                var above = new List<double>();
                foreach (var point in ordered)
                {
                    if (Summarize(point, stat) is not { } summary) continue;
                    if (logY && !(summary.Median > 0)) continue;
                    var y = Display(summary.Median);
                    xs.Add(DepthX(point.Depth) + offset);
                    ys.Add(y);
                    below.Add(Math.Max(0, y - Display(summary.Lower)));
                    above.Add(Math.Max(0, Display(summary.Upper) - y));
                }
                PlotStyle.AddPointsWithErrors(plot, xs, ys, below, above, color, marker, pattern);
            }
            plot.Legend.ManualItems.Add(PlotStyle.Entry(groups[i].First().WidthsText(), color, MarkerShape.FilledCircle, LinePattern.Solid));
        }
        plot.Legend.ManualItems.Add(PlotStyle.Entry("λₘₐₓ (median)", PlotStyle.Black, MarkerShape.FilledCircle, LinePattern.Solid));
        plot.Legend.ManualItems.Add(PlotStyle.Entry("λₘᵢₙ (median)", PlotStyle.Black, MarkerShape.OpenCircle, LinePattern.Dashed));
        plot.Legend.ManualItems.Add(PlotStyle.Entry("whiskers: 10%–90%", PlotStyle.Black, MarkerShape.VerticalBar));
        PlotStyle.ShowLegendOutside(plot);

        plot.Axes.SetLimitsX(depths.Min() - 0.5 * step, depths.Max() + 0.5 * step);
        if (logX) PlotStyle.UseLogTicks(plot.Axes.Bottom, depths.Min() - 0.5 * step, depths.Max() + 0.5 * step);
        else PlotStyle.UseIntegerTicks(plot.Axes.Bottom);
        var margin = logY ? 0 : 0.06 * Math.Max(top - bottom, 1e-12);
        plot.Axes.SetLimitsY(bottom - margin, top + margin);
        if (logY) PlotStyle.UseLogTicks(plot.Axes.Left, bottom, top);
        return plot;
    }
}
