using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ntk.Cluster;
using Ntk.Numerics.Claims;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Results;

/// <summary>What a results directory records about the run besides the numbers.</summary>
internal sealed record RunDescription(
    string Mode, string SweepText, string SweepHash, int Workers, IReadOnlyList<string> Nodes, DateTimeOffset StartedUtc);

/// <summary>
/// Writes results.csv, results.json, claims.csv and claims.md into the output directory at every snapshot, together
/// (<see cref="AtomicFileSet"/>: all four come from the same snapshot; a failed write leaves the previous four and
/// no temporary file). Called on the result writer actor's thread, one snapshot at a time.
/// </summary>
internal sealed class ResultsSink : ISweepResultSink
{
    private static readonly double[] ReportedQuantiles = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

    private readonly string _directory;
    private readonly RunDescription _run;
    private readonly Func<DateTimeOffset> _clock;
    private readonly Dictionary<int, double> _pointDoneSeconds = [];
    private readonly Action<SweepSnapshot>? _afterFinal;

    public ResultsSink(string directory, RunDescription run, Func<DateTimeOffset> clock, Action<SweepSnapshot>? afterFinal = null)
    {
        _directory = directory;
        _run = run;
        _clock = clock;
        _afterFinal = afterFinal;
        // Temporary files of a process killed while writing (a failed write deletes its own).
        AtomicFile.DeleteStaleTemporaries(directory);
    }

    /// <summary>Paths of the files this sink writes.</summary>
    public string CsvPath => Path.Combine(_directory, "results.csv");
    public string JsonPath => Path.Combine(_directory, "results.json");
    public string ClaimsPath => Path.Combine(_directory, "claims.md");
    public string ClaimsCsvPath => Path.Combine(_directory, "claims.csv");

    /// <summary>Per-point completion times carried over from a resumed run's results.json.</summary>
    public void SeedTimings(IEnumerable<(int Point, double Seconds)> timings)
    {
        foreach (var (point, seconds) in timings) _pointDoneSeconds[point] = seconds;
    }

    public void Publish(SweepSnapshot snapshot)
    {
        var now = _clock();
        var elapsed = (now - _run.StartedUtc).TotalSeconds;
        foreach (var point in snapshot.Points)
            if (point.Done && !_pointDoneSeconds.ContainsKey(point.PointIndex))
                _pointDoneSeconds[point.PointIndex] = elapsed;

        // The rows (moments and predictions of every statistic) feed both files: compute them once per snapshot.
        var rows = snapshot.Points.Where(p => p.Trials > 0).ToDictionary(p => p.PointIndex,
            p => (IReadOnlyList<ResultRow>)ResultRows.For(snapshot.Plan.Points[p.PointIndex], p.Merged, p.Done).ToList());
        using var files = new AtomicFileSet();
        WriteCsv(files, snapshot, rows);
        var limitPoints = LimitPoints.Of(snapshot.Plan.Points.Select(p => p.Definition).ToList());
        var claims = snapshot.Points.ToDictionary(p => p.PointIndex,
            p => p.Trials >= 2
                ? ClaimEvaluator.Evaluate(snapshot.Plan.Points[p.PointIndex].Definition, p.Merged, limitPoints.Contains(p.PointIndex))
                : (IReadOnlyList<ClaimResult>)[]);
        WriteJson(files, snapshot, rows, claims, now, elapsed);
        files.WriteAllText(ClaimsCsvPath, ClaimsCsv.Render(claims));
        files.WriteAllText(ClaimsPath, ClaimsMarkdown.Render(snapshot, claims));
        files.Commit();
        if (snapshot.Final) _afterFinal?.Invoke(snapshot);
    }

    private void WriteCsv(AtomicFileSet files, SweepSnapshot snapshot, IReadOnlyDictionary<int, IReadOnlyList<ResultRow>> rows)
    {
        files.Write(CsvPath, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            writer.WriteLine(ResultRows.Header);
            var line = new StringBuilder(256);
            foreach (var point in snapshot.Points.OrderBy(p => p.PointIndex))
            {
                if (point.Trials == 0) continue;
                foreach (var row in rows[point.PointIndex])
                {
                    line.Clear();
                    ResultRows.AppendCsv(line, row);
                    writer.WriteLine(line);
                }
            }
        });
    }

    private void WriteJson(AtomicFileSet files,
        SweepSnapshot snapshot, IReadOnlyDictionary<int, IReadOnlyList<ResultRow>> rows, IReadOnlyDictionary<int, IReadOnlyList<ClaimResult>> claims, DateTimeOffset now, double elapsed)
    {
        var points = new List<PointResult>(snapshot.Points.Length);
        foreach (var point in snapshot.Points.OrderBy(p => p.PointIndex))
        {
            var sweepPoint = snapshot.Plan.Points[point.PointIndex];
            var definition = sweepPoint.Definition;
            var statistics = point.Trials == 0
                ? []
                : rows[point.PointIndex].Select(r => new StatisticResult(
                    StatisticNames.Of(r.Key.Kind), NullIfNone(r.Key.Layer, 0), NullIfNone(r.Key.A, -1), NullIfNone(r.Key.B, -1),
                    r.Mean, r.Variance, r.StandardError, r.Skewness, r.Kurtosis, r.InfiniteWidth, r.Paper)).ToList();
            points.Add(new PointResult(
                point.PointIndex, definition.Network.Depth, definition.Network.Widths.ToArray(), definition.Network.InputDim,
                definition.Network.Law.Name, EngineChoice.Name(definition.Engine), sweepPoint.ThetaDegrees, sweepPoint.PhaseDegrees,
                definition.Inputs.Count, point.Trials, snapshot.Plan.Stopping.TrialCap, point.ShardsMerged, point.Done,
                _pointDoneSeconds.TryGetValue(point.PointIndex, out var s) ? s : null,
                statistics,
                claims[point.PointIndex].Select(ToEntry).ToList(),
                point.Trials == 0 ? [] : Sketches(point.Merged),
                Convert.ToBase64String(point.Merged.ToBytes())));
        }

        using var sweep = JsonDocument.Parse(_run.SweepText, new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
        });
        var file = new ResultsFile(
            ResultsFile.CurrentFormat,
            new SoftwareInfo("Ntk.Distributed", SoftwareVersion.Value, Environment.Version.ToString(), RandomStream.GeneratorVersion),
            new RunInfo(_run.Mode, snapshot.Complete, _run.StartedUtc, now, elapsed, _run.Workers, _run.Nodes,
                snapshot.Points.Sum(p => p.Trials), unchecked((long)snapshot.Plan.MasterSeed)),
            _run.SweepHash,
            sweep.RootElement.Clone(),
            points);
        files.Write(JsonPath, stream => JsonSerializer.Serialize(stream, file, ResultsJson.Options));
    }

    private static int? NullIfNone(int value, int none) => value == none ? null : value;

    private static ClaimEntry ToEntry(ClaimResult claim) => new(
        claim.ClaimId, claim.Statement, StatisticNames.Of(claim.Statistic.Kind),
        NullIfNone(claim.Statistic.Layer, 0), NullIfNone(claim.Statistic.A, -1), NullIfNone(claim.Statistic.B, -1),
        claim.Predicted, claim.Measured, claim.StandardError, claim.Z, ClaimVerdicts.Name(claim.Verdict), claim.Reason);

    private static List<SketchEntry> Sketches(PointAccumulator merged)
    {
        var layout = merged.Layout;
        var entries = new List<SketchEntry>();
        foreach (var index in layout.SketchedIndices)
        {
            var sketch = merged.Sketch(index);
            var key = layout.Keys[index];
            var quantiles = ReportedQuantiles.ToDictionary(
                q => q.ToString("R", CultureInfo.InvariantCulture), q => sketch.Quantile(q));
            var bins = sketch.Buckets().Select(b => new[] { b.Lower, b.Upper, (double)b.Count }).ToList();
            entries.Add(new SketchEntry(StatisticNames.Of(key.Kind), NullIfNone(key.A, -1), NullIfNone(key.B, -1),
                sketch.RelativeAccuracy, sketch.Count, quantiles, bins));
        }
        return entries;
    }
}

internal static class SoftwareVersion
{
    public static readonly string Value =
        typeof(SoftwareVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
