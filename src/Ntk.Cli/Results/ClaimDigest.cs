using System.Globalization;
using System.Text.RegularExpressions;

namespace Ntk.Cli.Results;

/// <summary>One evaluated claim at one point, with the point's coordinates along the sweep axes.</summary>
internal sealed record ClaimRow(int Point, int Depth, IReadOnlyList<int> Widths, int InputDim, string Weights, double? ThetaDeg, ClaimEntry Claim)
{
    /// <summary>"64" when every hidden layer has width 64, else "8x16x32".</summary>
    public string WidthsShort => Widths.Distinct().Count() == 1
        ? Widths[0].ToString(CultureInfo.InvariantCulture)
        : string.Join("x", Widths);
}

/// <summary>
/// The claims of a sweep, gathered point by point in one pass with bounded memory: per claim the verdict counts, the
/// counts along each sweep axis, the <see cref="WorstCases"/> rows of largest |z|, and every row as long as there are
/// at most <see cref="FullTableRows"/> (small sweeps keep their full tables). claims.md, report.md and the summary
/// in results.json are rendered from it, so they stay a few MB at 100,000 points.
/// </summary>
internal sealed partial class ClaimDigest
{
    /// <summary>Rows per claim up to which every row is kept and tabulated.</summary>
    public const int FullTableRows = 500;

    /// <summary>Rows of largest |z| kept per claim.</summary>
    public const int WorstCases = 20;

    /// <summary>An axis with more values than this is shown in ranges of equal width.</summary>
    public const int MaxAxisRows = 36;

    private readonly List<ClaimGroup> _groups = [];
    private readonly Dictionary<string, ClaimGroup> _byId = new(StringComparer.Ordinal);

    /// <summary>Claims in order of first appearance (points in order).</summary>
    public IReadOnlyList<ClaimGroup> Groups => _groups;

    public void Add(ClaimRow row)
    {
        if (!_byId.TryGetValue(row.Claim.Claim, out var group))
        {
            group = new ClaimGroup(row.Claim.Claim);
            _byId.Add(row.Claim.Claim, group);
            _groups.Add(group);
        }
        group.Add(row);
    }

    /// <summary>The statement shared by every row (a trailing parenthesis that varies is dropped), or null.</summary>
    internal static string Strip(string statement) => TrailingParenthesis().Replace(statement, "");

    [GeneratedRegex(@"\s*\([^()]*\)\s*$")]
    private static partial Regex TrailingParenthesis();
}

/// <summary>One claim's rows, digested (see <see cref="ClaimDigest"/>).</summary>
internal sealed class ClaimGroup(string claimId)
{
    private static readonly string[] AxisNames = ["L", "width(s)", "n0", "weights", "θ (deg)"];

    private readonly HashSet<string> _statements = new(StringComparer.Ordinal);
    private readonly HashSet<string> _stripped = new(StringComparer.Ordinal);
    private readonly List<ClaimRow> _worst = [];
    private List<ClaimRow>? _all = [];

    public string ClaimId { get; } = claimId;

    public int Total { get; private set; }

    /// <summary>The first row's statement and point.</summary>
    public string FirstStatement { get; private set; } = "";
    public int FirstPoint { get; private set; }

    /// <summary>Rows per verdict ("holds", "fails", "inconclusive").</summary>
    public SortedDictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

    /// <summary>Every row in point order, or null when there are more than <see cref="ClaimDigest.FullTableRows"/>.</summary>
    public IReadOnlyList<ClaimRow>? AllRows => _all;

    /// <summary>The rows of largest |z|, largest first (ties: lower point first).</summary>
    public IReadOnlyList<ClaimRow> Worst => _worst;

    /// <summary>Axis name → axis value (number or text) → verdict counts.</summary>
    public Dictionary<string, SortedDictionary<AxisValue, SortedDictionary<string, int>>> Axes { get; } =
        AxisNames.ToDictionary(a => a, _ => new SortedDictionary<AxisValue, SortedDictionary<string, int>>(), StringComparer.Ordinal);

    /// <summary>The statement every row shares (ignoring a trailing parenthesis that varies), or null.</summary>
    public string? CommonStatement =>
        _statements.Count == 1 ? FirstStatement : _stripped.Count == 1 ? ClaimDigest.Strip(FirstStatement) : null;

    public void Add(ClaimRow row)
    {
        if (Total == 0)
        {
            FirstStatement = row.Claim.Statement;
            FirstPoint = row.Point;
        }
        Total++;
        if (_statements.Count < 2) _statements.Add(row.Claim.Statement);
        if (_stripped.Count < 2) _stripped.Add(ClaimDigest.Strip(row.Claim.Statement));
        Counts[row.Claim.Verdict] = Counts.GetValueOrDefault(row.Claim.Verdict) + 1;
        Count("L", AxisValue.Of(row.Depth), row.Claim.Verdict);
        Count("width(s)", AxisValue.Of(row.WidthsShort, row.Widths.Sum(w => 1.0 / w)), row.Claim.Verdict);
        Count("n0", AxisValue.Of(row.InputDim), row.Claim.Verdict);
        Count("weights", AxisValue.Of(row.Weights, 0), row.Claim.Verdict);
        if (row.ThetaDeg is { } theta) Count("θ (deg)", AxisValue.Of(theta), row.Claim.Verdict);

        if (_all is not null)
        {
            if (_all.Count < ClaimDigest.FullTableRows) _all.Add(row);
            else _all = null;
        }
        var z = Math.Abs(row.Claim.Z);
        if (double.IsNaN(z)) return;
        if (_worst.Count == ClaimDigest.WorstCases && z <= Math.Abs(_worst[^1].Claim.Z)) return;
        var at = _worst.FindIndex(w => Math.Abs(w.Claim.Z) < z);
        _worst.Insert(at < 0 ? _worst.Count : at, row);
        if (_worst.Count > ClaimDigest.WorstCases) _worst.RemoveAt(_worst.Count - 1);
    }

    /// <summary>The largest |z| of any row (NaN when none is finite).</summary>
    public double LargestAbsZ => _worst.Count > 0 ? Math.Abs(_worst[0].Claim.Z) : double.NaN;

    private void Count(string axis, AxisValue value, string verdict)
    {
        var values = Axes[axis];
        if (!values.TryGetValue(value, out var counts)) values[value] = counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        counts[verdict] = counts.GetValueOrDefault(verdict) + 1;
    }

    /// <summary>
    /// The rows of one axis for a table: (label, verdict counts), at most <see cref="ClaimDigest.MaxAxisRows"/>; a
    /// numeric axis with more values is grouped into ranges of equal width. Empty when the axis has one value.
    /// </summary>
    public IReadOnlyList<(string Label, IReadOnlyDictionary<string, int> Counts)> AxisRows(string axis)
    {
        var values = Axes[axis];
        if (values.Count <= 1) return [];
        if (values.Count <= ClaimDigest.MaxAxisRows || values.Keys.Any(k => k.Text is not null))
            return values.Select(v => (v.Key.Label, (IReadOnlyDictionary<string, int>)v.Value)).ToList();
        var min = values.Keys.First().Number;
        var max = values.Keys.Last().Number;
        var width = (max - min) / ClaimDigest.MaxAxisRows;
        var bins = new SortedDictionary<string, int>[ClaimDigest.MaxAxisRows];
        var lows = new double[ClaimDigest.MaxAxisRows];
        var highs = new double[ClaimDigest.MaxAxisRows];
        foreach (var (key, counts) in values)
        {
            var b = Math.Clamp((int)((key.Number - min) / width), 0, ClaimDigest.MaxAxisRows - 1);
            if (bins[b] is null)
            {
                bins[b] = new SortedDictionary<string, int>(StringComparer.Ordinal);
                lows[b] = key.Number;
            }
            highs[b] = key.Number;
            foreach (var (verdict, n) in counts) bins[b][verdict] = bins[b].GetValueOrDefault(verdict) + n;
        }
        var rows = new List<(string, IReadOnlyDictionary<string, int>)>();
        for (var b = 0; b < bins.Length; b++)
            if (bins[b] is not null)
                rows.Add(($"{ClaimsMarkdown.Format(lows[b], 6)} – {ClaimsMarkdown.Format(highs[b], 6)}", bins[b]));
        return rows;
    }
}

/// <summary>A value along a sweep axis: a number, or a text ordered by a number (widths by β = Σ 1/n_l, then text).</summary>
internal readonly record struct AxisValue(double Number, string? Text) : IComparable<AxisValue>
{
    public static AxisValue Of(double number) => new(number, null);
    public static AxisValue Of(string text, double order) => new(order, text);

    public string Label => Text ?? ClaimsMarkdown.Format(Number, 6);

    public int CompareTo(AxisValue other)
    {
        var byNumber = Number.CompareTo(other.Number);
        return byNumber != 0 ? byNumber : string.CompareOrdinal(Text, other.Text);
    }
}
