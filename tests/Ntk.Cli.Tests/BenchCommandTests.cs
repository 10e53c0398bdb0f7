using System.Text.Json;
using Ntk.Cli.Tests.Support;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>
/// <c>ntk bench</c> with a tiny time budget: the structure of its tables and JSON (never the speed it reports).
/// </summary>
public sealed class BenchCommandTests
{
    /// <summary>Seconds per measurement: enough for one trial of each engine, so the whole run takes seconds.</summary>
    private const string TinyBudget = "0.01";

    private static readonly string[] Configurations =
        ["n0=10 L=1 n=64 m=2", "n0=10 L=3 n=256 m=2", "n0=10 L=5 n=1024 m=2", "n0=32 L=3 n=256 m=32", "n0=784 L=2 n=512 m=128"];

    [Fact]
    public async Task Json_lists_both_limits_and_every_configuration_with_both_engines()
    {
        var result = await CliRunner.RunAsync("bench", "--json", "--seconds", TinyBudget, "--threads", "2");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        var root = document.RootElement;
        Assert.Equal(2, root.GetProperty("threads").GetInt32());
        var limits = root.GetProperty("limits");
        Assert.True(limits.GetProperty("gaussianDraws").GetProperty("perSecond").GetDouble() > 0);
        Assert.True(limits.GetProperty("fusedMultiplyAdds").GetProperty("perSecond").GetDouble() > 0);
        // The generator row: the current generator (the draw limit itself), the previous one, the Philox words.
        var generator = root.GetProperty("generator");
        Assert.Equal(Ntk.Numerics.Randomness.RandomStream.GeneratorVersion, generator.GetProperty("version").GetString());
        Assert.Equal(Ntk.Numerics.Randomness.BoxMullerGenerator.Version, generator.GetProperty("previousVersion").GetString());
        Assert.Equal(limits.GetProperty("gaussianDraws").GetProperty("perSecond").GetDouble(),
            generator.GetProperty("gaussianDraws").GetProperty("perSecond").GetDouble());
        foreach (var name in new[] { "previousGaussianDraws", "counterWords" })
            Assert.True(generator.GetProperty(name).GetProperty("perSecond").GetDouble() > 0, name);

        var rows = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2 * Configurations.Length, rows.Count);
        var keys = rows.Select(r =>
            $"n0={r.GetProperty("inputDim").GetInt32()} L={r.GetProperty("depth").GetInt32()} " +
            $"n={r.GetProperty("width").GetInt32()} m={r.GetProperty("inputs").GetInt32()} {r.GetProperty("engine").GetString()}").ToList();
        foreach (var configuration in Configurations)
        {
            Assert.Contains($"{configuration} dense", keys);
            Assert.Contains($"{configuration} conditional", keys);
        }
        foreach (var row in rows)
        {
            Assert.True(row.GetProperty("drawsPerTrial").GetDouble() > 0);
            Assert.True(row.GetProperty("flopsPerTrial").GetDouble() > 0);
            Assert.True(row.GetProperty("singleThread").GetProperty("units").GetDouble() >= 1);
            Assert.True(row.GetProperty("allThreads").GetProperty("perSecond").GetDouble() > 0);
            Assert.Contains(row.GetProperty("bound").GetString(), new[] { "draws", "fma" });
            Assert.True(row.GetProperty("fractionOfBoundLimit").GetDouble() >= 0);
            Assert.True(row.GetProperty("fractionOfRoofline").GetDouble() >= 0);
            Assert.True(row.GetProperty("shardLoop").GetProperty("units").GetDouble() >= 1);
        }
        // Without --only, the pipeline table follows: one row per standard case.
        Assert.Equal(2, root.GetProperty("pipeline").GetArrayLength());
        // Dense draws every weight: P = Σ n_l n_{l−1}; for n0=10, L=1, n=64: 64·10 + 64 = 704.
        Assert.Equal(704, rows.Single(r => r.GetProperty("width").GetInt32() == 64 && r.GetProperty("engine").GetString() == "dense")
            .GetProperty("drawsPerTrial").GetDouble());
    }

    [Fact]
    public async Task Table_has_the_limits_a_header_and_one_row_per_configuration_and_engine()
    {
        var result = await CliRunner.RunAsync("bench", "--seconds", TinyBudget, "--threads", "1", "--only", "engines");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("limit  Gaussian draws/s", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("limit  float64 FMA/s", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("now: " + Ntk.Numerics.Randomness.RandomStream.GeneratorVersion, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("before: " + Ntk.Numerics.Randomness.BoxMullerGenerator.Version, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("counter limit: Philox4x32-10 words", StringComparison.Ordinal));
        var header = Array.FindIndex(lines, l => l.StartsWith("configuration", StringComparison.Ordinal));
        Assert.True(header >= 0, result.Stdout);
        foreach (var column in new[] { "engine", "draws/trial", "FLOP/trial", "trials/s 1 thr", "shard loop", "speed-up", "% of bound", "roofline %" })
            Assert.Contains(column, lines[header]);
        foreach (var configuration in Configurations)
        {
            Assert.Single(lines, l => l.StartsWith(configuration + " ", StringComparison.Ordinal) && l.Contains(" dense "));
            Assert.Single(lines, l => l.StartsWith(configuration + " ", StringComparison.Ordinal) && l.Contains(" conditional "));
        }
    }

    [Fact]
    public async Task Json_has_a_pipeline_row_comparing_the_actors_with_the_bare_loop_on_the_same_shards()
    {
        var result = await CliRunner.RunAsync("bench", "--json", "--seconds", TinyBudget, "--threads", "2",
            "--config", "10,1,64,2", "--only", "pipeline");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        var root = document.RootElement;
        Assert.Empty(root.GetProperty("results").EnumerateArray());
        var row = Assert.Single(root.GetProperty("pipeline").EnumerateArray());
        Assert.Equal(10, row.GetProperty("inputDim").GetInt32());
        Assert.Equal(1, row.GetProperty("depth").GetInt32());
        Assert.Equal(64, row.GetProperty("width").GetInt32());
        Assert.Equal("conditional", row.GetProperty("engine").GetString());
        Assert.Equal(2, row.GetProperty("threads").GetInt32());
        var shardTrials = row.GetProperty("shardTrials").GetInt32();
        Assert.InRange(shardTrials, 1, 20_000);
        Assert.Equal(1, row.GetProperty("pipelineSingleWorker").GetProperty("workers").GetInt32());
        Assert.Equal(2, row.GetProperty("pipelineAllWorkers").GetProperty("workers").GetInt32());
        foreach (var name in new[] { "pipelineSingleWorker", "pipelineAllWorkers" })
        {
            var run = row.GetProperty(name);
            // Every run is whole shards, at least 4 per worker (PipelineTimer.MinShardsPerRun).
            var trials = run.GetProperty("trials").GetInt64();
            Assert.Equal(0, trials % shardTrials);
            Assert.True(trials >= 4L * run.GetProperty("workers").GetInt32() * shardTrials, $"{name}: {trials} trials");
            Assert.True(run.GetProperty("perSecond").GetDouble() > 0);
            Assert.True(run.GetProperty("activeSeconds").GetDouble() <= run.GetProperty("wallSeconds").GetDouble());
        }
        foreach (var name in new[] { "bareSingleThread", "bareAllThreads" })
            Assert.True(row.GetProperty(name).GetProperty("perSecond").GetDouble() > 0);
        Assert.True(double.IsFinite(row.GetProperty("overhead").GetDouble()));
        Assert.True(row.GetProperty("speedUpPipeline").GetDouble() > 0);
    }

    [Fact]
    public async Task Table_has_the_pipeline_section_with_one_row_per_case()
    {
        var result = await CliRunner.RunAsync("bench", "--seconds", TinyBudget, "--threads", "1", "--only", "pipeline");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains(lines, l => l.StartsWith("pipeline:", StringComparison.Ordinal));
        var header = Array.FindIndex(lines, l => l.StartsWith("case ", StringComparison.Ordinal));
        Assert.True(header >= 0, result.Stdout);
        foreach (var column in new[] { "bare 1 thr", "pipeline 1 wkr", "overhead", "speed-up pipeline" })
            Assert.Contains(column, lines[header]);
        Assert.Single(lines, l => l.StartsWith("n0=10 L=3 n=256 m=2 dense ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("n0=10 L=1 n=64 m=2 conditional ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("configuration ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1,2,3")]
    [InlineData("10,1,64,0")]
    [InlineData("a,b,c,d")]
    public async Task A_malformed_configuration_is_invalid_input(string configuration)
    {
        var result = await CliRunner.RunAsync("bench", "--config", configuration);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--config", result.Stderr);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    public async Task A_non_positive_or_non_numeric_budget_is_invalid_input(string seconds)
    {
        var result = await CliRunner.RunAsync("bench", "--seconds", seconds);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--seconds", result.Stderr);
    }
}
