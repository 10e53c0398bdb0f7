using System.Text.Json;
using System.Text.Json.Serialization;
using Ntk.Cli.Report;

namespace Ntk.Cli.Results;

// The shape of results.json (docs/contract.md §7): the sweep, provenance and a summary — small at any sweep size.
// Each point's statistics, claims and sketch quantiles are one line of points.jsonl; its rows are in results.csv and
// results.parquet; the exact merged state that --resume continues from is in point-states.bin.

internal sealed record ResultsFile(
    string Format,
    SoftwareInfo Software,
    RunInfo Run,
    string SweepHash,
    JsonElement Sweep,
    ResultsSummary Summary)
{
    public const string CurrentFormat = "ntk-results/2";

    /// <summary>The points of points.jsonl, when loaded with them (<see cref="ResultsJson.Load"/>); not in results.json.</summary>
    [JsonIgnore]
    public IReadOnlyList<PointResult> Points { get; init; } = [];

    /// <summary>The claims of every point, digested (<see cref="ResultsJson.Load"/>); not in results.json.</summary>
    [JsonIgnore]
    public ClaimDigest Claims { get; init; } = new();

    private PointTotals? _totals;

    /// <summary>
    /// Every point of points.jsonl, aggregated (<see cref="ResultsJson.Load"/>): of a large sweep <see cref="Points"/>
    /// holds only the points the figures draw. Computed from <see cref="Points"/> when not loaded.
    /// </summary>
    [JsonIgnore]
    public PointTotals Totals
    {
        get => _totals ??= PointTotals.Of(Points);
        init => _totals = value;
    }
}

/// <param name="Generator">
/// The random sequence's name (<see cref="Ntk.Numerics.Randomness.RandomStream.GeneratorVersion"/>): --resume refuses a
/// state drawn with another one. Null in files written before it was recorded.
/// </param>
/// <param name="Engines">
/// What the engines make of that sequence (<see cref="Ntk.Numerics.Engines.EngineVersions.Current"/>): --resume refuses
/// a state sampled by other engine versions too. Null in files written before it was recorded.
/// </param>
internal sealed record SoftwareInfo(string Name, string Version, string Runtime, string? Generator, string? Engines = null);

/// <param name="Mode">"local" for ntk run, "cluster" for a coordinator.</param>
/// <param name="Complete">True when every point reached its stopping rule.</param>
internal sealed record RunInfo(
    string Mode, bool Complete, DateTimeOffset StartedUtc, DateTimeOffset UpdatedUtc, double WallSeconds,
    int Workers, IReadOnlyList<string> Nodes, long TotalTrials, long MasterSeed);

/// <param name="Points">Points of the sweep.</param>
/// <param name="PointsDone">Points that reached their stopping rule.</param>
/// <param name="Files">The other files of the results directory, by role.</param>
/// <param name="Claims">Per claim: verdict counts and the largest |z| (details in claims.md).</param>
internal sealed record ResultsSummary(
    int Points, int PointsDone, ResultFiles Files, IReadOnlyList<ClaimSummary> Claims);

internal sealed record ResultFiles(string Csv, string Parquet, string Points, string States, string Claims, string ClaimsCsv);

internal sealed record ClaimSummary(string Claim, int Rows, IReadOnlyDictionary<string, int> Verdicts, double? LargestAbsZ);

/// <summary>One line of points.jsonl: a point's coordinates, trials, statistics, claims and quantile sketches.</summary>
/// <param name="Sketches">Quantiles of each sketched statistic; <see cref="SketchEntry.Bins"/> are empty in
/// points.jsonl (the buckets are in point-states.bin and read back when a plot needs them).</param>
internal sealed record PointResult(
    int Point, int Depth, IReadOnlyList<int> Widths, int InputDim, string Weights, string Engine,
    double? ThetaDeg, double? PhaseDeg, int Inputs, long Trials, long TrialCap, int ShardsMerged, bool Done,
    double? ElapsedSeconds,
    IReadOnlyList<StatisticResult> Statistics,
    IReadOnlyList<ClaimEntry> Claims,
    IReadOnlyList<SketchEntry> Sketches);

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
    /// <summary>File names in a results directory.</summary>
    public const string FileName = "results.json";
    public const string PointsFileName = "points.jsonl";

    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>points.jsonl: one compact object per line, with source-generated (reflection-free) serialization:
    /// a line per point is written and read at every size of sweep.</summary>
    public static readonly JsonSerializerOptions LineOptions = PointLineContext.Default.Options;

    /// <summary>Reads results.json (streamed); throws <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static ResultsFile Read(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            var format = ReadFormat(stream);
            if (format != ResultsFile.CurrentFormat)
                throw new InvalidDataException(format is null
                    ? $"{path}: not a results file (no \"format\")"
                    : $"{path}: format \"{format}\" is not {ResultsFile.CurrentFormat} (written by another version of ntk; run the sweep again)");
            stream.Position = 0;
            return JsonSerializer.Deserialize<ResultsFile>(stream, Options)
                   ?? throw new InvalidDataException($"{path}: empty results file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid results file ({e.Message})", e);
        }
    }

    /// <summary>Up to this many points <see cref="Load"/> keeps every point as read; a larger sweep is read twice.</summary>
    public const int KeepAllPoints = 2_000;

    /// <summary>
    /// Reads results.json with the points of points.jsonl, line by line, never the whole file: claims go into the
    /// digest (and are dropped from the points), every point into <see cref="ResultsFile.Totals"/>, and sketch buckets
    /// are read from point-states.bin only when asked for (<see cref="StoredSketches"/>). Up to
    /// <paramref name="keepAllPoints"/> points are all kept; past that a second pass keeps only the points the figures
    /// draw (<see cref="ReportSelection"/>), with only the statistics they look up, so the memory of a report is bounded
    /// by the angles drawn, not by the points of the sweep (issue 10).
    /// </summary>
    /// <param name="known">The digest of points.jsonl from its writer (<see cref="ResultsSink.Digest"/>): a sweep
    /// larger than <paramref name="keepAllPoints"/> then skips the first pass.</param>
    public static ResultsFile Load(string directory, int keepAllPoints = KeepAllPoints, ReportDigest? known = null)
    {
        var file = Read(Path.Combine(directory, FileName));
        var pointsPath = Path.Combine(directory, PointsFileName);
        if (!File.Exists(pointsPath)) return file;
        var statesPath = Path.Combine(directory, PointStateStore.FileName);
        var store = File.Exists(statesPath) ? PointStateStore.OpenForReading(statesPath) : null;
        var digest = new ClaimDigest();
        var totals = new PointTotals();
        var points = new List<PointResult>();
        var keepAll = true;
        if (known is not null && known.Totals.Count > keepAllPoints)
        {
            digest = known.Claims;
            totals = known.Totals;
            keepAll = false;
        }
        else
        {
            foreach (var point in ReadPoints(pointsPath))
            {
                foreach (var claim in point.Claims)
                    digest.Add(new ClaimRow(point.Point, point.Depth, point.Widths, point.InputDim, point.Weights, point.ThetaDeg, claim));
                totals.Add(point);
                if (!keepAll) continue;
                points.Add(Kept(point, store, slim: false));
                if (points.Count <= keepAllPoints) continue;
                keepAll = false;
                points.Clear();
            }
        }
        if (!keepAll)
        {
            var selection = new ReportSelection(totals);
            // Only the lines at an angle that some figure draws are parsed (the angle is read from the text first).
            foreach (var point in ReadPoints(pointsPath, line => ThetaOf(line.Span) is not { } theta || selection.MayKeep(theta)))
                if (selection.Keeps(point)) points.Add(Kept(point, store, slim: true));
        }
        return file with { Points = points, Claims = digest, Totals = totals };
    }

    /// <summary>Statistics the figures look up (<see cref="PointLookups.Find"/>); the others stay in the tables.</summary>
    private static readonly HashSet<string> DrawnStatistics = new(StringComparer.Ordinal) { "ntk", "correlator", "correlator_cond" };

    private static PointResult Kept(PointResult point, PointStateStore? store, bool slim)
    {
        var sketches = store is not null && store.Latest.TryGetValue(point.Point, out var stored) && point.Sketches.All(s => s.Bins.Count == 0)
            ? new StoredSketches(store, stored, point.Sketches)
            : point.Sketches;
        var statistics = slim ? point.Statistics.Where(s => DrawnStatistics.Contains(s.Stat)).ToList() : point.Statistics;
        return point with { Claims = [], Sketches = sketches, Statistics = statistics };
    }

    /// <summary>The value of <c>"thetaDeg"</c> of a points.jsonl line read from its UTF-8 text, or null when it is null,
    /// absent or not a plain number (the caller then parses the line).</summary>
    internal static double? ThetaOf(ReadOnlySpan<byte> line)
    {
        var key = "\"thetaDeg\":"u8;
        var at = line.IndexOf(key);
        if (at < 0) return null;
        var rest = line[(at + key.Length)..];
        var end = rest.IndexOfAny((byte)',', (byte)'}');
        if (end >= 0) rest = rest[..end];
        return double.TryParse(rest, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
            out var theta) ? theta : null;
    }

    /// <summary>
    /// The points of points.jsonl, one line at a time, as UTF-8 bytes (never a string: one point of a data-set sweep is a
    /// line of hundreds of MB); with <paramref name="lineFilter"/>, only the lines it accepts are parsed. Of a point's
    /// statistics only those of inputs 0 and 1 are kept (<see cref="FigureStatisticConverter"/>): the figures look up no
    /// other, and a point of m = 2,048 inputs has two million (its full table is results.csv / results.parquet).
    /// </summary>
    public static IEnumerable<PointResult> ReadPoints(string path, Func<ReadOnlyMemory<byte>, bool>? lineFilter = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var number = 0;
        foreach (var line in Lines(stream))
        {
            number++;
            if (line.Length == 0 || (lineFilter is not null && !lineFilter(line))) continue;
            PointResult? point;
            try
            {
                point = JsonSerializer.Deserialize(line.Span, PointReadContext.Default.PointResult);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}, line {number}: not a point ({e.Message})", e);
            }
            if (point is null) throw new InvalidDataException($"{path}, line {number}: empty");
            yield return point.Statistics.Any(s => s is null) ? point with { Statistics = point.Statistics.Where(s => s is not null).ToList() } : point;
        }
    }

    /// <summary>The lines of <paramref name="stream"/> without their '\n' (and a '\r' before it), in a reused buffer
    /// that grows to the longest line: each line is valid until the next one is read.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Lines(Stream stream)
    {
        var buffer = new byte[1 << 16];
        int start = 0, end = 0;
        while (true)
        {
            var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = newline > 0 && buffer[start + newline - 1] == (byte)'\r' ? newline - 1 : newline;
                yield return buffer.AsMemory(start, length);
                start += newline + 1;
                continue;
            }
            // Move the partial line to the front, growing the buffer when the line fills it.
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length) Array.Resize(ref buffer, checked(buffer.Length * 2));
            var read = stream.Read(buffer, end, buffer.Length - end);
            if (read == 0)
            {
                if (end > start) yield return buffer.AsMemory(start, end - start);
                yield break;
            }
            end += read;
        }
    }

    /// <summary>The "format" of a results.json, read from its first properties without loading the file.</summary>
    private static string? ReadFormat(Stream stream)
    {
        var buffer = new byte[4096];
        var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        var reader = new Utf8JsonReader(buffer.AsSpan(0, length), isFinalBlock: length < buffer.Length, default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isFormat = reader.ValueTextEquals("format");
                if (!reader.Read()) return null;
                if (isFormat) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                if (!reader.TrySkip()) return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return null;
    }
}

/// <summary>Source-generated serialization of a points.jsonl line (same names and number handling as results.json).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    WriteIndented = false)]
[JsonSerializable(typeof(PointResult))]
[JsonSerializable(typeof(StatisticResult))]
internal sealed partial class PointLineContext : JsonSerializerContext;

/// <summary>Reading points.jsonl for the report: as <see cref="PointLineContext"/>, keeping only the statistics of
/// inputs 0 and 1 (<see cref="FigureStatisticConverter"/>).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    WriteIndented = false,
    Converters = [typeof(FigureStatisticConverter)])]
[JsonSerializable(typeof(PointResult))]
internal sealed partial class PointReadContext : JsonSerializerContext;

/// <summary>
/// Reads a statistic of a points.jsonl line, or null for one of an input other than 0 and 1 (no figure looks it up,
/// <see cref="Report.PointLookups.Find"/>): a point's list is filtered while it is read, never held whole.
/// </summary>
internal sealed class FigureStatisticConverter : JsonConverter<StatisticResult>
{
    public override StatisticResult? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var statistic = JsonSerializer.Deserialize(ref reader, PointLineContext.Default.StatisticResult);
        return statistic is null || statistic.A is > 1 || statistic.B is > 1 ? null : statistic;
    }

    public override void Write(Utf8JsonWriter writer, StatisticResult value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, PointLineContext.Default.StatisticResult);
}
