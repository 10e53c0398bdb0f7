using System.Globalization;
using System.Text;
using Ntk.Numerics.Claims;
using Ntk.Numerics.Kernels;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Results;

/// <summary>One row of results.csv: a statistic of one point with its moments and the analytic predictions.</summary>
internal sealed record ResultRow(
    SweepPoint Point, StatisticKey Key, long Trials, double Mean, double Variance, double StandardError,
    double Skewness, double Kurtosis, double? InfiniteWidth, double? Paper, double? ExactMean, double? ExactVariance);

/// <summary>
/// The tidy long table of SPEC §7. Its content depends only on the merged statistics, never on timings, so the same
/// sweep gives a byte-identical results.csv on 1 or N workers and nodes.
/// </summary>
internal static class ResultRows
{
    /// <summary>
    /// The columns of results.csv, in order: the 19 of SPEC §7, then the exact finite-width oracles
    /// (<see cref="ExactMoments"/>; empty where none is known). New columns are appended here and in
    /// <see cref="AppendCsv"/>, never inserted.
    /// </summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "point", "depth", "widths", "input_dim", "weights", "engine", "theta_deg", "stat", "layer", "a", "b", "trials",
        "mean", "variance", "std_err", "skewness", "kurtosis", "infinite_width", "paper",
        "exact_mean", "exact_variance",
    ];

    public static readonly string Header = string.Join(",", Columns);

    public static IEnumerable<ResultRow> For(SweepPoint point, PointAccumulator merged)
    {
        var layout = merged.Layout;
        for (var i = 0; i < layout.Count; i++)
        {
            var key = layout.Keys[i];
            var (infinite, paper) = Predictions.For(point.Definition, key);
            var (exactMean, exactVariance) = ExactMoments.For(point.Definition, key);
            yield return new ResultRow(point, key, merged.Count, merged.Mean(i), merged.Variance(i),
                merged.StandardError(i), merged.Skewness(i), merged.Kurtosis(i), infinite, paper, exactMean, exactVariance);
        }
    }

    /// <summary>Shortest round-trip text of a double ("R"), so the CSV holds the exact values.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Optional(double? value) => value is { } v ? Number(v) : "";

    public static void AppendCsv(StringBuilder line, ResultRow row)
    {
        var definition = row.Point.Definition;
        var key = row.Key;
        line.Append(row.Point.Index).Append(',')
            .Append(definition.Network.Depth).Append(',')
            .Append(definition.Network.WidthsLabel).Append(',')
            .Append(definition.Network.InputDim).Append(',')
            .Append(definition.Network.Law.Name).Append(',')
            .Append(Engines.Name(definition.Engine)).Append(',')
            .Append(row.Point.ThetaDegrees is { } theta ? Number(theta) : "").Append(',')
            .Append(StatisticNames.Of(key.Kind)).Append(',')
            .Append(key.Layer > 0 ? key.Layer.ToString(CultureInfo.InvariantCulture) : "").Append(',')
            .Append(key.A >= 0 ? key.A.ToString(CultureInfo.InvariantCulture) : "").Append(',')
            .Append(key.B >= 0 ? key.B.ToString(CultureInfo.InvariantCulture) : "").Append(',')
            .Append(row.Trials).Append(',')
            .Append(Number(row.Mean)).Append(',')
            .Append(Number(row.Variance)).Append(',')
            .Append(Number(row.StandardError)).Append(',')
            .Append(Number(row.Skewness)).Append(',')
            .Append(Number(row.Kurtosis)).Append(',')
            .Append(Optional(row.InfiniteWidth)).Append(',')
            .Append(Optional(row.Paper)).Append(',')
            .Append(Optional(row.ExactMean)).Append(',')
            .Append(Optional(row.ExactVariance));
    }
}
