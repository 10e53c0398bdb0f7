using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Ntk.Cli.Results;
using Ntk.Numerics.Analytic;

namespace Ntk.Cli.Report;

/// <summary>
/// The text of report.md / report.html, built from results.json alone (no clock, no machine state): the sweep, the
/// run's provenance, the points, a table per paper claim with its verdict at every point, the plots, and how to read
/// them. Timestamps appear only as stored in results.json.
/// </summary>
internal static partial class ReportContent
{
    /// <summary>Claims in the order of docs/science.md §6; ids not listed here follow in order of first appearance.</summary>
    private static readonly string[] ClaimOrder =
        ["theorem-1.1", "corollary-1.1", "theorem-2.1", "theorem-2.2", "remark-2.2", "independence",
         "jensen-spectrum", "offdiag-variance"];

    public static ReportDocument Build(
        ResultsFile results, string fallbackName, IReadOnlyList<PlotWritten> written, IReadOnlyList<PlotSkipped> skipped)
    {
        var name = SweepString(results.Sweep, "name") ?? fallbackName;
        var document = new ReportDocument("NTK sweep report: " + name);
        var done = results.Summary.PointsDone;
        document.Text(results.Run.Complete
            ? $"All {results.Summary.Points} points finished ({results.Run.TotalTrials.ToString("N0", CultureInfo.InvariantCulture)} sampled networks in total)."
            : $"**Partial results**: {done} of {results.Summary.Points} points finished when results.json was last written; the numbers will change when the run continues (`ntk run --resume`).");

        AddSweep(document, results, name);
        AddProvenance(document, results);
        AddPoints(document, results);
        AddClaims(document, results);
        AddPlots(document, written, skipped);
        AddHowToRead(document);
        return document;
    }

    private static void AddSweep(ReportDocument document, ResultsFile results, string name)
    {
        document.Heading2("Sweep");
        var seed = SweepNumber(results.Sweep, "seed") ?? results.Run.MasterSeed.ToString(CultureInfo.InvariantCulture);
        var items = new List<string>
        {
            $"name: **{name}**",
            $"master seed: {seed}",
            "stopping rule: " + StoppingRule(results),
            $"points: {results.Summary.Points}",
            $"sweep hash: `{results.SweepHash}`",
        };
        if (SweepNumber(results.Sweep, "shardTrials") is { } shard) items.Insert(3, $"trials per shard: {shard}");
        document.Bullets(items);
        document.Text("The sweep file as run:");
        document.Code(CompactJson(results.Sweep), "json");
    }

    /// <summary>The sweep JSON indented by object, with arrays of numbers or strings kept on one line.</summary>
    internal static string CompactJson(JsonElement element)
    {
        var text = new System.Text.StringBuilder();
        Write(element, 0);
        return text.ToString();

        void Write(JsonElement value, int indent)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    var properties = value.EnumerateObject().ToList();
                    if (properties.Count == 0)
                    {
                        text.Append("{}");
                        break;
                    }
                    text.Append("{\n");
                    for (var i = 0; i < properties.Count; i++)
                    {
                        text.Append(' ', 2 * (indent + 1)).Append(Scalar(properties[i].Name)).Append(": ");
                        Write(properties[i].Value, indent + 1);
                        text.Append(i < properties.Count - 1 ? ",\n" : "\n");
                    }
                    text.Append(' ', 2 * indent).Append('}');
                    break;
                case JsonValueKind.Array:
                    var items = value.EnumerateArray().ToList();
                    if (items.All(item => item.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)))
                    {
                        text.Append('[').Append(string.Join(", ", items.Select(item => item.GetRawText()))).Append(']');
                        break;
                    }
                    text.Append("[\n");
                    for (var i = 0; i < items.Count; i++)
                    {
                        text.Append(' ', 2 * (indent + 1));
                        Write(items[i], indent + 1);
                        text.Append(i < items.Count - 1 ? ",\n" : "\n");
                    }
                    text.Append(' ', 2 * indent).Append(']');
                    break;
                default:
                    text.Append(value.GetRawText());
                    break;
            }
        }

        static string Scalar(string name) => JsonSerializer.Serialize(name, NameJson);
    }

    private static readonly JsonSerializerOptions NameJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string StoppingRule(ResultsFile results)
    {
        var cap = results.Totals.MaxTrialCap;
        if (SweepNumber(results.Sweep, "targetStdErr") is { } target)
        {
            var max = SweepNumber(results.Sweep, "maxTrials") ?? cap.ToString("N0", CultureInfo.InvariantCulture);
            return $"stop each point when every reported mean has standard error ≤ {target} (at most {max} trials per point)";
        }
        if (SweepNumber(results.Sweep, "trials") is { } trials)
            return $"a fixed {trials} trials (sampled networks) per point";
        return $"at most {cap.ToString("N0", CultureInfo.InvariantCulture)} trials per point";
    }

    private static void AddProvenance(ReportDocument document, ResultsFile results)
    {
        document.Heading2("Provenance");
        var run = results.Run;
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "software", $"{results.Software.Name} {results.Software.Version} (.NET {results.Software.Runtime})" },
            new[] { "random sequence", $"{results.Software.Generator ?? "not recorded"}; engines {results.Software.Engines ?? "not recorded"}" },
            new[] { "results format", results.Format },
            new[] { "mode", run.Mode == "local" ? "local (one process)" : run.Mode },
            new[] { "workers", run.Workers.ToString(CultureInfo.InvariantCulture) },
            new[] { "nodes", run.Nodes.Count == 0 ? "–" : string.Join(", ", run.Nodes) },
            new[] { "started (UTC)", Timestamp(run.StartedUtc) },
            new[] { "results written (UTC)", Timestamp(run.UpdatedUtc) },
            new[] { "wall time", Duration(run.WallSeconds) },
            new[] { "sampled networks (trials)", run.TotalTrials.ToString("N0", CultureInfo.InvariantCulture) },
            new[] { "status", run.Complete ? "complete" : "**partial** (not every point reached its stopping rule)" },
        };
        document.AddTable(["", "value"], [false, false], rows);
    }

    /// <summary>Points listed one per row up to this many; a larger sweep gets one row per network and input setting.</summary>
    internal const int MaxPointRows = 200;

    private static void AddPoints(ReportDocument document, ResultsFile results)
    {
        document.Heading2("Points");
        if (results.Totals.Count > MaxPointRows)
        {
            AddPointGroups(document, results);
            return;
        }
        var rows = results.Points.OrderBy(p => p.Point).Select(p => (IReadOnlyList<string>)new[]
        {
            p.Point.ToString(CultureInfo.InvariantCulture),
            p.Depth.ToString(CultureInfo.InvariantCulture),
            p.WidthsShort(),
            p.InputDim.ToString(CultureInfo.InvariantCulture),
            p.Weights,
            p.Engine,
            p.ThetaDeg is { } theta ? PointLookups.Format(theta, 6) : (p.Inputs + " inputs"),
            p.Trials.ToString("N0", CultureInfo.InvariantCulture),
            p.Done ? "yes" : "no",
            p.ElapsedSeconds is { } seconds ? PointLookups.Format(seconds, 4) : "–",
        });
        document.AddTable(
            ["point", "L", "width(s)", "n0", "weights", "engine", "θ (deg)", "trials", "done", "done after (s)"],
            [true, true, false, true, false, false, true, true, false, true], rows);
    }

    /// <summary>A large sweep: one row per network and input setting, with its angles and trials summed.</summary>
    private static void AddPointGroups(ReportDocument document, ResultsFile results)
    {
        document.Text($"{results.Totals.Count.ToString("N0", CultureInfo.InvariantCulture)} points with measurements, grouped by network and inputs " +
                      "(every point is a row group of results.csv / results.parquet and a line of points.jsonl).");
        var rows = results.Totals.Groups.Select(g => (IReadOnlyList<string>)new[]
        {
            g.Count.ToString(CultureInfo.InvariantCulture),
            g.FirstPoint.ToString(CultureInfo.InvariantCulture) + "–" + g.LastPoint.ToString(CultureInfo.InvariantCulture),
            g.Key.Depth.ToString(CultureInfo.InvariantCulture),
            g.Key.Widths,
            g.Key.InputDim.ToString(CultureInfo.InvariantCulture),
            g.Key.Weights,
            g.Key.Engine,
            g.Key.Pair
                ? $"{PointLookups.Format(g.MinTheta, 6)} – {PointLookups.Format(g.MaxTheta, 6)} ({g.AngleCount} angles)"
                : g.Key.Inputs + " inputs",
            g.Trials.ToString("N0", CultureInfo.InvariantCulture),
            g.Done.ToString(CultureInfo.InvariantCulture),
        });
        document.AddTable(
            ["points", "indices", "L", "width(s)", "n0", "weights", "engine", "θ (deg)", "trials", "done"],
            [true, false, true, false, true, false, false, false, true, true], rows.ToList());
    }

    private static void AddClaims(ReportDocument document, ResultsFile results)
    {
        document.Heading2("Claims of the paper");
        if (results.Claims.Groups.Count == 0)
        {
            document.Text("No claim was evaluated: no point has at least two trials yet.");
            return;
        }
        document.Text("The paper: " + PaperClaims.Citation + ".");
        document.Text("Each table compares a claim of the paper with the Monte Carlo mean at every point where it applies. " +
                      "z = (measured − predicted) / SE; see *How to read this* below for the verdicts.");
        var groups = results.Claims.Groups
            .OrderBy(g => Array.IndexOf(ClaimOrder, g.ClaimId) is var i && i >= 0 ? i : ClaimOrder.Length)
            .ToList();
        foreach (var group in groups)
        {
            document.Heading3($"{ClaimsMarkdown.Title(group.ClaimId)} — `{group.ClaimId}`");
            document.Text(group.CommonStatement is { } common
                ? "Statement: " + common
                : $"Statement, as evaluated at point {group.FirstPoint}: {group.FirstStatement}");
            var counts = group.Counts.OrderBy(c => VerdictRank(c.Key)).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => $"{VerdictText(c.Key)} at {c.Value} of {group.Total}");
            document.Text("Verdict: " + string.Join(", ", counts) + ".");
            if (group.AllRows is { } all)
            {
                AddClaimRows(document, all);
                continue;
            }
            document.Text($"{group.Total.ToString("N0", CultureInfo.InvariantCulture)} evaluations: the verdicts along each axis of the sweep, " +
                          $"then the {group.Worst.Count} of largest |z| (every evaluation is in points.jsonl).");
            foreach (var axis in group.Axes.Keys)
            {
                var axisRows = group.AxisRows(axis);
                if (axisRows.Count == 0) continue;
                document.AddTable([axis, "holds", "inconclusive", "fails"], [false, true, true, true],
                    axisRows.Select(r => (IReadOnlyList<string>)new[]
                    {
                        r.Label,
                        r.Counts.GetValueOrDefault("holds").ToString(CultureInfo.InvariantCulture),
                        r.Counts.GetValueOrDefault("inconclusive").ToString(CultureInfo.InvariantCulture),
                        r.Counts.GetValueOrDefault("fails").ToString(CultureInfo.InvariantCulture),
                    }).ToList());
            }
            AddClaimRows(document, group.Worst);
        }
    }

    private static void AddClaimRows(ReportDocument document, IEnumerable<ClaimRow> claimRows)
    {
        var rows = claimRows.Select(x => (IReadOnlyList<string>)new[]
        {
            x.Point.ToString(CultureInfo.InvariantCulture),
            x.Depth.ToString(CultureInfo.InvariantCulture),
            x.WidthsShort,
            x.InputDim.ToString(CultureInfo.InvariantCulture),
            x.Weights,
            x.ThetaDeg is { } theta ? PointLookups.Format(theta, 6) : "–",
            StatisticLabel(x.Claim),
            PointLookups.Format(x.Claim.Predicted, 6),
            PointLookups.Format(x.Claim.Measured, 6) + " ± " + PointLookups.Format(x.Claim.StdErr, 2),
            PointLookups.Format(x.Claim.Z, 3),
            VerdictText(x.Claim.Verdict),
        });
        document.AddTable(
            ["point", "L", "width(s)", "n0", "weights", "θ (deg)", "statistic", "predicted", "measured ± SE", "z", "verdict"],
            [true, true, false, true, false, true, false, true, true, true, false], rows);
    }

    private static void AddPlots(ReportDocument document, IReadOnlyList<PlotWritten> written, IReadOnlyList<PlotSkipped> skipped)
    {
        document.Heading2("Plots");
        if (written.Count == 0) document.Text("No plot could be drawn for this sweep (see below).");
        foreach (var plot in written) document.AddFigure(plot.RelativePath, plot.Caption);
        if (skipped.Count > 0)
        {
            document.Heading3("Plots not drawn");
            document.Bullets(skipped.Select(s => $"`{s.Family}`: {s.Reason}"));
        }
    }

    private static void AddHowToRead(ReportDocument document)
    {
        document.Heading2("How to read this");
        document.Bullets(
        [
            "**Measured** values are means over independently sampled networks (trials) at initialization. " +
            "**SE** is the standard error of that mean, sqrt(variance / trials); error bars in the plots are ± 1 SE, " +
            "so about two thirds of them should cover the true mean.",
            "**z** = (measured − predicted) / SE counts how many standard errors separate the measurement from the prediction. " +
            "If the prediction is exact, z behaves like a standard normal draw: |z| > 3 happens about 3 times in 1000, |z| > 5 practically never.",
            "**Verdicts**: *holds* when |z| ≤ 3; **fails** when |z| ≥ 5 (for Theorem 2.2's bound: when the measured |E K_ab| exceeds the bound by 5 SE); " +
            "*inconclusive* in between — run more trials (or set a smaller `targetStdErr`) to decide; " +
            "*unreliable* when the SE itself cannot be trusted (heavy tails: too few trials for the fourth moment, or one network " +
            "carrying the variance); *degenerate* when both sides are identically the same constant (e.g. 0 = 0, no evidence); " +
            "*not-applicable* when the point violates an assumption the paper states (atoms, non-Gaussian weights for §2). " +
            "claims.csv gives each row's reason.",
            "**Infinite width** (Θ, c_l) is the limit of the arc-cosine recursion as every hidden width tends to infinity. " +
            "At finite width the mean NTK differs from it: the diagonal E[K_aa] = 2(L+1)‖x‖²/n0 is exact at every width, " +
            "but off-diagonal entries have corrections that grow with depth over width (β = Σ 1/n_l, i.e. L/n), " +
            "so a large |z| against Θ at small width is a finite-width effect the sweep resolves, not an error.",
            "The paper's formulas are evaluated as stated; where they disagree with the measurement at many points " +
            "(for example Theorem 1.1 at θ = 90°, or the 1/4 limit of deep correlators) the verdict column says so.",
            "Plots are regenerated from results.json and points.jsonl by `ntk report DIR`; the same files always give the same plots.",
        ]);
    }

    /// <summary>
    /// The statement shared by a claim's rows: evaluators may append the point's parameters in a final parenthesis
    /// ("… (L = 1, n0 = 10)"); when the statements differ only there, that parenthesis is dropped. Null when they
    /// differ elsewhere too (the statement names the point's inputs or layer).
    /// </summary>
    private static int VerdictRank(string verdict) => verdict switch
    {
        "holds" => 0,
        "fails" => 1,
        "inconclusive" => 2,
        "unreliable" => 3,
        "degenerate" => 4,
        "not-applicable" => 5,
        _ => 6,
    };

    private static string VerdictText(string verdict) => verdict == "fails" ? "**fails**" : verdict;

    private static string StatisticLabel(ClaimEntry claim)
    {
        var parts = new List<string>();
        if (claim.Layer is { } layer) parts.Add("l=" + layer.ToString(CultureInfo.InvariantCulture));
        if (claim.A is { } a) parts.Add(claim.B is { } b ? $"{a},{b}" : a.ToString(CultureInfo.InvariantCulture));
        return parts.Count == 0 ? claim.Stat : $"{claim.Stat}({string.Join("; ", parts)})";
    }

    private static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>"42.0 s", "3 min 07 s", "2 h 05 min".</summary>
    internal static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0) return "–";
        if (seconds < 60) return seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
        var whole = (long)Math.Round(seconds);
        if (whole < 3600) return $"{whole / 60} min {whole % 60:00} s";
        return $"{whole / 3600} h {whole % 3600 / 60:00} min";
    }

    private static string? SweepString(JsonElement sweep, string property) =>
        sweep.ValueKind == JsonValueKind.Object && sweep.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>A numeric property of the sweep as written in the file (its raw JSON text), or null.</summary>
    private static string? SweepNumber(JsonElement sweep, string property) =>
        sweep.ValueKind == JsonValueKind.Object && sweep.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetRawText()
            : null;
}
