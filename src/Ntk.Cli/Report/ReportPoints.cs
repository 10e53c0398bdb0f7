using System.Globalization;
using Ntk.Cli.Results;

namespace Ntk.Cli.Report;

/// <summary>
/// What the report needs of every point, aggregated in one streaming pass over points.jsonl (issue 10: a report at
/// any sweep size): the number of points, the largest trial cap, one row per network and input setting (the points
/// table of a large sweep) and the number of distinct angles of each plot context. O(network settings + angles), never
/// O(points).
/// </summary>
internal sealed class PointTotals
{
    private readonly Dictionary<GroupKey, GroupTotals> _groups = new();
    private readonly Dictionary<ContextKey, HashSet<double>> _angles = new();

    /// <summary>Points read (every line of points.jsonl).</summary>
    public int Count { get; private set; }

    /// <summary>The largest trial cap of any point (0 without points).</summary>
    public long MaxTrialCap { get; private set; }

    /// <summary>Network and input settings, in order of their first point.</summary>
    public IEnumerable<GroupTotals> Groups => _groups.Values.OrderBy(g => g.FirstPoint);

    /// <summary>Distinct angles of the measured points of a plot context (0 for a context without angles).</summary>
    internal int AngleCount(ContextKey key)
    {
        if (key.Engine != ContextKey.AnyEngine) return _angles.TryGetValue(key, out var angles) ? angles.Count : 0;
        var union = new HashSet<double>();
        foreach (var (other, angles) in _angles)
            if (other with { Engine = ContextKey.AnyEngine } == key) union.UnionWith(angles);
        return union.Count;
    }

    /// <summary>The sorted distinct angles of each plot context with angles.</summary>
    internal IEnumerable<(ContextKey Key, double[] Angles)> ContextAngles =>
        _angles.Select(a => (a.Key, a.Value.Order().ToArray()));

    public void Add(PointResult point)
    {
        Count++;
        MaxTrialCap = Math.Max(MaxTrialCap, point.TrialCap);
        var key = new GroupKey(point.Depth, point.WidthsShort(), point.InputDim, point.Weights, point.Engine, point.Inputs, point.ThetaDeg is not null);
        if (!_groups.TryGetValue(key, out var group)) _groups[key] = group = new GroupTotals(key, point.Point);
        group.Add(point);
        if (point.IsMeasured() && point.ThetaDeg is { } theta)
        {
            var context = ContextKey.Of(point);
            if (!_angles.TryGetValue(context, out var angles)) _angles[context] = angles = new HashSet<double>();
            angles.Add(theta);
        }
    }

    public static PointTotals Of(IEnumerable<PointResult> points)
    {
        var totals = new PointTotals();
        foreach (var point in points) totals.Add(point);
        return totals;
    }

    internal sealed record GroupKey(int Depth, string Widths, int InputDim, string Weights, string Engine, int Inputs, bool Pair);

    /// <summary>One network and input setting: its points' count, index range, angles, trials and done count.</summary>
    internal sealed class GroupTotals(GroupKey key, int firstPoint)
    {
        private readonly HashSet<double> _angles = new();
        public GroupKey Key { get; } = key;
        public int Count { get; private set; }
        public int FirstPoint { get; private set; } = firstPoint;
        public int LastPoint { get; private set; } = firstPoint;
        public double MinTheta { get; private set; } = double.PositiveInfinity;
        public double MaxTheta { get; private set; } = double.NegativeInfinity;
        public int AngleCount => _angles.Count;
        public long Trials { get; private set; }
        public int Done { get; private set; }

        public void Add(PointResult point)
        {
            Count++;
            FirstPoint = Math.Min(FirstPoint, point.Point);
            LastPoint = Math.Max(LastPoint, point.Point);
            if (point.ThetaDeg is { } theta)
            {
                MinTheta = Math.Min(MinTheta, theta);
                MaxTheta = Math.Max(MaxTheta, theta);
                _angles.Add(theta);
            }
            Trials += point.Trials;
            if (point.Done) Done++;
        }
    }
}

/// <summary>What a first pass over points.jsonl gathers, when the writer of points.jsonl already has it.</summary>
internal sealed record ReportDigest(ClaimDigest Claims, PointTotals Totals);

/// <summary>The fields that split measured points into plot contexts (<see cref="PlotContext.Split"/>).</summary>
internal sealed record ContextKey(int InputDim, string Weights, string Engine, double? PhaseDeg, int Inputs, bool Pair)
{
    /// <summary>The engine of a context that spans engines (the sweep compares none; see <see cref="PlotContext.Split"/>).</summary>
    public const string AnyEngine = "";

    public static ContextKey Of(PointResult point) =>
        new(point.InputDim, point.Weights, point.Engine, point.PhaseDeg, point.Inputs, point.ThetaDeg is not null);
}

/// <summary>
/// Which points of a large sweep the figures draw: in a context with more than <see cref="MaxDrawnAngles"/> angles,
/// only the points at <see cref="MaxDrawnAngles"/> evenly spread angles plus the angles every figure looks for (the
/// <see cref="PlotContext.MaxAngleSeries"/> evenly spread series of the correlator and deviation figures, the angles
/// nearest 45° and 90° of the histogram and spectrum figures) are kept in memory; every point stays in the tables.
/// Smaller contexts keep every point, so their figures are those of a full load.
/// </summary>
internal sealed class ReportSelection
{
    /// <summary>Angles the kernel-vs-angle figure draws at most; a context with more is thinned.</summary>
    public const int MaxDrawnAngles = 500;

    private readonly Dictionary<ContextKey, HashSet<double>> _kept = new();
    /// <summary>Every angle at which some context keeps a point.</summary>
    private readonly HashSet<double> _candidates = new();

    public ReportSelection(PointTotals totals)
    {
        foreach (var (key, angles) in totals.ContextAngles)
        {
            if (angles.Length <= MaxDrawnAngles)
            {
                _candidates.UnionWith(angles);
                continue;
            }
            var kept = new HashSet<double>();
            kept.UnionWith(EvenlySpread(angles, MaxDrawnAngles));
            kept.UnionWith(EvenlySpread(angles, PlotContext.MaxAngleSeries));
            kept.Add(Nearest(angles, 45));
            kept.Add(Nearest(angles, 90));
            _kept[key] = kept;
            _candidates.UnionWith(kept);
        }
    }

    /// <summary>False when no point at angle <paramref name="theta"/> is kept (a quick test before a line is parsed).</summary>
    public bool MayKeep(double theta) => _candidates.Contains(theta);

    /// <summary>True when some context is thinned (a second pass over points.jsonl keeps only <see cref="Keeps"/>).</summary>
    public bool Thins => _kept.Count > 0;

    /// <summary>True for the points the figures may draw: measured, and at a kept angle in a thinned context (points
    /// without measurements are in no figure, and the tables of a large sweep come from <see cref="PointTotals"/>).</summary>
    public bool Keeps(PointResult point) =>
        point.IsMeasured() &&
        (point.ThetaDeg is not { } theta || !_kept.TryGetValue(ContextKey.Of(point), out var kept) || kept.Contains(theta));

    /// <summary>The angle nearest each of <paramref name="count"/> evenly spaced targets from the first angle to the
    /// last (the rule of <see cref="PlotContext.ThinAngles"/>; the first of equally near angles).</summary>
    internal static IEnumerable<double> EvenlySpread(IReadOnlyList<double> sorted, int count)
    {
        for (var i = 0; i < count; i++)
            yield return Nearest(sorted, sorted[0] + (sorted[^1] - sorted[0]) * i / (count - 1));
    }

    private static double Nearest(IReadOnlyList<double> sorted, double target) => sorted.MinBy(a => Math.Abs(a - target));

    public override string ToString() =>
        string.Join("; ", _kept.Select(k => $"{k.Key}: {k.Value.Count.ToString(CultureInfo.InvariantCulture)} angles"));
}
