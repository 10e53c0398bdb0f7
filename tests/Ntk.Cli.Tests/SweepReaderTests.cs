using Ntk.Numerics.Measurement;
using Ntk.Cli.Sweeps;
using Ntk.Cli.Tests.Support;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Xunit;

namespace Ntk.Cli.Tests;

public sealed class SweepReaderTests
{
    /// <summary>Pair inputs are built from cos/sin of the angle: exact to a few ulps of 1.</summary>
    private const double TrigonometryTolerance = 1e-15;

    private static SweepDocument ReadText(TempDirectory directory, string text, string fileName = "sweep.json") =>
        SweepReader.ReadFile(directory.Write(fileName, text));

    /// <summary>The labels a point carries into results.csv, as one comparable string.</summary>
    private static string Label(SweepPoint point)
    {
        var d = point.Definition;
        return $"{d.PointIndex}|n0={d.Network.InputDim}|{d.Network.WidthsLabel}|{d.Network.Law.Name}|{EngineChoice.Name(d.Engine)}|" +
               $"phase={point.PhaseDegrees}|theta={point.ThetaDegrees}|m={d.Inputs.Count}";
    }

    [Fact]
    public void Cartesian_product_has_every_combination_in_the_documented_order()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            {
              "seed": 42,
              "trials": 10,
              "network": {
                "inputDim": [3, 5],
                "depth": [1, 2],
                "width": [8, 16],
                "weights": ["gaussian", "uniform"],
                "engine": ["dense", "auto"]
              },
              "inputs": { "kind": "pair", "thetaDegrees": [0, 90, 180], "phaseDegrees": [0, 30] }
            }
            """);

        var expected = new List<string>();
        var index = 0;
        foreach (var n0 in new[] { 3, 5 })
        foreach (var depth in new[] { 1, 2 })
        foreach (var width in new[] { 8, 16 })
        foreach (var law in new[] { "gaussian", "uniform" })
        foreach (var engine in new[] { "dense", "auto" })
        foreach (var phase in new[] { 0.0, 30.0 })
        foreach (var theta in new[] { 0.0, 90.0, 180.0 })
        {
            var widths = string.Join("x", Enumerable.Repeat(width, depth));
            var network = NetworkSpec.Uniform(n0, depth, width, WeightLaw.Parse(law));
            var resolved = EngineChoice.Name(EngineChoice.Resolve(EngineChoice.Parse(engine), network, inputCount: 2));
            expected.Add($"{index++}|n0={n0}|{widths}|{law}|{resolved}|phase={phase}|theta={theta}|m=2");
        }

        Assert.Equal(2 * 2 * 2 * 2 * 2 * 2 * 3, document.Plan.Points.Length);
        Assert.Equal(expected, document.Plan.Points.Select(Label));
        Assert.All(document.Plan.Points, p => Assert.Equal(42UL, p.Definition.MasterSeed));
    }

    [Fact]
    public void Requested_engine_is_kept_next_to_the_resolved_one()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 1, "network": { "inputDim": 4, "depth": 3, "width": 64, "engine": ["auto", "dense"] },
              "inputs": { "kind": "pair", "thetaDegrees": 45 } }
            """);

        Assert.Equal([EngineKind.Auto, EngineKind.Dense], document.Sources.Select(s => s.RequestedEngine));
        Assert.Equal([EngineKind.Conditional, EngineKind.Dense], document.Plan.Points.Select(p => p.Definition.Engine));
    }

    [Fact]
    public void Widths_lists_give_one_network_each()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 1,
              "network": { "inputDim": 2, "widths": [[8, 16, 32], [64, 64]], "engine": "dense" },
              "inputs": { "kind": "pair", "thetaDegrees": [10, 20] } }
            """);

        Assert.Equal(["8x16x32", "8x16x32", "64x64", "64x64"], document.Plan.Points.Select(p => p.Definition.Network.WidthsLabel));
        Assert.Equal([10.0, 20.0, 10.0, 20.0], document.Plan.Points.Select(p => p.ThetaDegrees!.Value));
    }

    [Fact]
    public void Widths_with_a_matching_depth_are_accepted()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 1, "network": { "inputDim": 2, "depth": 2, "widths": [[4, 8], [16, 2]] },
              "inputs": { "kind": "pair", "thetaDegrees": 90 } }
            """);

        Assert.Equal(2, document.Plan.Points.Length);
        Assert.All(document.Plan.Points, p => Assert.Equal(2, p.Definition.Network.Depth));
    }

    [Fact]
    public void Defaults_fill_name_seed_shards_weights_engine_and_phase()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 300, "network": { "inputDim": 3, "depth": 1, "width": 4 },
              "inputs": { "kind": "pair", "thetaDegrees": 60 } }
            """, fileName: "my-sweep.json");

        var plan = document.Plan;
        Assert.Equal("my-sweep", plan.Name);
        Assert.Equal(0UL, plan.MasterSeed);
        Assert.Equal(300, plan.Stopping.Trials);
        Assert.Null(plan.Stopping.TargetStdErr);
        Assert.Equal(300, plan.ShardTrials); // min(trials, 1000)
        var point = Assert.Single(plan.Points);
        Assert.Equal(WeightLaw.Gaussian, point.Definition.Network.Law);
        Assert.Equal(EngineKind.Auto, document.Sources[0].RequestedEngine);
        Assert.Equal(0.0, point.PhaseDegrees);
        Assert.Empty(document.Warnings);
    }

    [Fact]
    public void Target_standard_error_defaults_to_a_million_trials_and_shards_of_1000()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "targetStdErr": 1e-3, "network": { "inputDim": 3, "depth": 1, "width": 4 },
              "inputs": { "kind": "pair", "thetaDegrees": 60 } }
            """);

        Assert.Equal(1e-3, document.Plan.Stopping.TargetStdErr);
        Assert.Equal(1_000_000, document.Plan.Stopping.MaxTrials);
        Assert.Equal(1000, document.Plan.ShardTrials);
        Assert.Equal(1000, document.Plan.MaxShardCount);
    }

    [Fact]
    public void Trials_written_with_an_exponent_are_an_integer()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 1e6, "shardTrials": 2e3, "network": { "inputDim": 3, "depth": 1, "width": 4 },
              "inputs": { "kind": "pair", "thetaDegrees": 60 } }
            """);

        Assert.Equal(1_000_000, document.Plan.Stopping.Trials);
        Assert.Equal(2000, document.Plan.ShardTrials);
    }

    [Fact]
    public void Comments_and_trailing_commas_are_accepted()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            // a sweep with comments
            {
              "name": "commented", /* block comment */
              "seed": 7,
              "trials": 5, // per point
              "network": { "inputDim": 2, "depth": [1, 2,], "width": 8, },
              "inputs": { "kind": "pair", "thetaDegrees": [45,], },
            }
            """);

        Assert.Equal("commented", document.Name);
        Assert.Equal(2, document.Plan.Points.Length);
    }

    [Fact]
    public void Pair_inputs_are_unit_vectors_at_the_requested_angle_and_phase()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 1, "network": { "inputDim": 5, "depth": 1, "width": 4, "weights": "uniform" },
              "inputs": { "kind": "pair", "thetaDegrees": [0, 60, 180], "phaseDegrees": 30 } }
            """);

        foreach (var point in document.Plan.Points)
        {
            var inputs = point.Definition.Inputs;
            var a = inputs.Input(0);
            var b = inputs.Input(1);
            Assert.Equal(1.0, Dot(a, a), TrigonometryTolerance);
            Assert.Equal(1.0, Dot(b, b), TrigonometryTolerance);
            Assert.Equal(Math.Cos(point.ThetaDegrees!.Value * Math.PI / 180), Dot(a, b), TrigonometryTolerance);
            Assert.Equal(Math.Cos(Math.PI / 6), a[0], TrigonometryTolerance);
            Assert.Equal(0.5, a[1], TrigonometryTolerance);
        }
    }

    [Fact]
    public void Csv_with_a_header_row_is_read_relative_to_the_sweep_and_defines_input_dim()
    {
        using var directory = new TempDirectory();
        directory.Write("sweeps/data/points.csv", "x,y,z\n1,2,2\n\n0,3,4\n");
        var document = ReadText(directory, """
            { "trials": 1, "network": { "depth": 1, "width": 4 },
              "inputs": { "kind": "csv", "path": "data/points.csv" } }
            """, fileName: "sweeps/s.json");

        var inputs = Assert.Single(document.Plan.Points).Definition.Inputs;
        Assert.Equal(SweepInputKind.Csv, document.InputKind);
        Assert.Equal(3, inputs.InputDim);
        Assert.Equal(new double[] { 1, 2, 2, 0, 3, 4 }, inputs.Values.ToArray());
        Assert.Null(document.Plan.Points[0].ThetaDegrees);
    }

    [Fact]
    public void Csv_with_normalize_gives_unit_rows()
    {
        using var directory = new TempDirectory();
        directory.Write("points.csv", "1,2,2\n0,3,4\n");
        var document = ReadText(directory, """
            { "trials": 1, "network": { "inputDim": 3, "depth": 1, "width": 4 },
              "inputs": { "kind": "csv", "path": "points.csv", "normalize": true } }
            """);

        var inputs = document.Plan.Points[0].Definition.Inputs;
        double[] expected = [1.0 / 3, 2.0 / 3, 2.0 / 3, 0, 0.6, 0.8];
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], inputs.Values[i], TrigonometryTolerance);
    }

    [Fact]
    public void Sphere_inputs_are_unit_vectors_fixed_by_their_seed()
    {
        using var directory = new TempDirectory();
        const string sweep = """
            { "trials": 1, "network": { "inputDim": [3, 6], "depth": 1, "width": 4 },
              "inputs": { "kind": "sphere", "count": 5, "seed": SEED } }
            """;
        var first = ReadText(directory, sweep.Replace("SEED", "7"));
        var again = ReadText(directory, sweep.Replace("SEED", "7"));
        var other = ReadText(directory, sweep.Replace("SEED", "8"));

        Assert.Equal(2, first.Plan.Points.Length);
        foreach (var point in first.Plan.Points)
        {
            var inputs = point.Definition.Inputs;
            Assert.Equal(5, inputs.Count);
            for (var a = 0; a < inputs.Count; a++)
                Assert.Equal(1.0, Dot(inputs.Input(a), inputs.Input(a)), TrigonometryTolerance);
        }
        Assert.Equal(first.Plan.Points[0].Definition.Inputs, again.Plan.Points[0].Definition.Inputs);
        Assert.NotEqual(first.Plan.Points[0].Definition.Inputs, other.Plan.Points[0].Definition.Inputs);
    }

    [Fact]
    public void Rademacher_is_accepted_with_a_warning()
    {
        using var directory = new TempDirectory();
        var document = ReadText(directory, """
            { "trials": 1, "network": { "inputDim": 3, "depth": 1, "width": 4, "weights": ["gaussian", "rademacher"] },
              "inputs": { "kind": "pair", "thetaDegrees": 60 } }
            """);

        Assert.Equal(2, document.Plan.Points.Length);
        var warning = Assert.Single(document.Warnings);
        Assert.Contains("network.weights[1]", warning);
        Assert.Contains("atoms", warning);
    }

    [Theory]
    [InlineData("""{ "kind": "pair", "thetaDegrees": [0, 45, 90], "phaseDegrees": [0, 10] }""", "", 12)]
    [InlineData("""{ "kind": "csv", "path": "p.csv", "normalize": true }""", "1,2,3\n4,5,6\n", 2)]
    [InlineData("""{ "kind": "sphere", "count": 3, "seed": 11 }""", "", 2)]
    public void Normalized_sweep_reads_back_to_the_same_points_and_labels(string inputs, string csv, int pointCount)
    {
        using var directory = new TempDirectory();
        if (csv.Length > 0) directory.Write("p.csv", csv);
        var original = ReadText(directory, $$"""
            { "name": "trip", "seed": 3, "targetStdErr": 0.01, "maxTrials": 5000, "shardTrials": 250,
              "network": { "inputDim": 3, "depth": [1, 3], "width": 8, "weights": "laplace" },
              "inputs": {{inputs}} }
            """);
        var reread = ReadText(directory, original.NormalizedJson, fileName: "normalized.json");

        Assert.Equal(pointCount, original.Plan.Points.Length);
        Assert.Equal(original.Plan.Points.Select(Label), reread.Plan.Points.Select(Label));
        // PointDefinition holds a MeasurementLayout (reference equality), so compare what defines the point.
        Assert.Equal(original.Plan.Points.Select(p => (p.Definition.Network, p.Definition.Inputs, p.Definition.Engine, p.Definition.MasterSeed)),
            reread.Plan.Points.Select(p => (p.Definition.Network, p.Definition.Inputs, p.Definition.Engine, p.Definition.MasterSeed)));
        Assert.Equal(original.Plan with { Points = [] }, reread.Plan with { Points = [] });
        Assert.Equal(original.NormalizedJson, reread.NormalizedJson);
    }

    [Fact]
    public void Statistics_default_by_m_can_be_chosen_and_read_back_from_the_normalized_sweep()
    {
        using var directory = new TempDirectory();
        const string Sphere = """
            { "trials": 4, "network": { "inputDim": 4, "depth": 1, "width": 8 }, "inputs": { "kind": "sphere", "count": COUNT } }
            """;
        Assert.Equal(StatisticGroups.All, ReadText(directory, Sphere.Replace("COUNT", "3")).Plan.Points[0].Definition.Statistics);
        var large = ReadText(directory, Sphere.Replace("COUNT", "300"));
        Assert.Equal(StatisticGroups.Kernel | StatisticGroups.Spectrum | StatisticGroups.Activity, large.Plan.Points[0].Definition.Statistics);
        Assert.DoesNotContain("statistics", large.NormalizedJson);

        var chosen = ReadText(directory, Sphere.Replace("COUNT", "3").Replace("\"trials\": 4", "\"trials\": 4, \"statistics\": [\"spectrum\", \"kernel\"]"));
        Assert.Equal(StatisticGroups.Kernel | StatisticGroups.Spectrum, chosen.Plan.Points[0].Definition.Statistics);
        Assert.Equal(3 * 4 / 2 + 3, chosen.Plan.Points[0].Definition.Layout.Count);
        var reread = ReadText(directory, chosen.NormalizedJson, fileName: "normalized.json");
        Assert.Equal(StatisticGroups.Kernel | StatisticGroups.Spectrum, reread.Plan.Points[0].Definition.Statistics);
        Assert.Equal(chosen.NormalizedJson, reread.NormalizedJson);
        Assert.Equal(StatisticGroups.All,
            ReadText(directory, Sphere.Replace("COUNT", "300").Replace("\"trials\": 4", "\"trials\": 4, \"statistics\": \"all\"")).Plan.Points[0].Definition.Statistics);
    }

    [Fact]
    public void Learning_rates_add_one_instability_indicator_each_and_read_back_from_the_normalized_sweep()
    {
        using var directory = new TempDirectory();
        const string Pair = """
            { "trials": 4, LR "network": { "inputDim": 4, "depth": 2, "width": 8 }, "inputs": { "kind": "pair", "thetaDegrees": [30] } }
            """;
        var plain = ReadText(directory, Pair.Replace("LR", ""));
        Assert.Empty(plain.Plan.Points[0].Definition.LearningRates);
        Assert.DoesNotContain("learningRates", plain.NormalizedJson);

        var single = ReadText(directory, Pair.Replace("LR", "\"learningRates\": 0.25,"));
        Assert.Equal(new[] { 0.25 }, single.Plan.Points[0].Definition.LearningRates.ToArray());

        var listed = ReadText(directory, Pair.Replace("LR", "\"learningRates\": [1.0, 0.1, 3e-4],"));
        var definition = listed.Plan.Points[0].Definition;
        Assert.Equal(new[] { 1.0, 0.1, 3e-4 }, definition.LearningRates.ToArray());
        Assert.Equal(plain.Plan.Points[0].Definition.Layout.Count + 3, definition.Layout.Count);
        Assert.Contains("learningRates", listed.NormalizedJson);
        var reread = ReadText(directory, listed.NormalizedJson, fileName: "normalized.json");
        Assert.Equal(definition.LearningRates.ToArray(), reread.Plan.Points[0].Definition.LearningRates.ToArray());
        Assert.Equal(listed.NormalizedJson, reread.NormalizedJson);
    }

    [Fact]
    public void Auto_shards_follow_the_work_estimate_and_never_the_machine()
    {
        using var directory = new TempDirectory();
        static string Sweep(string network, string inputs, long trials) => $$"""
            { "trials": {{trials}}, "shardTrials": "auto", "network": {{network}}, "inputs": {{inputs}} }
            """;
        const string Pair = """{ "kind": "pair", "thetaDegrees": [30, 90] }""";
        var tiny = ReadText(directory, Sweep("""{ "inputDim": 4, "depth": 1, "width": 8 }""", Pair, 10_000_000));
        var wide = ReadText(directory, Sweep("""{ "inputDim": 10, "depth": 5, "width": 1024, "engine": "dense" }""", Pair, 10_000_000));
        var dataSet = ReadText(directory, Sweep("""{ "inputDim": 32, "depth": 1, "width": 64 }""",
            """{ "kind": "sphere", "count": 2048, "seed": 5 }""", 40));
        // The same sweep always gets the same shards; heavier trials get fewer per shard; a network's spectrum at
        // m = 2048 (~1e10 FLOPs) is a shard of its own; the normalized sweep holds the number, not "auto".
        Assert.Equal(tiny.Plan.ShardTrials, ReadText(directory, Sweep("""{ "inputDim": 4, "depth": 1, "width": 8 }""", Pair, 10_000_000)).Plan.ShardTrials);
        Assert.InRange(tiny.Plan.ShardTrials, 10_000, 10_000_000);
        Assert.InRange(wide.Plan.ShardTrials, 2, 500);
        Assert.True(wide.Plan.ShardTrials < tiny.Plan.ShardTrials);
        Assert.Equal(1, dataSet.Plan.ShardTrials);
        Assert.Contains($"\"shardTrials\": {wide.Plan.ShardTrials}", wide.NormalizedJson);
        // Nominal seconds per shard: at most the target, and more than half of it unless capped by one trial.
        var nominal = ShardSizing.NominalTrialSeconds(wide.Plan.Points[0]) * wide.Plan.ShardTrials;
        Assert.InRange(nominal, ShardSizing.TargetShardSeconds / 2, ShardSizing.TargetShardSeconds);
        // Capped by the trials of a point.
        Assert.Equal(7, ReadText(directory, Sweep("""{ "inputDim": 4, "depth": 1, "width": 8 }""", Pair, 7)).Plan.ShardTrials);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
