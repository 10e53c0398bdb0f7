using System.Globalization;
using System.Text;
using Ntk.Numerics.Claims;
using Ntk.Numerics.Measurement;

namespace Ntk.Cli.Results;

/// <summary>
/// claims.csv: one row per (point, claim, statistic) with the verdict and its reason (docs/numerics.md §7). Like
/// results.csv it depends only on the merged statistics, so it is byte-identical for 1 or N workers.
/// </summary>
internal static class ClaimsCsv
{
    /// <summary>The columns, in order.</summary>
    public static readonly IReadOnlyList<string> Columns =
        ["point", "claim", "stat", "layer", "a", "b", "predicted", "measured", "std_err", "z", "verdict", "reason"];

    public static readonly string Header = string.Join(",", Columns);

    public static string Render(IReadOnlyDictionary<int, IReadOnlyList<ClaimResult>> claims)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var (point, results) in claims.OrderBy(p => p.Key))
            foreach (var claim in results)
                AppendRow(text, point, claim).Append('\n');
        return text.ToString();
    }

    public static StringBuilder AppendRow(StringBuilder line, int point, ClaimResult claim)
    {
        // Numbers are formatted into the line (the same text as ResultRows.Number, no string per value).
        var key = claim.Statistic;
        var invariant = CultureInfo.InvariantCulture;
        line.Append(invariant, $"{point}").Append(',')
            .Append(claim.ClaimId).Append(',')
            .Append(StatisticNames.Of(key.Kind)).Append(',');
        if (key.Layer > 0) line.Append(invariant, $"{key.Layer}");
        line.Append(',');
        if (key.A >= 0) line.Append(invariant, $"{key.A}");
        line.Append(',');
        if (key.B >= 0) line.Append(invariant, $"{key.B}");
        line.Append(',');
        ResultColumns.AppendNumber(line, claim.Predicted);
        line.Append(',');
        ResultColumns.AppendNumber(line, claim.Measured);
        line.Append(',');
        ResultColumns.AppendNumber(line, claim.StandardError);
        line.Append(',');
        ResultColumns.AppendNumber(line, claim.Z);
        return line.Append(',')
            .Append(ClaimVerdicts.Name(claim.Verdict)).Append(',')
            .Append(Quote(claim.Reason));
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.</summary>
    internal static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
