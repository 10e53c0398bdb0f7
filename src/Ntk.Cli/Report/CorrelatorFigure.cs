using Ntk.Cli.Results;
using ScottPlot;

namespace Ntk.Cli.Report;

/// <summary>
/// Layer correlators c_l = E[ξ^l_a ξ^l_b] against the layer l, one colour per angle: the Monte Carlo estimate ± 1 SE,
/// the Rao–Blackwellized estimate (Gaussian weights) ± 1 SE, the infinite-width value κ0(ρ_l)/2 (docs/science.md §4), the
/// paper's conjectured limit 1/4 and the attracting fixed point 1/2 (docs/science.md §6, Remark §2.2). One figure per
/// width, drawn for the deepest network of that width: c_l does not depend on the layers above l, so the deepest
/// network shows every layer any point of the sweep has.
/// </summary>
internal static class CorrelatorFigure
{
    public const string Family = "correlator-vs-depth";

    public static void Plan(IReadOnlyList<PlotContext> contexts, FigurePlan plan)
    {
        foreach (var context in contexts)
        {
            if (!context.IsPair)
            {
                plan.Skip(Family, context, "the inputs are not a pair at an angle (sphere or csv inputs), so there is no angle to draw a series for");
                continue;
            }
            if (context.Points.Max(p => p.Depth) < 2)
            {
                plan.Skip(Family, context, "the sweep has a single depth (L = 1): every network has one hidden layer, so there is no layer axis");
                continue;
            }
            foreach (var group in context.Points.GroupBy(p => p.WidthsText()).OrderBy(g => g.Min(p => p.Widths.Min())).ThenBy(g => g.Key))
            {
                var depth = group.Max(p => p.Depth);
                if (depth < 2)
                {
                    plan.Skip(Family, context, $"the networks of {group.First().WidthsText()} have a single hidden layer");
                    continue;
                }
                var points = context.ThinAngles(group.Where(p => p.Depth == depth).OrderBy(p => p.ThetaDeg).ToList(), out var thinned);
                var first = points[0];
                var fileName = $"correlator-vs-depth-{first.WidthsSlug()}{context.FileSuffix}.png";
                var caption =
                    $"Layer correlators c_l of the deepest network (L = {depth}, {first.WidthsText()}, {context.Facts}), one colour per angle: " +
                    "filled circles are the Monte Carlo mean of the fraction of units active for both inputs ± 1 SE" +
                    (points.Any(p => p.Find("correlator_cond", 1, 0, 1) is not null) ? ", open squares the conditional (Rao–Blackwellized) estimator ± 1 SE" : "") +
                    "; dashed lines the infinite-width value; the dotted line is the paper's conjectured limit 1/4, the grey dashed line the fixed point 1/2 that deep correlators actually approach." + thinned;
                plan.Add(Family, fileName, caption, () => Draw(points, depth, context));
            }
        }
    }

    private static Plot Draw(IReadOnlyList<PointResult> points, int depth, PlotContext context)
    {
        var first = points[0];
        var plot = PlotStyle.NewPlot(
            $"Layer correlators, L = {depth}, {first.WidthsText()}{context.TitleSuffix}",
            "hidden layer l",
            "cₗ = P(unit active for both inputs)");
        var legend = new List<LegendItem>();
        var hasConditional = points.Any(p => p.Find("correlator_cond", 1, 0, 1) is not null);
        // Markers shrink for deep networks (≈ 560 px of data area shared by L layers), and the two estimators sit side
        // by side, about half a marker apart, so neither hides the other.
        var markerSize = (float)Math.Clamp(150.0 / depth, 5, 9);
        var offset = hasConditional ? 0.6 * markerSize * depth / 560 : 0;
        for (var i = 0; i < points.Count; i++)
        {
            var point = points[i];
            var color = PlotStyle.Ordered(i, points.Count);
            var layers = new List<double>();
            var means = new List<double>();
            var errors = new List<double>();
            var infiniteLayers = new List<double>();
            var infinite = new List<double>();
            var conditionalLayers = new List<double>();
            var conditional = new List<double>();
            var conditionalErrors = new List<double>();
            for (var layer = 1; layer <= depth; layer++)
            {
                if (point.Find("correlator", layer, 0, 1) is { } measured)
                {
                    layers.Add(layer - offset);
                    means.Add(measured.Mean);
                    errors.Add(measured.ErrorBar());
                    if (measured.InfiniteWidth is { } value && double.IsFinite(value))
                    {
                        infiniteLayers.Add(layer);
                        infinite.Add(value);
                    }
                }
                if (point.Find("correlator_cond", layer, 0, 1) is { } rao)
                {
                    conditionalLayers.Add(layer + offset);
                    conditional.Add(rao.Mean);
                    conditionalErrors.Add(rao.ErrorBar());
                }
            }
            PlotStyle.AddLine(plot, infiniteLayers, infinite, color, LinePattern.Dashed);
            PlotStyle.AddPointsWithErrors(plot, layers, means, errors, errors, color, MarkerShape.FilledCircle, line: null, markerSize);
            PlotStyle.AddPointsWithErrors(plot, conditionalLayers, conditional, conditionalErrors, conditionalErrors, color, MarkerShape.OpenSquare, line: null, markerSize);
            legend.Add(PlotStyle.Entry("θ = " + PointLookups.Degrees(point.ThetaDeg ?? 0), color, MarkerShape.FilledCircle));
        }
        PlotStyle.AddHorizontal(plot, 0.25, PlotStyle.Black, LinePattern.Dotted, 2);
        PlotStyle.AddHorizontal(plot, 0.5, PlotStyle.Grey, LinePattern.Dashed, 1.5f);

        legend.Add(PlotStyle.Entry("measured ± 1 SE", PlotStyle.Black, MarkerShape.FilledCircle));
        if (hasConditional) legend.Add(PlotStyle.Entry("conditional est. ± 1 SE", PlotStyle.Black, MarkerShape.OpenSquare));
        legend.Add(PlotStyle.Entry("infinite width", PlotStyle.Black, MarkerShape.None, LinePattern.Dashed));
        legend.Add(PlotStyle.Entry("paper: → 1/4", PlotStyle.Black, MarkerShape.None, LinePattern.Dotted));
        legend.Add(PlotStyle.Entry("fixed point 1/2", PlotStyle.Grey, MarkerShape.None, LinePattern.Dashed));
        plot.Legend.ManualItems.AddRange(legend);
        PlotStyle.ShowLegendOutside(plot);

        PlotStyle.UseIntegerTicks(plot.Axes.Bottom);
        plot.Axes.SetLimitsX(0.5, depth + 0.5);
        plot.Axes.SetLimitsY(-0.02, 0.56);
        return plot;
    }
}
