using System.Globalization;
using System.Text;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Results;

/// <summary>
/// One row of results.csv: a statistic of one point with its moments and the analytic predictions. Complete: the
/// point has all the trials its stopping rule asks for (false in the files of an interrupted or running sweep).
/// </summary>
internal sealed record ResultRow(
    SweepPoint Point, StatisticKey Key, long Trials, double Mean, double Variance, double StandardError,
    double Skewness, double Kurtosis, double? InfiniteWidth, double? Paper, bool Complete = false,
    double? ExactMean = null, double? ExactVariance = null);

/// <summary>
/// The tidy long table of SPEC §7. Its content depends only on the merged statistics, never on timings, so the same
/// sweep gives a byte-identical results.csv on 1 or N workers and nodes.
/// </summary>
internal static class ResultRows
{
    /// <summary>
    /// The columns of results.csv, in order, each with how a row writes it: the one place that defines the file's
    /// schema (README "Results schema"). New columns go at the end, so readers that index by position keep working;
    /// <c>complete</c> stays last.
    /// </summary>
    private static readonly (string Name, Action<StringBuilder, ResultRow> Write)[] Columns =
    [
        ("point", (line, row) => line.Append(row.Point.Index)),
        ("depth", (line, row) => line.Append(row.Point.Definition.Network.Depth)),
        ("widths", (line, row) => line.Append(row.Point.Definition.Network.WidthsLabel)),
        ("input_dim", (line, row) => line.Append(row.Point.Definition.Network.InputDim)),
        ("weights", (line, row) => line.Append(row.Point.Definition.Network.Law.Name)),
        ("engine", (line, row) => line.Append(EngineChoice.Name(row.Point.Definition.Engine))),
        ("theta_deg", (line, row) => line.Append(row.Point.ThetaDegrees is { } theta ? Number(theta) : "")),
        ("stat", (line, row) => line.Append(StatisticNames.Of(row.Key.Kind))),
        ("layer", (line, row) => line.Append(row.Key.Layer > 0 ? row.Key.Layer.ToString(CultureInfo.InvariantCulture) : "")),
        ("a", (line, row) => line.Append(row.Key.A >= 0 ? row.Key.A.ToString(CultureInfo.InvariantCulture) : "")),
        ("b", (line, row) => line.Append(row.Key.B >= 0 ? row.Key.B.ToString(CultureInfo.InvariantCulture) : "")),
        ("trials", (line, row) => line.Append(row.Trials)),
        ("mean", (line, row) => line.Append(Number(row.Mean))),
        ("variance", (line, row) => line.Append(Number(row.Variance))),
        ("std_err", (line, row) => line.Append(Number(row.StandardError))),
        ("skewness", (line, row) => line.Append(Number(row.Skewness))),
        ("kurtosis", (line, row) => line.Append(Number(row.Kurtosis))),
        ("infinite_width", (line, row) => line.Append(Optional(row.InfiniteWidth))),
        ("paper", (line, row) => line.Append(Optional(row.Paper))),
        // The exact finite-width oracles (ExactMoments, docs/numerics.md §10); empty where none is known.
        ("exact_mean", (line, row) => line.Append(Optional(row.ExactMean))),
        ("exact_variance", (line, row) => line.Append(Optional(row.ExactVariance))),
        ("complete", (line, row) => line.Append(row.Complete ? "true" : "false")),
    ];

    /// <summary>The header line of results.csv.</summary>
    public static readonly string Header = string.Join(',', Columns.Select(column => column.Name));

    public static IEnumerable<ResultRow> For(SweepPoint point, PointAccumulator merged, bool complete)
    {
        var layout = merged.Layout;
        for (var i = 0; i < layout.Count; i++)
        {
            var key = layout.Keys[i];
            var (infinite, paper) = Predictions.For(point.Definition, key);
            var (exactMean, exactVariance) = ExactMoments.For(point.Definition, key);
            yield return new ResultRow(point, key, merged.Count, merged.Mean(i), merged.Variance(i),
                merged.StandardError(i), merged.Skewness(i), merged.Kurtosis(i), infinite, paper, complete,
                exactMean, exactVariance);
        }
    }

    /// <summary>Shortest round-trip text of a double ("R"), so the CSV holds the exact values.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Optional(double? value) => value is { } v ? Number(v) : "";

    public static void AppendCsv(StringBuilder line, ResultRow row)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            if (i > 0) line.Append(',');
            Columns[i].Write(line, row);
        }
    }
}
