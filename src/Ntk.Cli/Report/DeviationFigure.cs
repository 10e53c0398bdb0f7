using Ntk.Cli.Results;
using ScottPlot;

namespace Ntk.Cli.Report;

/// <summary>
/// The relative finite-width deviation (E[K_01] − Θ_01)/Θ_01 against β = Σ_l 1/n_l (= L/n when every hidden layer has
/// width n), one series per angle, ± 1 SE/|Θ_01|. Infinite-width theory predicts 0; docs/science.md §5 expects corrections
/// that grow with L/n (about +19% at L = 10, n = 32, θ = 45°). Angles where Θ_01 is (nearly) 0 are left out: the
/// relative deviation is undefined there.
/// </summary>
internal static class DeviationFigure
{
    public const string Family = "deviation-vs-depth-over-width";

    /// <summary>|Θ_01| below this fraction of Θ_00 counts as zero (the ratio would be noise over nothing).</summary>
    private const double NegligibleReference = 1e-3;

    public static void Plan(IReadOnlyList<PlotContext> contexts, FigurePlan plan)
    {
        foreach (var context in contexts)
        {
            var usable = context.Points.Where(p => p.Find("ntk", null, 0, 1) is { InfiniteWidth: { } t } && double.IsFinite(t)).ToList();
            if (usable.Count == 0)
            {
                plan.Skip(Family, context, "no point has an off-diagonal K_01 with an infinite-width value Θ_01");
                continue;
            }
            if (usable.Select(p => p.InverseWidthSum()).Distinct().Count() < 2)
            {
                plan.Skip(Family, context, "the sweep has a single depth and width (one value of L/n), so there is no L/n axis");
                continue;
            }
            var excluded = usable.Where(p => !HasReference(p)).Select(p => p.ThetaDeg).Distinct().OrderBy(t => t).ToList();
            var kept = context.ThinAngles(usable.Where(HasReference).ToList(), out var thinned);
            if (kept.Count == 0)
            {
                plan.Skip(Family, context, "Θ_01 is 0 at every angle of the sweep, so the relative deviation is undefined");
                continue;
            }
            var excludedText = excluded.Count == 0 ? ""
                : " Left out, because Θ_01 ≈ 0 there: θ = " + string.Join(", ", excluded.Take(PlotContext.MaxAngleSeries).Select(t => PointLookups.Degrees(t ?? 0))) +
                  (excluded.Count > PlotContext.MaxAngleSeries ? $" and {excluded.Count - PlotContext.MaxAngleSeries} more" : "") + ".";
            var caption =
                $"Relative finite-width deviation of the mean off-diagonal NTK from its infinite-width value, (E[K_01] − Θ_01)/Θ_01 ± 1 SE, " +
                $"against β = Σ_l 1/n_l (= L/n for equal widths; {context.Facts}), one colour per angle, one marker per depth; " +
                "lines join the widths of one depth. " +
                "Infinite-width theory predicts 0 (grey line)." + excludedText + thinned;
            plan.Add(Family, $"deviation-vs-depth-over-width{context.FileSuffix}.png", caption, () => Draw(kept, context));
        }
    }

    private static readonly MarkerShape[] DepthMarkers =
    [
        MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond,
        MarkerShape.OpenCircle, MarkerShape.OpenSquare, MarkerShape.OpenTriangleUp, MarkerShape.OpenDiamond,
    ];

    private static MarkerShape DepthMarker(int index) => DepthMarkers[index % DepthMarkers.Length];

    private static bool HasReference(PointResult point)
    {
        var off = point.Find("ntk", null, 0, 1)!.InfiniteWidth!.Value;
        var diagonal = point.Find("ntk", null, 0, 0)?.InfiniteWidth ?? 2.0 * (point.Depth + 1) / point.InputDim;
        return Math.Abs(off) > NegligibleReference * Math.Abs(diagonal);
    }

    private static Plot Draw(IReadOnlyList<PointResult> points, PlotContext context)
    {
        var series = points.GroupBy(p => p.ThetaDeg).OrderBy(g => g.Key).ToList();
        var betas = points.Select(p => p.InverseWidthSum()).ToList();
        var logX = PlotStyle.SpansDecades(betas, 1.0);
        var plot = PlotStyle.NewPlot(
            "Finite-width deviation of E[K₀₁] from Θ₀₁" + context.TitleSuffix,
            logX ? "β = Σₗ 1/nₗ  (= L/n; log scale)" : "β = Σₗ 1/nₗ  (= L/n)",
            "(E[K₀₁] − Θ₀₁) / Θ₀₁  (%)");
        PlotStyle.AddHorizontal(plot, 0, PlotStyle.Grey, LinePattern.Solid, 1.5f);

        // Colour = angle, marker = depth; a line joins the points of one (angle, depth) across widths. Points of
        // different depths are not joined: their corrections differ at equal β (at L = 1 the mean is exact at every width).
        var depths = points.Select(p => p.Depth).Distinct().Order().ToList();
        var allY = new List<double> { 0 };
        for (var i = 0; i < series.Count; i++)
        {
            var color = context.IsPair ? PlotStyle.Ordered(i, series.Count) : PlotStyle.CategoricalColor(0);
            foreach (var depthGroup in series[i].GroupBy(p => p.Depth).OrderBy(g => g.Key))
            {
                var ordered = depthGroup.OrderBy(p => p.InverseWidthSum()).ThenBy(p => p.Point).ToList();
                var xs = new List<double>();
                var ys = new List<double>();
                var errors = new List<double>();
                foreach (var point in ordered)
                {
                    var measured = point.Find("ntk", null, 0, 1)!;
                    var reference = measured.InfiniteWidth!.Value;
                    var beta = point.InverseWidthSum();
                    xs.Add(logX ? Math.Log10(beta) : beta);
                    ys.Add(100 * (measured.Mean - reference) / reference);
                    errors.Add(100 * measured.ErrorBar() / Math.Abs(reference));
                }
                allY.AddRange(ys.Zip(errors, (y, e) => y + e));
                allY.AddRange(ys.Zip(errors, (y, e) => y - e));
                PlotStyle.AddPointsWithErrors(plot, xs, ys, errors, errors, color, DepthMarker(depths.IndexOf(depthGroup.Key)), LinePattern.Solid);
            }
            var label = series[i].Key is { } theta ? "θ = " + PointLookups.Degrees(theta) : "inputs 0 and 1";
            plot.Legend.ManualItems.Add(PlotStyle.Entry(label, color, MarkerShape.None, LinePattern.Solid));
        }
        if (depths.Count > 1)
            for (var d = 0; d < depths.Count; d++)
                plot.Legend.ManualItems.Add(PlotStyle.Entry($"L = {depths[d]}", PlotStyle.Black, DepthMarker(d)));
        plot.Legend.ManualItems.Add(PlotStyle.Entry("infinite width", PlotStyle.Grey, MarkerShape.None, LinePattern.Solid));
        PlotStyle.ShowLegendOutside(plot);

        var xValues = betas.Select(b => logX ? Math.Log10(b) : b).ToList();
        var xMargin = 0.05 * (xValues.Max() - xValues.Min());
        plot.Axes.SetLimitsX(xValues.Min() - xMargin, xValues.Max() + xMargin);
        if (logX) PlotStyle.UseLogTicks(plot.Axes.Bottom, xValues.Min() - xMargin, xValues.Max() + xMargin);
        var yMargin = 0.08 * Math.Max(allY.Max() - allY.Min(), 1e-9);
        plot.Axes.SetLimitsY(allY.Min() - yMargin, allY.Max() + yMargin);
        return plot;
    }
}
