using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>
/// Every kind of invalid sweep file, run through <c>ntk validate FILE</c> in-process: exit code 2, a message that names
/// the field (and its line:column in the sweep file where the field exists), nothing on stdout, nothing written.
/// </summary>
public sealed class SweepErrorTests(ITestOutputHelper output)
{
    /// <summary>One invalid sweep: the sweep text, other files next to it, what the message must contain, and the
    /// text whose position in the sweep file the message must point at (null when no position applies).</summary>
    private sealed record Case(string Sweep, string[] Expected, string? PositionOf = null, (string Path, string Text)[]? Files = null);

    private const string Valid = """
        {
          "name": "ok",
          "seed": 1,
          "trials": 100,
          "network": { "inputDim": 4, "depth": 2, "width": 8 },
          "inputs": { "kind": "pair", "thetaDegrees": [0, 90] }
        }
        """;

    private static string Csv(string csvPath = "data/points.csv", string extraNetwork = "") => $$"""
        {
          "trials": 10,
          "network": { {{extraNetwork}}"depth": 1, "width": 4 },
          "inputs": { "kind": "csv", "path": "{{csvPath}}" }
        }
        """;

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["malformed_json"] = new("{\n  \"seed\": 1\n  \"trials\": 10\n}", ["malformed JSON", "sweep.json:3:3"]),
        ["unknown_field_in_network"] = new(Valid.Replace("\"width\": 8", "\"widht\": 8"),
            ["unknown field 'widht' in network; did you mean 'width'?", "network.widht"], "\"widht\""),
        ["unknown_top_level_field"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"trails\": 3"),
            ["unknown field 'trails'", "did you mean 'trials'?"], "\"trails\""),
        ["wrong_type"] = new(Valid.Replace("\"depth\": 2", "\"depth\": \"2\""),
            ["network.depth", "expected an integer", "a string"], "\"depth\""),
        ["zero_width_in_list"] = new(Valid.Replace("\"width\": 8", "\"width\": [32, 0]"),
            ["network.width[1]", "must be at least 1, got 0"], "0]"),
        ["negative_depth"] = new(Valid.Replace("\"depth\": 2", "\"depth\": -1"),
            ["network.depth", "must be at least 1, got -1"], "\"depth\""),
        ["zero_trials"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 0"),
            ["trials", "must be at least 1, got 0"], "\"trials\""),
        ["zero_shard_trials"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"shardTrials\": 0"),
            ["shardTrials", "must be at least 1"], "\"shardTrials\""),
        ["fractional_trials"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 2.5"),
            ["trials", "expected an integer, got 2.5"], "\"trials\""),
        ["angle_above_180"] = new(Valid.Replace("[0, 90]", "[0, 190]"),
            ["inputs.thetaDegrees[1]", "[0, 180]", "190"], "190"),
        ["negative_angle"] = new(Valid.Replace("[0, 90]", "-5"),
            ["inputs.thetaDegrees", "[0, 180]", "-5"], "\"thetaDegrees\""),
        ["phase_not_finite"] = new(Valid.Replace("[0, 90]", "[0, 90], \"phaseDegrees\": 1e999"),
            ["inputs.phaseDegrees", "not a finite number"], "\"phaseDegrees\""),
        ["empty_list"] = new(Valid.Replace("\"depth\": 2", "\"depth\": []"),
            ["network.depth", "empty list"], "\"depth\""),
        ["unknown_weight_law"] = new(Valid.Replace("\"width\": 8", "\"width\": 8, \"weights\": [\"gaussian\", \"gausian\"]"),
            ["network.weights[1]", "unknown law \"gausian\""], "\"gausian\""),
        ["student_t_nu_at_most_2"] = new(Valid.Replace("\"width\": 8", "\"width\": 8, \"weights\": \"student-t:2\""),
            ["network.weights", "ν > 2"], "\"weights\""),
        ["unknown_engine"] = new(Valid.Replace("\"width\": 8", "\"width\": 8, \"engine\": \"fast\""),
            ["network.engine", "unknown engine \"fast\""], "\"engine\""),
        ["conditional_with_uniform"] = new(
            Valid.Replace("\"width\": 8", "\"width\": 8, \"weights\": [\"gaussian\", \"uniform\"], \"engine\": \"conditional\""),
            ["network.engine", "conditional requires gaussian weights", "uniform", "network.weights[1]"], "\"engine\""),
        ["trials_and_target"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"targetStdErr\": 0.01"),
            ["trials and targetStdErr are both set"], "\"targetStdErr\""),
        ["neither_trials_nor_target"] = new(Valid.Replace("\"trials\": 100,", ""),
            ["missing the stopping rule", "\"trials\"", "\"targetStdErr\"", "sweep.json:1:1"]),
        ["max_trials_without_target"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"maxTrials\": 5"),
            ["maxTrials", "only applies with targetStdErr"], "\"maxTrials\""),
        ["non_positive_target"] = new(Valid.Replace("\"trials\": 100", "\"targetStdErr\": 0"),
            ["targetStdErr", "positive"], "\"targetStdErr\""),
        ["zero_learning_rate"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"learningRates\": [0.1, 0]"),
            ["learningRates[1]", "a learning rate must be a number > 0, got 0"], "0]"),
        ["negative_learning_rate"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"learningRates\": -0.5"),
            ["learningRates", "a learning rate must be a number > 0, got -0.5"], "\"learningRates\""),
        ["learning_rate_not_finite"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"learningRates\": [1e999]"),
            ["learningRates[0]", "not a finite number"], "1e999"),
        ["learning_rate_not_a_number"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"learningRates\": [\"fast\"]"),
            ["learningRates[0]", "expected a number"], "\"fast\""),
        ["learning_rates_empty"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"learningRates\": []"),
            ["learningRates", "empty list"], "\"learningRates\""),
        ["learning_rate_twice"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"learningRates\": [0.5, 0.5]"),
            ["learningRates[1]", "listed twice"], "0.5]"),
        ["learning_rates_without_spectrum"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"statistics\": [\"kernel\"], \"learningRates\": [1]"),
            ["learningRates", "needs the spectrum"], "\"learningRates\""),
        ["negative_seed"] = new(Valid.Replace("\"seed\": 1", "\"seed\": -3"),
            ["seed", "at least 0"], "\"seed\""),
        ["pair_inputs_with_input_dim_1"] = new(Valid.Replace("\"inputDim\": 4", "\"inputDim\": [4, 1]"),
            ["network.inputDim[1]", "pair inputs need inputDim ≥ 2"], "1]"),
        ["width_and_widths"] = new(Valid.Replace("\"width\": 8", "\"width\": 8, \"widths\": [[8, 8]]"),
            ["network.width", "not both"], "\"width\""),
        ["widths_not_matching_depth"] = new(Valid.Replace("\"width\": 8", "\"widths\": [[8, 8], [8, 8, 8]]"),
            ["network.widths[1]", "3 hidden layers but network.depth is 2"], "[8, 8, 8]"),
        ["widths_flat_list"] = new(Valid.Replace("\"depth\": 2, \"width\": 8", "\"widths\": [8, 16]"),
            ["network.widths[0]", "list of lists"], "8, 16]"),
        ["unknown_input_kind"] = new(Valid.Replace("\"kind\": \"pair\"", "\"kind\": \"pairs\""),
            ["inputs.kind", "did you mean \"pair\"?"], "\"kind\""),
        ["missing_network"] = new("{ \"trials\": 5, \"inputs\": { \"kind\": \"pair\", \"thetaDegrees\": 0 } }",
            ["missing field 'network'"]),
        ["duplicate_field"] = new(Valid.Replace("\"depth\": 2", "\"depth\": 2, \"depth\": 3"),
            ["network.depth", "appears twice"]),
        ["name_not_a_directory_name"] = new(Valid.Replace("\"ok\"", "\"a/b\""),
            ["name", "\"a/b\"", "results directory"], "\"name\""),
        ["column_counts_characters_not_bytes"] = new(Valid.Replace("\"name\": \"ok\",\n  \"seed\": 1,", "\"name\": \"θ-φ-ρ\", \"seed\": -1,"),
            ["seed", "at least 0"], "\"seed\""),
        ["huge_trials"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 1e30"),
            ["trials", "must be at most"], "\"trials\""),
        ["csv_missing_file"] = new(Csv("data/nothing.csv"),
            ["inputs.path", "CSV file not found", "nothing.csv"], "\"path\""),
        ["csv_nan_value"] = new(Csv(), ["points.csv", "row 3, column 2", "\"NaN\" is not a finite number"],
            Files: [("data/points.csv", "x,y,z\n1,2,3\n4,NaN,6\n")]),
        ["csv_infinite_value"] = new(Csv(), ["points.csv", "row 1, column 1", "\"1e999\" is not a finite number"],
            Files: [("data/points.csv", "1e999,2,3\n")]),
        ["csv_not_a_number"] = new(Csv(), ["points.csv", "row 2, column 3", "\"abc\" is not a number"],
            Files: [("data/points.csv", "1,2,3\n4,5,abc\n")]),
        ["csv_ragged_rows"] = new(Csv(), ["points.csv", "row 3", "has 2 values but row 1 has 3"],
            Files: [("data/points.csv", "1,2,3\n4,5,6\n7,8\n")]),
        ["csv_zero_row"] = new(Csv(), ["points.csv", "row 2", "zero vector"],
            Files: [("data/points.csv", "1,2,3\n0,0.0,-0\n")]),
        ["csv_wrong_dimension"] = new(Csv(extraNetwork: "\"inputDim\": 4, "),
            ["network.inputDim", "is 4", "3 values per row"], "\"inputDim\"",
            Files: [("data/points.csv", "1,2,3\n4,5,6\n")]),
        ["csv_changed_since_written"] = new(Csv().Replace("\"path\"", "\"sha256\": \"00ff\", \"path\""),
            ["inputs.sha256", "has changed since this sweep was written"], "\"sha256\"",
            Files: [("data/points.csv", "1,2,3\n")]),
        ["too_many_inputs"] = new(Valid.Replace("{ \"kind\": \"pair\", \"thetaDegrees\": [0, 90] }", "{ \"kind\": \"sphere\", \"count\": 5000 }"),
            ["inputs.count", "5000 inputs at depth 2", "statistics per network"], "\"count\""),
        ["too_many_statistics_chosen"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"statistics\": \"all\"")
                .Replace("{ \"kind\": \"pair\", \"thetaDegrees\": [0, 90] }", "{ \"kind\": \"sphere\", \"count\": 2500 }"),
            ["statistics", "2500 inputs at depth 2", "fewer statistics"], "\"statistics\""),
        ["unknown_statistic_group"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"statistics\": [\"kernel\", \"moments\"]"),
            ["statistics[1]", "unknown group \"moments\"", "path-product"], "\"moments\""),
        ["statistic_group_twice"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"statistics\": [\"kernel\", \"kernel\"]"),
            ["statistics[1]", "listed twice"]),
        ["no_statistic_group"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"statistics\": []"),
            ["statistics", "empty list"], "\"statistics\""),
        ["shard_trials_neither_number_nor_auto"] = new(Valid.Replace("\"trials\": 100", "\"trials\": 100, \"shardTrials\": \"big\""),
            ["shardTrials", "\"auto\""], "\"shardTrials\""),
        ["csv_without_data_rows"] = new(Csv(), ["points.csv", "no data rows"],
            Files: [("data/points.csv", "x,y,z\n\n")]),
        ["duplicate_depth"] = new(Valid.Replace("\"depth\": 2", "\"depth\": [1, 1]"),
            ["network.depth[1]", "repeats the value of network.depth[0]", "same point twice"], "1]"),
        ["duplicate_angle_written_differently"] = new(Valid.Replace("[0, 90]", "[0, 90, 90.0]"),
            ["inputs.thetaDegrees[2]", "repeats the value of inputs.thetaDegrees[1]"], "90.0]"),
        ["duplicate_weight_law"] = new(Valid.Replace("\"width\": 8", "\"width\": 8, \"weights\": [\"student-t:5\", \"laplace\", \"student-t:5\"]"),
            ["network.weights[2]", "repeats the value of network.weights[0]"], "\"student-t:5\"]"),
        ["duplicate_widths_list"] = new(Valid.Replace("\"depth\": 2, \"width\": 8", "\"widths\": [[8, 16], [16, 8], [8, 16]]"),
            ["network.widths[2]", "repeats the value of network.widths[0]"], "[8, 16]]"),
    };

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys) data.Add(name);
        return data;
    }

    [Fact]
    public void There_are_at_least_22_error_cases() => Assert.True(Cases.Count >= 22, $"only {Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Invalid_sweep_exits_2_names_the_field_and_writes_nothing(string caseName)
    {
        var c = Cases[caseName];
        using var directory = new TempDirectory();
        var sweepPath = directory.Write("sweep.json", c.Sweep);
        foreach (var (path, text) in c.Files ?? []) directory.Write(path, text);
        var before = directory.Listing();

        var result = await CliRunner.RunAsync("validate", sweepPath);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith("error: ", result.Stderr);
        foreach (var expected in c.Expected) Assert.Contains(expected, result.Stderr);
        if (c.PositionOf is { } needle)
            Assert.Contains($"sweep.json:{CliRunner.PositionOf(c.Sweep, needle)}: ", result.Stderr);
        Assert.Equal(before, directory.Listing());
        Assert.False(Directory.Exists(Path.Combine("results", "ok")), "a results directory was created");
        Assert.False(Directory.Exists(Path.Combine("results", "sweep")), "a results directory was created");
    }

    [Fact]
    public async Task Missing_sweep_file_exits_2_and_names_the_file()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "nowhere.json");

        var result = await CliRunner.RunAsync("validate", missing);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(missing, result.Stderr);
        Assert.Contains("not found", result.Stderr);
        Assert.Empty(directory.Listing());
    }

    [Fact]
    public async Task Validate_without_a_file_exits_2_with_a_usage_hint()
    {
        var result = await CliRunner.RunAsync("validate");
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: ntk validate <SWEEP.json>", result.Stderr);
        Assert.Contains("ntk validate --help", result.Stderr);
    }

    [Fact]
    public async Task Unknown_option_exits_2_with_a_usage_hint()
    {
        using var directory = new TempDirectory();
        var sweepPath = directory.Write("sweep.json", Valid);

        var result = await CliRunner.RunAsync("validate", sweepPath, "--frobnicate");
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--frobnicate", result.Stderr);
        Assert.Contains("usage: ntk validate", result.Stderr);
    }

    [Fact]
    public async Task Unknown_command_exits_2()
    {
        var result = await CliRunner.RunAsync("valdiate", "x.json");
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: ntk", result.Stderr);
    }
}
