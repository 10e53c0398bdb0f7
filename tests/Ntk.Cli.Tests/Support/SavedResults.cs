using System.Text.Json;
using Ntk.Cli.Results;

namespace Ntk.Cli.Tests.Support;

/// <summary>
/// What a results directory holds besides results.csv (docs/contract.md §7): results.json's totals, the points written
/// to points.jsonl, and the resumable state of point-states.bin.
/// </summary>
internal static class SavedResults
{
    /// <summary>Trials per point of the points written so far (points.jsonl: every point of a finished run).</summary>
    public static IReadOnlyDictionary<int, long> PointTrials(string directory)
    {
        var path = Path.Combine(directory, ResultsJson.PointsFileName);
        return File.Exists(path) ? ResultsJson.ReadPoints(path).ToDictionary(p => p.Point, p => p.Trials) : new Dictionary<int, long>();
    }

    /// <summary>The run's trials as results.json records them (0 before the first checkpoint or while it is replaced).</summary>
    public static long TotalTrials(string directory)
    {
        var path = Path.Combine(directory, ResultsJson.FileName);
        if (!File.Exists(path)) return 0;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return json.RootElement.GetProperty("run").GetProperty("totalTrials").GetInt64();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return 0;
        }
    }

    /// <summary>The trials --resume continues from: the latest record of each point in point-states.bin, by point.</summary>
    public static IReadOnlyDictionary<int, long> StoredTrials(string directory)
    {
        using var store = PointStateStore.OpenForReading(Path.Combine(directory, PointStateStore.FileName));
        return store.Latest.Values.ToDictionary(p => p.Point, p => p.Trials);
    }

    /// <summary>Every point of the sweep is in points.jsonl with <paramref name="trialsPerPoint"/> trials.</summary>
    public static void AssertEveryPointHas(string directory, int points, long trialsPerPoint)
    {
        var trials = PointTrials(directory);
        Xunit.Assert.Equal(Enumerable.Range(0, points), trials.Keys.Order());
        Xunit.Assert.All(trials.Values, t => Xunit.Assert.Equal(trialsPerPoint, t));
    }
}
