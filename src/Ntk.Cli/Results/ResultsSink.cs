using System.Globalization;
using System.Text;
using System.Text.Json;
using Ntk.Cluster;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Claims;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Results;

/// <summary>What a results directory records about the run besides the numbers.</summary>
internal sealed record RunDescription(
    string Mode, string SweepText, string SweepHash, int Workers, IReadOnlyList<string> Nodes, DateTimeOffset StartedUtc);

/// <summary>
/// Writes a results directory as the sweep runs, with memory O(points in flight) and work per point, never per
/// snapshot × sweep (docs/contract.md §7, docs/performance.md §7.1):
/// <list type="bullet">
/// <item>point-states.bin — a record of each finished point (once) and of each point in flight at every checkpoint
/// whose trials changed: what --resume reads back, by point (<see cref="PointStateStore"/>);</item>
/// <item>results.csv, results.parquet, claims.csv, points.jsonl — a finished point's rows, claims and summary, in point order: a point that
/// finishes before an earlier one waits (bounded by the coordinator's point window); points finished by a previous
/// run are read back from the store when their turn comes; an incomplete run ends with the points in flight;</item>
/// <item>results.json — sweep, provenance and a summary, small, replaced whole (atomically) at each checkpoint;</item>
/// <item>claims.md — at the end, from the <see cref="ClaimDigest"/>, published together with the final results.json
/// (<see cref="AtomicFileSet"/>).</item>
/// </list>
/// Called on the result writer's own thread, one call at a time. Every file but results.json and claims.md is
/// appended, so a snapshot costs the points that changed. A write that fails (a full disk) throws: the result writer
/// stops the sweep, and --resume rewrites the appended files from point-states.bin.
/// </summary>
internal sealed class ResultsSink : IStreamingResultSink, IDisposable
{
    private static readonly double[] ReportedQuantiles = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
    /// <summary>The keys of <see cref="ReportedQuantiles"/> in points.jsonl ("R" text), formatted once, not per point.</summary>
    private static readonly string[] QuantileKeys = ReportedQuantiles.Select(q => q.ToString("R", CultureInfo.InvariantCulture)).ToArray();
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private readonly string _directory;
    private readonly RunDescription _run;
    private readonly SimulationPlan _plan;
    private readonly PointStateStore _store;
    private readonly Func<DateTimeOffset> _clock;
    private readonly Action<SweepSnapshot>? _afterFinal;
    private readonly StreamWriter _csv;
    private readonly StreamWriter _claimsCsv;
    private readonly FileStream _points;
    private readonly ParquetResultsWriter _parquet;
    /// <summary>The points at which the Remark's limit is judged (ClaimEvaluator).</summary>
    private readonly HashSet<int> _limitPoints;
    private readonly ClaimDigest _claims = new();
    private readonly Report.PointTotals _totals = new();
    private readonly StringBuilder _line = new(256);
    /// <summary>Points finished in this run, waiting for the points before them.</summary>
    private readonly SortedDictionary<int, (PointSnapshot Point, double Seconds)> _waiting = [];
    /// <summary>The latest checkpoint of each point in flight (removed when it finishes).</summary>
    private readonly Dictionary<int, PointSnapshot> _inFlight = [];
    private int _nextRow;
    private bool _closed;

    /// <param name="store">The point-state store of this directory (fresh, or opened to continue it); owned by the sink.</param>
    public ResultsSink(string directory, RunDescription run, SimulationPlan plan, PointStateStore store, Func<DateTimeOffset> clock,
        Action<SweepSnapshot>? afterFinal = null)
    {
        _directory = directory;
        _run = run;
        _plan = plan;
        _store = store;
        _clock = clock;
        _afterFinal = afterFinal;
        // Temporary files of a process killed while writing (a failed write deletes its own).
        AtomicFile.DeleteStaleTemporaries(directory);
        _limitPoints = LimitPoints.Of(plan.Points.Select(p => p.Definition).ToList());
        _csv = Open(CsvPath);
        _csv.Write(ResultRows.Header);
        _csv.Write('\n');
        _claimsCsv = Open(ClaimsCsvPath);
        _claimsCsv.Write(ClaimsCsv.Header);
        _claimsCsv.Write('\n');
        _points = new FileStream(Path.Combine(directory, ResultsJson.PointsFileName), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _parquet = new ParquetResultsWriter(ParquetPath);
        // A resumed run writes the rows of the points finished before it again, from the store, in point order.
        EmitReady();
        Flush();
    }

    /// <summary>Paths of the files this sink writes.</summary>
    public string CsvPath => Path.Combine(_directory, "results.csv");
    public string ParquetPath => Path.Combine(_directory, "results.parquet");
    public string JsonPath => Path.Combine(_directory, ResultsJson.FileName);
    public string ClaimsPath => Path.Combine(_directory, "claims.md");
    public string ClaimsCsvPath => Path.Combine(_directory, "claims.csv");

    public void PointFinished(PointSnapshot point)
    {
        var seconds = (_clock() - _run.StartedUtc).TotalSeconds;
        // The store first: once this returns the point's aggregator is released, and the store is what a killed
        // run resumes from.
        _store.Append(point, seconds);
        _store.Flush();
        _inFlight.Remove(point.PointIndex);
        _waiting[point.PointIndex] = (point, seconds);
        EmitReady();
        Flush();
    }

    public void Checkpoint(IReadOnlyList<PointSnapshot> inFlight, SweepTotals totals)
    {
        foreach (var point in inFlight)
        {
            _inFlight[point.PointIndex] = point;
            if (_store.Latest.TryGetValue(point.PointIndex, out var stored) && stored.Trials == point.Trials) continue;
            _store.Append(point, null);
        }
        _store.Flush();
        WriteJson(totals);
    }

    public SweepSnapshot Complete(SweepTotals totals)
    {
        if (!totals.Complete) EmitRemaining();
        Close();
        _store.Flush(toDisk: true);
        using (var files = new AtomicFileSet())
        {
            WriteJson(files, totals);
            files.WriteAllText(ClaimsPath, ClaimsMarkdown.Render(SweepName, totals.Complete, _claims));
            files.Commit();
        }
        var snapshot = new SweepSnapshot(_plan, [], Final: true, totals.Complete) { TotalTrials = totals.Trials };
        _afterFinal?.Invoke(snapshot);
        return snapshot;
    }

    /// <summary>Closes the files. After a failed write (a full disk) their buffers cannot be written either: the run
    /// has already failed with that cause, and --resume rewrites them, so that second failure is not reported.</summary>
    public void Dispose()
    {
        try
        {
            Close();
        }
        catch (IOException)
        {
        }
        try
        {
            _store.Dispose();
        }
        catch (IOException)
        {
        }
    }

    private string SweepName => _plan.Name;

    /// <summary>
    /// The claims digest and point totals of every point written to points.jsonl (this run's and, on --resume, the
    /// earlier ones read back): what the report's first pass over points.jsonl would gather, handed to
    /// <see cref="Report.ReportRenderer"/> so a large sweep's report reads points.jsonl once (issue 10).
    /// </summary>
    public Report.ReportDigest Digest => new(_claims, _totals);

    /// <summary>Writes the rows of every point from the next one on that is finished (this run or before).</summary>
    private void EmitReady()
    {
        while (_nextRow < _plan.Points.Length)
        {
            if (_waiting.Remove(_nextRow, out var finished)) Emit(finished.Point, finished.Seconds);
            else if (_store.Latest.TryGetValue(_nextRow, out var stored) && stored.Done) Emit(Read(stored), stored.DoneSeconds);
            else break;
            _nextRow++;
        }
    }

    /// <summary>An incomplete run: the rows of every remaining point with trials, finished or not, in point order.</summary>
    private void EmitRemaining()
    {
        for (var p = _nextRow; p < _plan.Points.Length; p++)
        {
            if (_waiting.Remove(p, out var finished)) Emit(finished.Point, finished.Seconds);
            else if (_inFlight.TryGetValue(p, out var point)) Emit(point, null);
            else if (_store.Latest.TryGetValue(p, out var stored) && stored.Trials > 0) Emit(Read(stored), stored.Done ? stored.DoneSeconds : null);
        }
        _nextRow = _plan.Points.Length;
    }

    private PointSnapshot Read(StoredPoint stored)
    {
        var merged = PointAccumulator.FromBytes(_plan.Points[stored.Point].Definition.Layout, _store.ReadState(stored));
        return new PointSnapshot(stored.Point, stored.ShardsMerged, stored.Trials, stored.Done, merged);
    }

    /// <summary>One point's rows into results.csv and results.parquet, its summary into points.jsonl, its claims into the digest.</summary>
    private void Emit(PointSnapshot point, double? seconds)
    {
        if (point.Trials == 0) return;
        var sweepPoint = _plan.Points[point.PointIndex];
        var definition = sweepPoint.Definition;
        var rows = ResultRows.For(sweepPoint, point.Merged, point.Done).ToList();
        foreach (var row in rows)
        {
            _line.Clear();
            ResultRows.AppendCsv(_line, row);
            _csv.Write(_line);
            _csv.Write('\n');
            _parquet.Add(row);
        }
        IReadOnlyList<ClaimResult> evaluated = point.Trials >= 2
            ? ClaimEvaluator.Evaluate(definition, point.Merged, _limitPoints.Contains(point.PointIndex))
            : [];
        foreach (var claim in evaluated)
        {
            _line.Clear();
            ClaimsCsv.AppendRow(_line, point.PointIndex, claim);
            _claimsCsv.Write(_line);
            _claimsCsv.Write('\n');
        }
        var claims = evaluated.Select(ToEntry).ToList();
        var widths = definition.Network.Widths.ToArray();
        foreach (var claim in claims)
            _claims.Add(new ClaimRow(point.PointIndex, definition.Network.Depth, widths, definition.Network.InputDim,
                definition.Network.Law.Name, sweepPoint.ThetaDegrees, claim));
        var result = new PointResult(
            point.PointIndex, definition.Network.Depth, widths, definition.Network.InputDim,
            definition.Network.Law.Name, EngineChoice.Name(definition.Engine), sweepPoint.ThetaDegrees, sweepPoint.PhaseDegrees,
            definition.Inputs.Count, point.Trials, _plan.Stopping.TrialCap, point.ShardsMerged, point.Done, seconds,
            rows.Select(r => new StatisticResult(
                StatisticNames.Of(r.Key, definition.Layout), NullIfNone(r.Key.Layer, 0), NullIfNone(r.Key.InputA, -1), NullIfNone(r.Key.B, -1),
                r.Mean, r.Variance, r.StandardError, r.Skewness, r.Kurtosis, r.InfiniteWidth, r.Paper)).ToList(),
            claims,
            Sketches(point.Merged));
        _totals.Add(result);
        using (var json = new Utf8JsonWriter(_points))
            JsonSerializer.Serialize(json, result, PointLineContext.Default.PointResult);
        _points.WriteByte((byte)'\n');
        // Rows are written once per point (an incomplete run's last rows too): its memoized predictions can go.
        Predictions.Forget(definition);
    }

    private void Flush()
    {
        _csv.Flush();
        _claimsCsv.Flush();
        _points.Flush();
    }

    private void Close()
    {
        if (_closed) return;
        _closed = true;
        try
        {
            _csv.Dispose();
            _claimsCsv.Dispose();
            _points.Dispose();
        }
        finally
        {
            _parquet.Dispose();
        }
    }

    private static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), Utf8NoBom, 1 << 16);

    private void WriteJson(SweepTotals totals)
    {
        using var files = new AtomicFileSet();
        WriteJson(files, totals);
        files.Commit();
    }

    private void WriteJson(AtomicFileSet files, SweepTotals totals)
    {
        var now = _clock();
        using var sweep = JsonDocument.Parse(_run.SweepText, new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true,
        });
        var claims = _claims.Groups.Select(g => new ClaimSummary(g.ClaimId, g.Total,
            g.Counts.OrderBy(c => ClaimsMarkdown.VerdictOrder(c.Key)).ToDictionary(c => c.Key, c => c.Value),
            double.IsNaN(g.LargestAbsZ) ? null : g.LargestAbsZ)).ToList();
        var file = new ResultsFile(
            ResultsFile.CurrentFormat,
            new SoftwareInfo("Ntk.Distributed", SoftwareVersion.Value, Environment.Version.ToString(), RandomStream.GeneratorVersion,
                Ntk.Numerics.Engines.EngineVersions.Current),
            new RunInfo(_run.Mode, totals.Complete, _run.StartedUtc, now, (now - _run.StartedUtc).TotalSeconds, _run.Workers, _run.Nodes,
                totals.Trials, unchecked((long)_plan.MasterSeed)),
            _run.SweepHash,
            sweep.RootElement.Clone(),
            new ResultsSummary(totals.Points, totals.DonePoints,
                new ResultFiles("results.csv", "results.parquet", ResultsJson.PointsFileName, PointStateStore.FileName, "claims.md", "claims.csv"),
                claims));
        files.Write(JsonPath, stream => JsonSerializer.Serialize(stream, file, ResultsJson.Options));
    }

    private static int? NullIfNone(int value, int none) => value == none ? null : value;

    private static ClaimEntry ToEntry(ClaimResult claim) => new(
        claim.ClaimId, claim.Statement, StatisticNames.Of(claim.Statistic.Kind),
        NullIfNone(claim.Statistic.Layer, 0), NullIfNone(claim.Statistic.A, -1), NullIfNone(claim.Statistic.B, -1),
        claim.Predicted, claim.Measured, claim.StandardError, claim.Z, ClaimVerdicts.Name(claim.Verdict), claim.Reason);

    /// <summary>Each sketched statistic's quantiles; the buckets stay in point-states.bin (<see cref="StoredSketches"/>).</summary>
    private static List<SketchEntry> Sketches(PointAccumulator merged)
    {
        var layout = merged.Layout;
        var entries = new List<SketchEntry>();
        Span<double> values = stackalloc double[ReportedQuantiles.Length];
        foreach (var index in layout.SketchedIndices)
        {
            var sketch = merged.Sketch(index);
            var key = layout.Keys[index];
            var quantiles = new Dictionary<string, double>(ReportedQuantiles.Length);
            // One pass over the buckets for all the levels (the same values as Quantile per level).
            sketch.Quantiles(ReportedQuantiles, values);
            for (var q = 0; q < ReportedQuantiles.Length; q++) quantiles.Add(QuantileKeys[q], values[q]);
            entries.Add(new SketchEntry(StatisticNames.Of(key.Kind), NullIfNone(key.A, -1), NullIfNone(key.B, -1),
                sketch.RelativeAccuracy, sketch.Count, quantiles, []));
        }
        return entries;
    }
}

internal static class SoftwareVersion
{
    public static readonly string Value =
        typeof(SoftwareVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
