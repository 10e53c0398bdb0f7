using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ntk.Cli.Results;

// The shape of results.json (docs/contract.md §7): everything in results.csv, plus the sweep, provenance, per-point timings,
// the claims, quantile sketches and the exact merged state that --resume continues from.

internal sealed record ResultsFile(
    string Format,
    SoftwareInfo Software,
    RunInfo Run,
    string SweepHash,
    JsonElement Sweep,
    IReadOnlyList<PointResult> Points)
{
    public const string CurrentFormat = "ntk-results/1";
}

/// <param name="Generator">
/// The random sequence's name (<see cref="Ntk.Numerics.Randomness.RandomStream.GeneratorVersion"/>): --resume refuses a
/// state drawn with another one. Null in files written before it was recorded.
/// </param>
internal sealed record SoftwareInfo(string Name, string Version, string Runtime, string? Generator);

/// <param name="Mode">"local" for ntk run, "cluster" for a coordinator.</param>
/// <param name="Complete">True when every point reached its stopping rule.</param>
internal sealed record RunInfo(
    string Mode, bool Complete, DateTimeOffset StartedUtc, DateTimeOffset UpdatedUtc, double WallSeconds,
    int Workers, IReadOnlyList<string> Nodes, long TotalTrials, long MasterSeed);

internal sealed record PointResult(
    int Point, int Depth, IReadOnlyList<int> Widths, int InputDim, string Weights, string Engine,
    double? ThetaDeg, double? PhaseDeg, int Inputs, long Trials, long TrialCap, int ShardsMerged, bool Done,
    double? ElapsedSeconds,
    IReadOnlyList<StatisticResult> Statistics,
    IReadOnlyList<ClaimEntry> Claims,
    IReadOnlyList<SketchEntry> Sketches,
    string State);

internal sealed record StatisticResult(
    string Stat, int? Layer, int? A, int? B, double Mean, double Variance, double StdErr, double Skewness,
    double Kurtosis, double? InfiniteWidth, double? Paper);

internal sealed record ClaimEntry(
    string Claim, string Statement, string Stat, int? Layer, int? A, int? B, double Predicted, double Measured,
    double StdErr, double Z, string Verdict, string Reason = "");

/// <param name="Bins">Histogram from the sketch's buckets: [lower, upper, count] each.</param>
internal sealed record SketchEntry(
    string Stat, int? A, int? B, double RelativeAccuracy, long Count,
    IReadOnlyDictionary<string, double> Quantiles, IReadOnlyList<double[]> Bins);

internal static class ResultsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Reads results.json; throws <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static ResultsFile Read(string path)
    {
        try
        {
            var file = JsonSerializer.Deserialize<ResultsFile>(File.ReadAllBytes(path), Options)
                       ?? throw new InvalidDataException($"{path}: empty results file");
            if (file.Format != ResultsFile.CurrentFormat)
                throw new InvalidDataException($"{path}: format \"{file.Format}\" is not {ResultsFile.CurrentFormat}");
            return file;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid results file ({e.Message})", e);
        }
    }
}
