using System.Text;
using Ntk.Numerics.Analytic;
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
/// The tidy long table of docs/contract.md §7. Its content depends only on the merged statistics, never on timings, so the same
/// sweep gives a byte-identical results.csv on 1 or N workers and nodes.
/// </summary>
internal static class ResultRows
{
    /// <summary>The header of results.csv (<see cref="ResultColumns"/>).</summary>
    public static string Header => ResultColumns.Header;

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
    public static string Number(double value) => ResultColumns.Number(value);

    /// <summary>One results.csv line (no newline), from <see cref="ResultColumns.All"/>.</summary>
    public static void AppendCsv(StringBuilder line, ResultRow row) => ResultColumns.AppendCsv(line, row);
}
