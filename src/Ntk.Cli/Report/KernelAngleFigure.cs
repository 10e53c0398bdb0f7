using Ntk.Cli.Results;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Ntk.Cli.Report;

/// <summary>
/// The off-diagonal NTK E[K_01] against the angle θ between the two unit inputs, for one (depth, width): the Monte
/// Carlo mean ± 1 SE, the infinite-width Θ_01 (arc-cosine recursion, docs/science.md §4) and the paper's Theorem 1.1
/// (docs/science.md §6) as curves in θ (<see cref="TheoryCurves"/>) and the exact diagonal E[K_aa] = 2(L+1)/n0 (docs/science.md §5), which K_01 reaches at θ = 0.
/// </summary>
internal static class KernelAngleFigure
{
    public const string Family = "kernel-vs-angle";

    public static void Plan(IReadOnlyList<PlotContext> contexts, FigurePlan plan)
    {
        foreach (var context in contexts)
        {
            if (!context.IsPair)
            {
                plan.Skip(Family, context, "the inputs are not a pair at an angle (sphere or csv inputs), so there is no angle axis");
                continue;
            }
            var groups = context.Points
                .GroupBy(p => (p.Depth, Widths: p.WidthsLabel()))
                .OrderBy(g => g.Key.Depth).ThenBy(g => g.Min(p => p.Widths.Min())).ThenBy(g => g.Key.Widths)
                .ToList();
            foreach (var group in groups)
            {
                var points = group.Where(p => p.Find("ntk", null, 0, 1) is not null).OrderBy(p => p.ThetaDeg).ToList();
                if (points.Select(p => p.ThetaDeg).Distinct().Count() < 2)
                {
                    plan.Skip(Family, context, "the sweep has a single angle, so there is no angle axis");
                    continue;
                }
                var first = points[0];
                var fileName = $"kernel-vs-angle-L{first.Depth}-{first.WidthsSlug()}{context.FileSuffix}.png";
                var caption =
                    $"Mean off-diagonal NTK E[K_01] against the angle θ between the two unit-norm inputs (L = {first.Depth}, {first.WidthsText()}, {context.Facts}): " +
                    "Monte Carlo mean ± 1 SE, the infinite-width kernel Θ_01, the paper's Theorem 1.1, and the exact diagonal 2(L+1)/n0 that K_01 equals at θ = 0." +
                    Thinned(points, context);
                plan.Add(Family, fileName, caption, () => Draw(points, context));
            }
        }
    }

    /// <summary>The note of a figure drawn at fewer angles than the sweep has (a large sweep's points are thinned on loading).</summary>
    private static string Thinned(IReadOnlyList<PointResult> points, PlotContext context)
    {
        var drawn = points.Select(p => p.ThetaDeg).Distinct().Count();
        return context.TotalAngles > drawn
            ? $" Drawn at {drawn} of the {context.TotalAngles.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} angles, spread evenly; every angle is in results.csv."
            : "";
    }

    private static Plot Draw(IReadOnlyList<PointResult> points, PlotContext context)
    {
        var first = points[0];
        var plot = PlotStyle.NewPlot(
            $"Off-diagonal NTK vs angle, L = {first.Depth}, {first.WidthsText()}{context.TitleSuffix}",
            "angle θ between the inputs (degrees)",
            "E[K₀₁]  (unit-norm inputs)");
        var angles = new List<double>();
        var means = new List<double>();
        var errors = new List<double>();
        var paperAngles = new List<double>();
        var paper = new List<double>();
        var hasTheta = false;
        foreach (var point in points)
        {
            var measured = point.Find("ntk", null, 0, 1)!;
            var angle = point.ThetaDeg ?? 0;
            angles.Add(angle);
            means.Add(measured.Mean);
            errors.Add(measured.ErrorBar());
            hasTheta |= measured.InfiniteWidth is { } infinite && double.IsFinite(infinite);
            if (measured.Paper is { } claimed && double.IsFinite(claimed))
            {
                paperAngles.Add(angle);
                paper.Add(claimed);
            }
        }
        // The predictions as functions of θ (the sampled angles alone would draw them as straight segments).
        var theta = hasTheta ? TheoryCurves.InfiniteWidthKernel(first.InputDim, first.Depth) : [];
        var paperCurve = paper.Count > 0 ? TheoryCurves.Theorem11(first.InputDim, first.Depth) : [];
        // Pair inputs are unit vectors (docs/contract.md §5), so ‖x‖² = 1 in 2(L+1)‖x‖²/n0.
        var diagonal = 2.0 * (first.Depth + 1) / first.InputDim;

        var measuredColor = PlotStyle.CategoricalColor(0);
        var paperColor = PlotStyle.CategoricalColor(1);
        PlotStyle.AddHorizontal(plot, diagonal, PlotStyle.Grey, LinePattern.Dotted, 2);
        PlotStyle.AddHorizontal(plot, 0, PlotStyle.Grey, LinePattern.Solid, 1);
        PlotStyle.AddLine(plot, theta.Count > 0 ? TheoryCurves.Angles : [], theta, PlotStyle.Black, LinePattern.Solid);
        if (paper.Count > 0)
        {
            PlotStyle.AddLine(plot, TheoryCurves.Angles, paperCurve, paperColor, LinePattern.Dashed);
            var paperMarkers = plot.Add.Scatter(paperAngles.ToArray(), paper.ToArray(), paperColor);
            paperMarkers.LineWidth = 0;
            paperMarkers.MarkerShape = MarkerShape.OpenTriangleUp;
            paperMarkers.MarkerSize = 9;
        }
        PlotStyle.AddPointsWithErrors(plot, angles, means, errors, errors, measuredColor, MarkerShape.FilledCircle, line: null, markerSize: 10);

        plot.Legend.ManualItems.Add(PlotStyle.Entry("measured ± 1 SE", measuredColor, MarkerShape.FilledCircle));
        if (theta.Count > 0) plot.Legend.ManualItems.Add(PlotStyle.Entry("infinite width Θ₀₁", PlotStyle.Black, MarkerShape.None, LinePattern.Solid));
        if (paper.Count > 0) plot.Legend.ManualItems.Add(PlotStyle.Entry("paper, Thm 1.1", paperColor, MarkerShape.OpenTriangleUp, LinePattern.Dashed));
        plot.Legend.ManualItems.Add(PlotStyle.Entry("2(L+1)/n₀ = " + PointLookups.Format(diagonal, 4), PlotStyle.Grey, MarkerShape.None, LinePattern.Dotted));
        PlotStyle.ShowLegendOutside(plot);

        plot.Axes.Bottom.TickGenerator = new NumericFixedInterval(30);
        plot.Axes.SetLimitsX(-8, 188);
        var values = means.Concat(theta).Concat(paperCurve).Append(diagonal).Append(0.0).ToList();
        var low = values.Min();
        var high = values.Max();
        var margin = 0.06 * (high - low);
        plot.Axes.SetLimitsY(low - margin, high + margin);
        return plot;
    }
}
