using Ntk.Cli.Results;
using ScottPlot;

namespace Ntk.Cli.Report;

/// <summary>
/// The distribution over sampled networks of the diagonal K_00 and of the off-diagonal K_01, from the point's
/// mergeable quantile sketch (DDSketch buckets, docs/contract.md §6), for a few representative points: the smallest, middle and
/// largest β = Σ 1/n_l (finite-width effect) at the angle closest to 45°. The mean and the infinite-width Θ are marked.
/// </summary>
/// <remarks>
/// The sketch's buckets are geometric (relative width 2α), far finer than a reader needs and of very unequal widths,
/// so they are re-binned onto <see cref="DisplayBins"/> equal bins over the view <see cref="ChooseView"/> picks (log or
/// linear axis); a bucket's count is shared between display bins in proportion to overlap. Densities are normalised by the total count, so the area drawn is the fraction of networks in view.
/// </remarks>
internal static class HistogramFigure
{
    public const string Family = "histogram";

    private const int DisplayBins = 60;
    private const int RepresentativePoints = 3;
    private const double PreferredAngle = 45;

    /// <summary>At most this fraction of networks with K ≤ 0 may be left out of a log-scale histogram.</summary>
    private const double MaxHiddenFraction = 0.15;

    public static void Plan(IReadOnlyList<PlotContext> contexts, FigurePlan plan)
    {
        foreach (var context in contexts)
        {
            var candidates = context.Points
                .Where(p => p.FindSketch("ntk", 0, 0) is not null)
                .ToList();
            if (candidates.Count == 0)
            {
                plan.Skip(Family, context, "no point has a quantile sketch of K_00 with buckets (results.json holds no sketches)");
                continue;
            }
            if (context.IsPair)
            {
                var angle = candidates.Select(p => p.ThetaDeg ?? 0)
                    .OrderBy(a => Math.Abs(a - PreferredAngle)).ThenBy(a => a).First();
                candidates = candidates.Where(p => p.ThetaDeg == angle).ToList();
            }
            foreach (var point in Representatives(candidates))
            {
                var angleSlug = point.ThetaDeg is { } t ? "-t" + PointLookups.Format(t, 6).Replace('.', 'p') : "";
                var stem = $"L{point.Depth}-{point.WidthsSlug()}{angleSlug}{context.FileSuffix}";
                var where = Describe(point, context);
                plan.Add(Family, $"histogram-K00-{stem}.png",
                    $"Distribution of the diagonal NTK entry K_00 over {point.Trials:N0} sampled networks ({where}), from the quantile sketch; " +
                    "the solid line is the Monte Carlo mean, the dashed line the exact mean 2(L+1)/n0 (= Θ_00 at every width).",
                    () => Draw(point, 0, context));
                if (point.FindSketch("ntk", 0, 1) is not null)
                {
                    plan.Add(Family, $"histogram-K01-{stem}.png",
                        $"Distribution of the off-diagonal NTK entry K_01 over {point.Trials:N0} sampled networks ({where}), from the quantile sketch; " +
                        "the solid line is the Monte Carlo mean, the dashed line the infinite-width Θ_01.",
                        () => Draw(point, 1, context));
                }
            }
        }
    }

    /// <summary>Up to three points: the smallest, the middle and the largest β = Σ 1/n_l (ties broken by depth, then index).</summary>
    private static IEnumerable<PointResult> Representatives(IReadOnlyList<PointResult> candidates)
    {
        var sorted = candidates.OrderBy(p => p.InverseWidthSum()).ThenBy(p => p.Depth).ThenBy(p => p.Point).ToList();
        var indices = sorted.Count <= RepresentativePoints
            ? Enumerable.Range(0, sorted.Count)
            : new[] { 0, (sorted.Count - 1) / 2, sorted.Count - 1 };
        return indices.Distinct().Select(i => sorted[i]);
    }

    private static string Describe(PointResult point, PlotContext context)
    {
        var parts = new List<string> { $"L = {point.Depth}", point.WidthsText() };
        if (point.ThetaDeg is { } theta) parts.Add("θ = " + PointLookups.Degrees(theta));
        parts.Add(context.Facts);
        return string.Join(", ", parts);
    }

    private static Plot Draw(PointResult point, int b, PlotContext context)
    {
        var sketch = point.FindSketch("ntk", 0, b)!;
        var statistic = point.Find("ntk", null, 0, b);
        var name = b == 0 ? "K₀₀" : "K₀₁";
        var reference = statistic?.InfiniteWidth is { } stored && double.IsFinite(stored) ? stored
            // Pair inputs are unit vectors (docs/contract.md §5): E[K_00] = 2(L+1)/n0 exactly (docs/science.md §5).
            : b == 0 && point.ThetaDeg is not null ? 2.0 * (point.Depth + 1) / point.InputDim
            : (double?)null;

        var view = ChooseView(sketch, statistic?.Mean, reference);
        var logScale = view.LogScale;
        var (centers, densities, width) = Rebin(sketch, view);

        var title = $"Distribution of {name}, L = {point.Depth}, {point.WidthsText()}" +
                    (point.ThetaDeg is { } theta ? ", θ = " + PointLookups.Degrees(theta) : "") + context.TitleSuffix;
        var plot = PlotStyle.NewPlot(title,
            view.Axis switch
            {
                HistogramAxis.Log => $"{name} (log scale; unit-norm inputs)",
                HistogramAxis.SymLog => $"{name} (symmetric log scale, linear within ±{Compact(view.LinearScale)}; unit-norm inputs)",
                _ => $"{name} (unit-norm inputs)",
            },
            view.Axis switch
            {
                HistogramAxis.Log => "fraction of networks per decade",
                HistogramAxis.SymLog => "fraction of networks per axis unit",
                _ => "probability density",
            });

        var color = PlotStyle.CategoricalColor(b == 0 ? 0 : 2);
        var bars = new List<Bar>(centers.Length);
        for (var i = 0; i < centers.Length; i++)
        {
            bars.Add(new Bar
            {
                Position = centers[i], Value = densities[i], Size = width,
                FillColor = color.WithAlpha(0.55), LineWidth = 0, LineColor = color,
            });
        }
        plot.Add.Bars(bars);

        var transform = view.Transform;
        var meanColor = PlotStyle.Black;
        var referenceColor = PlotStyle.CategoricalColor(1);
        if (statistic is not null && (!logScale || statistic.Mean > 0))
            PlotStyle.AddVertical(plot, transform(statistic.Mean), meanColor, LinePattern.Solid, 2.5f);
        if (reference is { } r && double.IsFinite(r) && (!logScale || r > 0))
            PlotStyle.AddVertical(plot, transform(r), referenceColor, LinePattern.Dashed, 2.5f);

        plot.Legend.ManualItems.Add(PlotStyle.FillEntry(
            $"{sketch.Count:N0} networks ({InView(sketch, view):0.0%} in view)", color.WithAlpha(0.55)));
        if (logScale && view.NonPositiveFraction > 0)
            plot.Legend.ManualItems.Add(PlotStyle.FillEntry($"{view.NonPositiveFraction:0.0%} are ≤ 0 (not shown)", PlotStyle.Grey.WithAlpha(0.3)));
        if (view.Axis != HistogramAxis.Linear)
        {
            var zeros = ExactZeroFraction(sketch);
            if (zeros >= 0.01)
                plot.Legend.ManualItems.Add(PlotStyle.FillEntry($"{Percent(zeros)} of networks have {name} = 0 exactly", PlotStyle.Grey.WithAlpha(0.15)));
            if (TailMass(sketch, statistic?.Mean) is { } tail)
                plot.Legend.ManualItems.Add(PlotStyle.FillEntry(
                    $"heavy tail: {Percent(tail.Fraction)} of networks have |{name}| > {Compact(tail.Threshold)} ({tail.Basis})",
                    PlotStyle.Grey.WithAlpha(0.15)));
        }
        if (statistic is not null)
            plot.Legend.ManualItems.Add(PlotStyle.Entry(
                $"mean {PointLookups.Format(statistic.Mean, 4)} ± {PointLookups.Format(statistic.ErrorBar(), 2)}",
                meanColor, MarkerShape.None, LinePattern.Solid));
        if (reference is { } shown && double.IsFinite(shown))
            plot.Legend.ManualItems.Add(PlotStyle.Entry(
                (b == 0 ? "exact mean = " : "Θ₀₁ = ") + PointLookups.Format(shown, 4),
                referenceColor, MarkerShape.None, LinePattern.Dashed));
        PlotStyle.ShowLegendOutside(plot, Edge.Bottom);

        var low = transform(view.Low);
        var high = transform(view.High);
        if (logScale) PlotStyle.UseLogTicks(plot.Axes.Bottom, low, high);
        if (view.Axis == HistogramAxis.SymLog) PlotStyle.UseSymLogTicks(plot.Axes.Bottom, view.Low, view.High, view.LinearScale);
        plot.Axes.SetLimitsX(low, high);
        plot.Axes.SetLimitsY(0, (densities.Length == 0 ? 1 : densities.Max()) * 1.08);
        return plot;
    }

    /// <summary>How the histogram's value axis maps values to positions.</summary>
    internal enum HistogramAxis
    {
        Linear,
        Log,
        SymLog,
    }

    /// <summary>
    /// What the histogram shows: [Low, High] in data units, the axis, the mass at or below 0, and (symlog) the scale c
    /// of the linear zone.
    /// </summary>
    internal sealed record View(double Low, double High, HistogramAxis Axis, double NonPositiveFraction, double LinearScale = 1)
    {
        public bool LogScale => Axis == HistogramAxis.Log;

        /// <summary>Data value → axis position: x, log10 x, or the symmetric log sign(x)·log10(1 + |x|/c).</summary>
        public double Transform(double x) => Axis switch
        {
            HistogramAxis.Log => Math.Log10(x),
            HistogramAxis.SymLog => PlotStyle.SymLog(x, LinearScale),
            _ => x,
        };
    }

    /// <summary>
    /// A linear 0.5%–99.5% view is this many interquartile ranges wide or more: the bulk would be one or two bars at
    /// one end, so a heavy-tailed histogram is drawn on a symmetric log axis instead.
    /// </summary>
    private const double HeavyTailSpread = 40;

    /// <summary>
    /// A log axis when at most <see cref="MaxHiddenFraction"/> of the networks have K ≤ 0 and the positive values
    /// between the quantiles (f≤0 + 0.5%) and 99.9% span at least 1.5 decades (the NTK of narrow deep networks is
    /// close to log-normal, with a median far below the mean). Else, when the 0.5%–99.5% range is more than
    /// <see cref="HeavyTailSpread"/> interquartile ranges (a heavy tail, or an atom at 0 next to a spread-out rest), a
    /// symmetric log axis over every bucket, linear within ±c (c = the interquartile range, or 1/1000 of the range when
    /// that is 0). Else a linear axis over the 0.5%–99.5% quantiles. All are widened to show the mean and the reference.
    /// </summary>
    internal static View ChooseView(SketchEntry sketch, double? mean, double? reference)
    {
        var total = sketch.Bins.Sum(bin => bin[2]);
        var nonPositive = sketch.Bins.Where(bin => Math.Max(bin[0], bin[1]) <= 0).Sum(bin => bin[2]) / total;
        var markers = new[] { mean, reference }.OfType<double>().Where(double.IsFinite).ToList();
        if (nonPositive <= MaxHiddenFraction)
        {
            var low = BinQuantile(sketch, Math.Min(nonPositive + 0.005, 0.5));
            var high = BinQuantile(sketch, 0.999);
            foreach (var marker in markers.Where(m => m > 0))
            {
                low = Math.Min(low, marker);
                high = Math.Max(high, marker);
            }
            if (low > 0 && Math.Log10(high / low) >= 1.5) return new View(low / 1.05, high * 1.05, HistogramAxis.Log, nonPositive);
        }
        var linearLow = BinQuantile(sketch, 0.005);
        var linearHigh = BinQuantile(sketch, 0.995);
        var interquartile = BinQuantile(sketch, 0.75) - BinQuantile(sketch, 0.25);
        if (linearHigh - linearLow > HeavyTailSpread * interquartile && linearHigh > linearLow)
        {
            var smallest = sketch.Bins.Min(bin => Math.Min(bin[0], bin[1]));
            var largest = sketch.Bins.Max(bin => Math.Max(bin[0], bin[1]));
            foreach (var marker in markers)
            {
                smallest = Math.Min(smallest, marker);
                largest = Math.Max(largest, marker);
            }
            var scale = interquartile > 0 ? interquartile : (linearHigh - linearLow) / 1000;
            var pad = 0.03 * (PlotStyle.SymLog(largest, scale) - PlotStyle.SymLog(smallest, scale));
            return new View(PlotStyle.SymLogInverse(PlotStyle.SymLog(smallest, scale) - pad, scale),
                PlotStyle.SymLogInverse(PlotStyle.SymLog(largest, scale) + pad, scale), HistogramAxis.SymLog, nonPositive, scale);
        }
        foreach (var marker in markers)
        {
            linearLow = Math.Min(linearLow, marker);
            linearHigh = Math.Max(linearHigh, marker);
        }
        if (!(linearHigh > linearLow))
        {
            var half = Math.Max(Math.Abs(linearLow) * 0.05, 1e-12);
            return new View(linearLow - half, linearHigh + half, HistogramAxis.Linear, nonPositive);
        }
        var margin = 0.04 * (linearHigh - linearLow);
        return new View(linearLow - margin, linearHigh + margin, HistogramAxis.Linear, nonPositive);
    }

    /// <summary>
    /// The tail stated on log and symlog histograms: the fraction of networks whose |K| exceeds 10 × the median |K|
    /// (from the buckets, interpolated), or 10 × |mean| when most networks give exactly 0 (dead networks at small
    /// width and large depth); the threshold, and which of the two it is. Null when both scales are 0.
    /// </summary>
    internal static (double Fraction, double Threshold, string Basis)? TailMass(SketchEntry sketch, double? mean = null)
    {
        // |K| bucket by bucket: a bucket across 0 becomes [0, its larger end].
        var magnitudes = sketch.Bins.Select(bin =>
        {
            var (lower, upper) = (Math.Min(bin[0], bin[1]), Math.Max(bin[0], bin[1]));
            return lower >= 0 ? new[] { lower, upper, bin[2] }
                : upper <= 0 ? [-upper, -lower, bin[2]]
                : [0, Math.Max(-lower, upper), bin[2]];
        }).ToList();
        var median = BinQuantile(sketch with { Bins = magnitudes }, 0.5);
        var (scale, basis) = median > 0 ? (median, "10 × median |K|")
            : mean is { } m && Math.Abs(m) > 0 && double.IsFinite(m) ? (Math.Abs(m), "10 × |mean|")
            : (0.0, "");
        if (!(scale > 0)) return null;
        var threshold = 10 * scale;
        double above = 0, total = 0;
        foreach (var bin in magnitudes)
        {
            total += bin[2];
            if (bin[0] >= threshold) above += bin[2];
            else if (bin[1] > threshold) above += bin[2] * (bin[1] - threshold) / (bin[1] - bin[0]);
        }
        return total > 0 ? (above / total, threshold, basis) : null;
    }

    /// <summary>The fraction of networks in the sketch's zero bucket (K exactly 0: a layer with no active unit).</summary>
    internal static double ExactZeroFraction(SketchEntry sketch)
    {
        double zeros = 0, total = 0;
        foreach (var bin in sketch.Bins)
        {
            total += bin[2];
            if (bin[0] == 0 && bin[1] == 0) zeros += bin[2];
        }
        return total > 0 ? zeros / total : 0;
    }

    /// <summary>Two significant digits, with a short exponent below 0.001 or from 10 000 (1.6e-5, 2.4e6).</summary>
    private static string Compact(double value)
    {
        var magnitude = Math.Abs(value);
        if (magnitude == 0 || magnitude is >= 1e-3 and < 1e4) return PointLookups.Format(value, 2);
        var exponent = (int)Math.Floor(Math.Log10(magnitude));
        var mantissa = value / Math.Pow(10, exponent);
        return mantissa.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "e" +
               exponent.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A fraction as a percentage with two significant digits (0.012% rather than 0.0%).</summary>
    private static string Percent(double fraction) =>
        fraction == 0 ? "0%" : (100 * fraction).ToString(fraction >= 0.1 ? "0" : "G2", System.Globalization.CultureInfo.InvariantCulture) + "%";

    /// <summary>
    /// The q-quantile of the sketch's buckets (sorted by lower edge; linear interpolation inside the bucket where the
    /// cumulative count crosses q · total). Accurate to the sketch's relative accuracy.
    /// </summary>
    internal static double BinQuantile(SketchEntry sketch, double q)
    {
        var bins = sketch.Bins.OrderBy(bin => Math.Min(bin[0], bin[1])).ToList();
        var total = bins.Sum(bin => bin[2]);
        var target = Math.Clamp(q, 0, 1) * total;
        double cumulative = 0;
        foreach (var bin in bins)
        {
            var lower = Math.Min(bin[0], bin[1]);
            var upper = Math.Max(bin[0], bin[1]);
            if (cumulative + bin[2] >= target && bin[2] > 0)
                return lower + (upper - lower) * Math.Clamp((target - cumulative) / bin[2], 0, 1);
            cumulative += bin[2];
        }
        return Math.Max(bins[^1][0], bins[^1][1]);
    }

    /// <summary>The fraction of networks whose value lies in the view (on a log axis: positive and in the view).</summary>
    private static double InView(SketchEntry sketch, View view)
    {
        double inside = 0, total = 0;
        foreach (var bin in sketch.Bins)
        {
            total += bin[2];
            var lower = Math.Min(bin[0], bin[1]);
            var upper = Math.Max(bin[0], bin[1]);
            if (upper <= view.Low || lower >= view.High)
            {
                if (lower == upper && lower >= view.Low && lower <= view.High && !(view.LogScale && lower <= 0)) inside += bin[2];
                continue;
            }
            if (view.LogScale && lower <= 0) continue;
            inside += upper > lower ? bin[2] * (Math.Min(upper, view.High) - Math.Max(lower, view.Low)) / (upper - lower) : bin[2];
        }
        return total > 0 ? inside / total : 0;
    }

    /// <summary>
    /// Spreads each sketch bucket [lower, upper, count] over <see cref="DisplayBins"/> equal bins of the view's axis
    /// (values mapped by <see cref="View.Transform"/>; a log axis leaves out values ≤ 0), in proportion to overlap; a
    /// zero-width bucket goes to the bin holding it. Returns bin centres (axis positions), densities (count / (total ×
    /// bin width)) and the bin width.
    /// </summary>
    internal static (double[] Centers, double[] Densities, double Width) Rebin(SketchEntry sketch, View view)
    {
        var start = view.Transform(view.Low);
        var end = view.Transform(view.High);
        var width = (end - start) / DisplayBins;
        var counts = new double[DisplayBins];
        double total = 0;
        foreach (var bin in sketch.Bins)
        {
            var count = bin[2];
            total += count;
            var lower = Math.Min(bin[0], bin[1]);
            var upper = Math.Max(bin[0], bin[1]);
            if (view.LogScale && lower <= 0) continue;
            var from = view.Transform(lower);
            var to = view.Transform(upper);
            if (to <= from)
            {
                var index = (int)Math.Floor((from - start) / width);
                if (index >= 0 && index < DisplayBins) counts[index] += count;
                continue;
            }
            var first = Math.Max(0, (int)Math.Floor((from - start) / width));
            var last = Math.Min(DisplayBins - 1, (int)Math.Floor((to - start) / width));
            for (var i = first; i <= last; i++)
            {
                var overlap = Math.Min(to, start + (i + 1) * width) - Math.Max(from, start + i * width);
                if (overlap > 0) counts[i] += count * overlap / (to - from);
            }
        }
        var centers = new double[DisplayBins];
        var densities = new double[DisplayBins];
        for (var i = 0; i < DisplayBins; i++)
        {
            centers[i] = start + (i + 0.5) * width;
            densities[i] = total > 0 ? counts[i] / (total * width) : 0;
        }
        return (centers, densities, width);
    }
}
