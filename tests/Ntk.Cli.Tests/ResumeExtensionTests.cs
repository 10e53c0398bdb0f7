using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>
/// `ntk run --resume` on a sweep that asks for more (more trials, a lower targetStdErr) continues the saved run to the
/// same bits as a fresh run of the larger sweep; any other change is refused, naming what changed, and writes nothing.
/// </summary>
public sealed class ResumeExtensionTests(ITestOutputHelper output)
{
    private static string Sweep(string stopping, long seed = 77, int width = 8) => $$"""
        {
          "name": "extend",
          "seed": {{seed}},
          {{stopping}},
          "shardTrials": 250,
          "network": { "inputDim": 4, "depth": [1, 2], "width": {{width}} },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 120] }
        }
        """;

    [Theory]
    [InlineData("\"trials\": 1500", "\"trials\": 2500")]              // the old cap ends on a shard boundary
    [InlineData("\"trials\": 1600", "\"trials\": 2500")]              // the old last shard was cut short (100 trials)
    [InlineData("\"targetStdErr\": 0.05, \"maxTrials\": 20000", "\"targetStdErr\": 0.02, \"maxTrials\": 20000")]
    [InlineData("\"targetStdErr\": 0.02, \"maxTrials\": 1000", "\"targetStdErr\": 0.02, \"maxTrials\": 3000")]
    public async Task Resuming_a_sweep_that_asks_for_more_equals_a_fresh_run_of_it_bit_for_bit(string before, string after)
    {
        using var temp = new TempDirectory();
        var extended = Path.Combine(temp.Path, "extended");
        var first = await CliRunner.RunAsync("run", temp.Write("small.json", Sweep(before)), "--out", extended, "--workers", "2");
        Assert.True(first.ExitCode == 0, first.ToString());
        var smaller = File.ReadAllBytes(Path.Combine(extended, "results.csv"));

        var larger = temp.Write("large.json", Sweep(after));
        var resumed = await CliRunner.RunAsync("run", larger, "--out", extended, "--workers", "2", "--resume");
        output.WriteLine(resumed.ToString());
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("resuming with ", resumed.Stderr);

        var fresh = Path.Combine(temp.Path, "fresh");
        var reference = await CliRunner.RunAsync("run", larger, "--out", fresh, "--workers", "1");
        Assert.True(reference.ExitCode == 0, reference.ToString());

        var expected = File.ReadAllBytes(Path.Combine(fresh, "results.csv"));
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(extended, "results.csv"))),
            "the resumed, extended run differs from a fresh run of the larger sweep");
        // It really did ask for more: the first run's results are not the final ones.
        Assert.False(smaller.AsSpan().SequenceEqual(expected), "the larger sweep gave the same results as the smaller one");
        Assert.All(ResultsCsv.Read(Path.Combine(extended, "results.csv")), row => Assert.Equal("true", row["complete"]));
    }

    [Fact]
    public async Task Any_other_change_is_refused_with_what_changed_and_nothing_is_written()
    {
        using var temp = new TempDirectory();
        var outDir = Path.Combine(temp.Path, "out");
        var first = await CliRunner.RunAsync("run", temp.Write("a.json", Sweep("\"trials\": 500")), "--out", outDir, "--workers", "2");
        Assert.True(first.ExitCode == 0, first.ToString());
        var before = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Order()
            .ToDictionary(path => path, File.ReadAllBytes);

        var changed = temp.Write("b.json", Sweep("\"trials\": 1000", seed: 78, width: 16));
        var result = await CliRunner.RunAsync("run", changed, "--out", outDir, "--resume");
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: --resume: ", error);
        Assert.Contains("seed 77 → 78", error);
        Assert.Contains("network.widths [[8],[8,8]] → [[16],[16,16]]", error);
        Assert.DoesNotContain("trials 500", error); // the extending part is not a reason to refuse
        var after = Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Order()
            .ToDictionary(path => path, File.ReadAllBytes);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (path, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[path]), $"{path} changed");
    }

    [Fact]
    public async Task Fewer_trials_are_not_an_extension()
    {
        using var temp = new TempDirectory();
        var outDir = Path.Combine(temp.Path, "out");
        var first = await CliRunner.RunAsync("run", temp.Write("a.json", Sweep("\"trials\": 1000")), "--out", outDir, "--workers", "2");
        Assert.True(first.ExitCode == 0, first.ToString());

        var result = await CliRunner.RunAsync("run", temp.Write("b.json", Sweep("\"trials\": 500")), "--out", outDir, "--resume");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("trials 1000 → 500", result.Stderr);
    }
}
