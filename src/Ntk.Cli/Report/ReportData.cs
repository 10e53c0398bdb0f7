using System.Globalization;
using Ntk.Cli.Results;

namespace Ntk.Cli.Report;

/// <summary>Look-ups into one point of results.json (the statistic names are those of results.csv, docs/contract.md §7).</summary>
internal static class PointLookups
{
    /// <summary>The statistic with this name, layer and inputs, or null when the point has none (or it is not finite).</summary>
    public static StatisticResult? Find(this PointResult point, string stat, int? layer = null, int? a = null, int? b = null)
    {
        foreach (var statistic in point.Statistics)
            if (statistic.Stat == stat && statistic.Layer == layer && statistic.A == a && statistic.B == b)
                return double.IsFinite(statistic.Mean) ? statistic : null;
        return null;
    }

    /// <summary>The quantile sketch of this statistic, or null when the point has none or it holds no sample.</summary>
    public static SketchEntry? FindSketch(this PointResult point, string stat, int? a = null, int? b = null)
    {
        // Sketches stored in point-states.bin: look the statistic up in the list, read the buckets only if it is there.
        if (point.Sketches is StoredSketches stored) return stored.Find(stat, a, b);
        foreach (var sketch in point.Sketches)
            if (sketch.Stat == stat && sketch.A == a && sketch.B == b)
                return sketch.Count > 0 && sketch.Bins.Count > 0 ? sketch : null;
        return null;
    }

    /// <summary>The stored quantile q of a sketch (keys are the "R" text of q), or null.</summary>
    public static double? Quantile(this SketchEntry sketch, double q) =>
        sketch.Quantiles.TryGetValue(q.ToString("R", CultureInfo.InvariantCulture), out var value) && double.IsFinite(value)
            ? value
            : null;

    /// <summary>The standard error, with a missing (NaN, fewer than two trials) one shown as 0.</summary>
    public static double ErrorBar(this StatisticResult statistic) =>
        double.IsFinite(statistic.StdErr) ? statistic.StdErr : 0;

    /// <summary>True when the point has measurements (at least one trial merged).</summary>
    public static bool IsMeasured(this PointResult point) => point.Trials > 0 && point.Statistics.Count > 0;

    /// <summary>β = Σ_l 1/n_l, the finite-width parameter of Hanin &amp; Nica (2019); L/n when every width is n.</summary>
    public static double InverseWidthSum(this PointResult point) => point.Widths.Sum(w => 1.0 / w);

    /// <summary>"n = 64" when every hidden layer has the same width, else "widths 8×16×32".</summary>
    public static string WidthsText(this PointResult point) =>
        point.Widths.Distinct().Count() == 1 ? "n = " + point.Widths[0].ToString(CultureInfo.InvariantCulture)
            : "widths " + string.Join("×", point.Widths);

    /// <summary>The widths joined by "x", as in results.csv ("64x64x64").</summary>
    public static string WidthsLabel(this PointResult point) => string.Join("x", point.Widths);

    /// <summary>For tables next to a depth column: "64" when every hidden layer has width 64, else "8x16x32".</summary>
    public static string WidthsShort(this PointResult point) =>
        point.Widths.Distinct().Count() == 1 ? point.Widths[0].ToString(CultureInfo.InvariantCulture) : point.WidthsLabel();

    /// <summary>The widths as a file-name fragment: "n64" when uniform, else "n8-16-32".</summary>
    public static string WidthsSlug(this PointResult point) =>
        point.Widths.Distinct().Count() == 1 ? "n" + point.Widths[0].ToString(CultureInfo.InvariantCulture)
            : "n" + string.Join("-", point.Widths);

    /// <summary>Number formatted for plot labels and tables: up to <paramref name="significant"/> digits, invariant culture.</summary>
    public static string Format(double value, int significant = 4) =>
        double.IsNaN(value) ? "NaN"
        : double.IsInfinity(value) ? (value > 0 ? "∞" : "−∞")
        : value.ToString("G" + significant, CultureInfo.InvariantCulture);

    /// <summary>An angle in degrees, e.g. "45°" or "22.5°".</summary>
    public static string Degrees(double degrees) => Format(degrees, 6) + "°";
}

/// <summary>
/// Points that differ only in the axes a plot draws (depth, widths, angle) form one context; a sweep that also varies
/// the input dimension, the weight law, the engine, the input phase or the input set gets one figure per context.
/// </summary>
internal sealed record PlotContext(string Slug, string Description, IReadOnlyList<PointResult> Points)
{
    /// <summary>
    /// Splits the measured points into contexts, in order of their first point. The slug and description name only
    /// the fields that vary across the sweep (both are empty for a sweep that varies none).
    /// </summary>
    public static IReadOnlyList<PlotContext> Split(IReadOnlyList<PointResult> points, PointTotals? totals = null)
    {
        var measured = points.Where(p => p.IsMeasured()).OrderBy(p => p.Point).ToList();
        // The engine is an axis only where one network was measured by more than one engine (a comparison of the
        // engines). With "auto" each network has the one engine chosen for speed (dense for narrow layers, conditional
        // for wide ones, dense for non-Gaussian laws); both are exact, so the figures run across them.
        var variesEngine = measured
            .GroupBy(p => (p.InputDim, p.Weights, p.Depth, Widths: p.WidthsShort(), p.PhaseDeg, p.Inputs, Pair: p.ThetaDeg is not null))
            .Any(g => g.Select(p => p.Engine).Distinct().Count() > 1);
        Func<PointResult, ContextKey> keyOf = variesEngine ? KeyOf : point => KeyOf(point) with { Engine = ContextKey.AnyEngine };
        var keys = measured.Select(keyOf).ToList();
        var variesDim = keys.Select(k => k.InputDim).Distinct().Count() > 1;
        var variesWeights = keys.Select(k => k.Weights).Distinct().Count() > 1;
        var variesPhase = keys.Select(k => k.PhaseDeg).Distinct().Count() > 1;
        var variesInputs = keys.Select(k => (k.Inputs, k.Pair)).Distinct().Count() > 1;

        var contexts = new List<PlotContext>();
        foreach (var group in measured.GroupBy(keyOf))
        {
            var key = group.Key;
            var slug = new List<string>();
            var description = new List<string>();
            if (variesDim)
            {
                slug.Add("d" + key.InputDim.ToString(CultureInfo.InvariantCulture));
                description.Add("n0 = " + key.InputDim.ToString(CultureInfo.InvariantCulture));
            }
            if (variesWeights)
            {
                slug.Add(Slugify(key.Weights));
                description.Add(key.Weights + " weights");
            }
            if (variesEngine)
            {
                slug.Add(Slugify(key.Engine));
                description.Add(key.Engine + " engine");
            }
            if (variesPhase)
            {
                slug.Add("phase" + Slugify(PointLookups.Format(key.PhaseDeg ?? 0, 6)));
                description.Add("phase " + PointLookups.Degrees(key.PhaseDeg ?? 0));
            }
            if (variesInputs)
            {
                slug.Add(key.Pair ? "pair" : "m" + key.Inputs.ToString(CultureInfo.InvariantCulture));
                description.Add(key.Pair ? "input pairs" : key.Inputs.ToString(CultureInfo.InvariantCulture) + " inputs");
            }
            contexts.Add(new PlotContext(string.Join("-", slug), string.Join(", ", description), group.ToList())
            {
                TotalAngles = totals?.AngleCount(key) ?? 0,
            });
        }
        return contexts;
    }

    /// <summary>
    /// Distinct angles of the context in the whole sweep when its points were thinned on loading
    /// (<see cref="ReportSelection"/>), so that notes name the sweep's angles, not the ones kept; 0 when unknown.
    /// </summary>
    public int TotalAngles { get; init; }

    /// <summary>The input dimension n0 shared by the context's points.</summary>
    public int InputDim => Points[0].InputDim;

    /// <summary>True when the points are input pairs at an angle (θ is an axis).</summary>
    public bool IsPair => Points[0].ThetaDeg is not null;

    /// <summary>Angles a figure with one series per angle draws at most; a sweep with more is thinned.</summary>
    public const int MaxAngleSeries = 9;

    /// <summary>
    /// The points at no more than <see cref="MaxAngleSeries"/> angles, spread evenly over the angles measured (the
    /// angle nearest each of evenly spaced targets), so a figure with one colour per angle stays readable at
    /// thousands of angles; all points when there are few angles. <paramref name="note"/> says what was left out.
    /// </summary>
    public IReadOnlyList<PointResult> ThinAngles(IReadOnlyList<PointResult> points, out string note)
    {
        var angles = points.Where(p => p.ThetaDeg is not null).Select(p => p.ThetaDeg!.Value).Distinct().Order().ToList();
        note = "";
        if (angles.Count <= MaxAngleSeries) return points;
        var kept = new SortedSet<double>();
        for (var i = 0; i < MaxAngleSeries; i++)
        {
            var target = angles[0] + (angles[^1] - angles[0]) * i / (MaxAngleSeries - 1);
            kept.Add(angles.MinBy(a => Math.Abs(a - target)));
        }
        note = $" Drawn at {kept.Count} of the {Math.Max(angles.Count, TotalAngles).ToString("N0", CultureInfo.InvariantCulture)} angles, spread evenly (θ = {string.Join(", ", kept.Select(PointLookups.Degrees))}); every angle is in results.csv.";
        return points.Where(p => p.ThetaDeg is { } t && kept.Contains(t)).ToList();
    }

    /// <summary>"-slug" to append to a file name, or "" for a sweep with one context.</summary>
    public string FileSuffix => Slug.Length == 0 ? "" : "-" + Slug;

    /// <summary>" (description)" to append to a title, or "".</summary>
    public string TitleSuffix => Description.Length == 0 ? "" : " (" + Description + ")";

    /// <summary>Fixed facts of the context for a subtitle: input dimension and weight law.</summary>
    public string Facts => $"n0 = {InputDim}, {Points[0].Weights} weights";

    private static ContextKey KeyOf(PointResult point) => ContextKey.Of(point);

    private static string Slugify(string text)
    {
        var characters = text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        return new string(characters).Trim('-');
    }
}
