using System.Globalization;
using System.Text.Json;
using Ntk.Cli.Results;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Tests.Support;

/// <summary>
/// Synthetic but realistic results.json files for the report tests, built directly from the results DTOs: infinite-width
/// values from the arc-cosine recursion (docs/science.md §4), measured means with the finite-width drift docs/science.md §5
/// describes (+0.6·β relative on K_01, β = Σ 1/n_l), standard errors for 100 000 trials, claims with z-scores and
/// verdicts, and quantile sketches whose buckets are those of a DDSketch (relative accuracy 1%) filled with seeded
/// log-normal-shaped draws. Deterministic: the same arguments give the same file.
/// </summary>
internal static class ReportFixtures
{
    private const long Trials = 100_000;
    private const int SketchSamples = 4_000;
    private const double RelativeAccuracy = 0.01;
    private static readonly double[] ReportedQuantiles = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

    /// <summary>Pair inputs at the given angles: one point per (depth, width, angle), Gaussian weights.</summary>
    public static ResultsFile PairSweep(
        IReadOnlyList<int> depths, IReadOnlyList<int> widths, IReadOnlyList<double> angles, int inputDim = 10,
        bool complete = true, string name = "fixture-pairs")
    {
        var points = new List<PointResult>();
        var random = new Random(20261129);
        foreach (var depth in depths)
            foreach (var width in widths)
                foreach (var angle in angles)
                    points.Add(PairPoint(points.Count, depth, width, angle, inputDim, complete || points.Count % 2 == 0, random));
        var sweep = $$"""
            {"name": "{{name}}", "seed": 42, "trials": {{Trials}}, "shardTrials": 2000,
             "network": {"inputDim": {{inputDim}}, "depth": [{{string.Join(", ", depths)}}], "width": [{{string.Join(", ", widths)}}], "weights": "gaussian", "engine": "auto"},
             "inputs": {"kind": "pair", "thetaDegrees": [{{string.Join(", ", angles.Select(a => a.ToString(CultureInfo.InvariantCulture)))}}] } }
            """;
        return File(sweep, points, complete);
    }

    /// <summary>Sphere inputs (m points on the unit sphere, no angle axis): one point per (depth, width).</summary>
    public static ResultsFile SphereSweep(IReadOnlyList<int> depths, IReadOnlyList<int> widths, int inputDim = 10, int inputs = 4)
    {
        var points = new List<PointResult>();
        var random = new Random(7);
        foreach (var depth in depths)
            foreach (var width in widths)
            {
                // Inputs 0 and 1 of the sphere set happen to be 70° apart; the other pairs are not reported here.
                var pair = PairPoint(points.Count, depth, width, 70, inputDim, done: true, random);
                points.Add(pair with { ThetaDeg = null, PhaseDeg = null, Inputs = inputs });
            }
        var sweep = $$"""
            {"name": "fixture-sphere", "seed": 7, "targetStdErr": 0.001, "maxTrials": 1000000, "shardTrials": 2000,
             "network": {"inputDim": {{inputDim}}, "depth": [{{string.Join(", ", depths)}}], "width": [{{string.Join(", ", widths)}}]},
             "inputs": {"kind": "sphere", "count": {{inputs}}, "seed": 7 } }
            """;
        return File(sweep, points, complete: true);
    }

    /// <summary>Writes <paramref name="results"/> as results.json and its points as points.jsonl into <paramref name="directory"/>.</summary>
    public static void WriteResults(string directory, ResultsFile results)
    {
        System.IO.File.WriteAllBytes(Path.Combine(directory, "results.json"), JsonSerializer.SerializeToUtf8Bytes(results, ResultsJson.Options));
        System.IO.File.WriteAllLines(Path.Combine(directory, "points.jsonl"),
            results.Points.Select(p => JsonSerializer.Serialize(p, ResultsJson.LineOptions)));
    }

    private static ResultsFile File(string sweepText, List<PointResult> points, bool complete)
    {
        using var sweep = JsonDocument.Parse(sweepText);
        var started = new DateTimeOffset(2026, 11, 28, 21, 0, 0, TimeSpan.Zero);
        return new ResultsFile(
            ResultsFile.CurrentFormat,
            new SoftwareInfo("Ntk.Distributed", "0.1.0", "10.0.0", RandomStream.GeneratorVersion, Ntk.Numerics.Engines.EngineVersions.Current),
            new RunInfo("local", complete, started, started.AddSeconds(754.25), 754.25, 2, ["local"],
                points.Sum(p => p.Trials), 42),
            "3f2a9c0d",
            sweep.RootElement.Clone(),
            new ResultsSummary(points.Count, points.Count(p => p.Done),
                new ResultFiles("results.csv", "results.parquet", "points.jsonl", "point-states.bin", "claims.md", "claims.csv"), []))
        {
            Points = points,
        };
    }

    private static PointResult PairPoint(int index, int depth, int width, double angleDegrees, int inputDim, bool done, Random random)
    {
        var theta = angleDegrees * Math.PI / 180;
        var analytic = Analytic(depth, inputDim, theta);
        var beta = depth / (double)width;
        var trials = done ? Trials : Trials / 4;
        var rootTrials = Math.Sqrt(trials);
        var statistics = new List<StatisticResult>();
        var claims = new List<ClaimEntry>();
        double Noise(double standardError) => standardError * (random.NextDouble() * 2 - 1);

        // Spread of one network's K around its mean: grows like exp(5β) (Hanin & Nica 2019), capped for the fixture.
        var relativeSpread = Math.Sqrt(Math.Min(Math.Exp(5 * beta) - 1, 4));
        var diagonalSe = analytic.Diagonal * relativeSpread / rootTrials;
        var diagonal = analytic.Diagonal + Noise(diagonalSe);
        var offMean = analytic.Off * (1 + 0.6 * beta * Math.Sin(theta));
        var offSe = analytic.Diagonal * relativeSpread / rootTrials;
        var off = offMean + Noise(offSe);
        var paper = Math.Cos(theta) * depth / inputDim * Math.Pow(2, depth + 1) * analytic.Correlators.Aggregate(1.0, (p, c) => p * c);
        statistics.Add(Stat("ntk", null, 0, 0, diagonal, diagonalSe, analytic.Diagonal, 2.0 * depth / inputDim));
        statistics.Add(Stat("ntk", null, 0, 1, off, offSe, analytic.Off, paper));
        statistics.Add(Stat("ntk", null, 1, 1, analytic.Diagonal + Noise(diagonalSe), diagonalSe, analytic.Diagonal, 2.0 * depth / inputDim));
        for (var layer = 1; layer <= depth; layer++)
        {
            var c = analytic.Correlators[layer - 1] - 0.15 * beta * (layer - 1) / depth * Math.Sin(theta);
            var se = 0.5 / Math.Sqrt(trials * width);
            statistics.Add(Stat("correlator", layer, 0, 1, c + Noise(se), se, analytic.Correlators[layer - 1], layer == depth ? 0.25 : null));
            statistics.Add(Stat("correlator_cond", layer, 0, 1, c + Noise(se / 3), se / 3, analytic.Correlators[layer - 1], null));
            statistics.Add(Stat("active_fraction", layer, 0, null, 0.5 + Noise(se), se, 0.5, null));
            statistics.Add(Stat("active_fraction", layer, 1, null, 0.5 + Noise(se), se, 0.5, null));
        }
        var lambdaMax = diagonal + Math.Abs(off);
        var lambdaMin = Math.Max(diagonal - Math.Abs(off), 1e-3 * diagonal);
        statistics.Add(Stat("path_product", null, 0, 1, analytic.Correlators.Aggregate(1.0, (p, c) => p * c), 1e-4, null, null));
        statistics.Add(Stat("dead_layer", null, 0, null, Math.Min(1, depth * Math.Pow(0.5, width)), 1e-5, null, null));
        statistics.Add(Stat("dead_layer", null, 1, null, Math.Min(1, depth * Math.Pow(0.5, width)), 1e-5, null, null));
        statistics.Add(Stat("lambda_max", null, null, null, lambdaMax, diagonalSe * 1.4, null, null));
        statistics.Add(Stat("lambda_min", null, null, null, lambdaMin, diagonalSe * 0.8, null, null));
        statistics.Add(Stat("condition", null, null, null, lambdaMax / lambdaMin, 0.01 * lambdaMax / lambdaMin, null, null));

        claims.Add(Claim("theorem-1.1", "E[K_ab] = (x_a·x_b)(L/n0) 2^{L+1} Π_l c_l", "ntk", null, 0, 1, paper, off, offSe));
        claims.Add(Claim("corollary-1.1", "E[K_aa] = 2L‖x‖²/n0", "ntk", null, 0, 0, 2.0 * depth / inputDim, diagonal, diagonalSe));
        var firstLayer = statistics.First(s => s.Stat == "correlator_cond" && s.Layer == 1);
        claims.Add(Claim("theorem-2.1", "c_1 = 1/2 − J_n^{π/2−θ}/A_n (hypercap formula)", "correlator_cond", 1, 0, 1,
            (Math.PI - theta) / (2 * Math.PI), firstLayer.Mean, firstLayer.StdErr));
        if (depth >= 2)
        {
            var deepest = statistics.First(s => s.Stat == "correlator" && s.Layer == depth);
            claims.Add(Claim("remark-2.2", "deeper correlators tend to 1/4", "correlator", depth, 0, 1, 0.25, deepest.Mean, deepest.StdErr));
        }

        var sketches = new List<SketchEntry>
        {
            Sketch("ntk", 0, 0, diagonal, analytic.Diagonal * Math.Min(relativeSpread, 1.5), positive: true, random),
            Sketch("ntk", 0, 1, off, analytic.Diagonal * Math.Min(relativeSpread, 1.5), positive: false, random),
            Sketch("lambda_max", null, null, lambdaMax, lambdaMax * Math.Min(relativeSpread, 1.5), positive: true, random),
            Sketch("lambda_min", null, null, lambdaMin, lambdaMin * Math.Min(relativeSpread, 1.5), positive: true, random),
        };
        return new PointResult(index, depth, Enumerable.Repeat(width, depth).ToArray(), inputDim, "gaussian", "conditional",
            angleDegrees, 0, 2, trials, Trials, (int)(trials / 2000), done, done ? 12.5 + index : null,
            statistics, claims, sketches);
    }

    private static StatisticResult Stat(string stat, int? layer, int? a, int? b, double mean, double se, double? infinite, double? paper) =>
        new(stat, layer, a, b, mean, se * se * Trials, se, 0.8, 4.5, infinite, paper);

    private static ClaimEntry Claim(string id, string statement, string stat, int? layer, int? a, int? b,
        double predicted, double measured, double se)
    {
        var z = (measured - predicted) / se;
        var verdict = Math.Abs(z) <= 3 ? "holds" : Math.Abs(z) >= 5 ? "fails" : "inconclusive";
        return new ClaimEntry(id, statement, stat, layer, a, b, predicted, measured, se, z, verdict);
    }

    private sealed record AnalyticValues(double Diagonal, double Off, double[] Correlators);

    /// <summary>Θ_00, Θ_01 and c_1..c_L for unit inputs at angle θ (docs/science.md §4).</summary>
    private static AnalyticValues Analytic(int depth, int inputDim, double theta)
    {
        var sigmaDiagonal = 2.0 / inputDim;
        var rho = Math.Cos(theta);
        var sigmas = new double[depth + 2];
        var correlators = new double[depth];
        for (var l = 1; l <= depth + 1; l++)
        {
            sigmas[l] = sigmaDiagonal * rho;
            if (l <= depth)
            {
                correlators[l - 1] = (1 - Math.Acos(Math.Clamp(rho, -1, 1)) / Math.PI) / 2;
                rho = (Math.Sqrt(Math.Max(0, 1 - rho * rho)) + (Math.PI - Math.Acos(Math.Clamp(rho, -1, 1))) * rho) / Math.PI;
            }
        }
        double off = 0;
        for (var l = 1; l <= depth + 1; l++)
        {
            var product = 1.0;
            for (var k = l; k <= depth; k++) product *= 2 * correlators[k - 1];
            off += sigmas[l] * product;
        }
        return new AnalyticValues(2.0 * (depth + 1) / inputDim, off, correlators);
    }

    /// <summary>
    /// A DDSketch-shaped sketch of <see cref="SketchSamples"/> draws with the given mean and standard deviation,
    /// right-skewed like the NTK: log-normal when <paramref name="positive"/> (K_aa, eigenvalues), else a shifted,
    /// scaled log-normal that can go negative (K_ab). Buckets [γ^(k−1), γ^k] with γ = (1+α)/(1−α).
    /// </summary>
    private static SketchEntry Sketch(string stat, int? a, int? b, double mean, double deviation, bool positive, Random random)
    {
        var logSpread = positive ? Math.Sqrt(Math.Log(1 + deviation * deviation / (mean * mean))) : 0.5;
        var standardized = Math.Sqrt(Math.Exp(logSpread * logSpread) - 1);
        var samples = new double[SketchSamples];
        for (var i = 0; i < samples.Length; i++)
        {
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var lognormal = Math.Exp(logSpread * gaussian - logSpread * logSpread / 2);
            samples[i] = positive ? mean * lognormal : mean + deviation * (lognormal - 1) / standardized;
        }
        Array.Sort(samples);
        var gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
        var logGamma = Math.Log(gamma);
        var buckets = new SortedDictionary<(int Sign, int Index), long>();
        foreach (var x in samples)
        {
            var key = x == 0 ? (0, 0) : (Math.Sign(x), (int)Math.Ceiling(Math.Log(Math.Abs(x)) / logGamma));
            buckets[key] = buckets.GetValueOrDefault(key) + 1;
        }
        var bins = buckets.Select(bucket =>
        {
            var (sign, index) = bucket.Key;
            if (sign == 0) return new[] { 0.0, 0.0, bucket.Value };
            var upper = Math.Pow(gamma, index);
            var lower = upper / gamma;
            return sign > 0 ? new[] { lower, upper, bucket.Value } : new[] { -upper, -lower, (double)bucket.Value };
        }).OrderBy(bin => bin[0]).ToList();
        var quantiles = ReportedQuantiles.ToDictionary(
            q => q.ToString("R", CultureInfo.InvariantCulture),
            q => samples[(int)Math.Min(samples.Length - 1, Math.Floor(q * samples.Length))]);
        return new SketchEntry(stat, a, b, RelativeAccuracy, samples.Length, quantiles, bins);
    }
}
