using System.Text.Json;
using Ntk.Cli.Tests.Support;
using Ntk.Numerics.Randomness;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>`ntk run` end to end: reproducibility across worker counts, resume after a kill, exact oracles.</summary>
public sealed class RunEndToEndTests(ITestOutputHelper output)
{
    /// <summary>|z| bound for Monte Carlo means against exact values (a 5σ event has probability ~6e-7).</summary>
    private const double ZTolerance = 5;

    private const string SmallSweep = """
        // small enough for a test, with narrow layers where finite-width effects are large
        {
          "name": "e2e",
          "seed": 1234,
          "trials": 3000,
          "shardTrials": 250,
          "network": { "inputDim": 4, "depth": [1, 3], "width": [3, 16], "weights": "gaussian" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 120] }
        }
        """;

    /// <summary>Long enough (seconds, not milliseconds) to be interrupted after its first snapshot.</summary>
    private static readonly string LongerSweep = SmallSweep
        .Replace("\"trials\": 3000", "\"trials\": 40000")
        .Replace("\"shardTrials\": 250", "\"shardTrials\": 500")
        .Replace("\"depth\": [1, 3], \"width\": [3, 16]", "\"depth\": [1, 6], \"width\": [3, 128]");

    [Fact]
    public async Task Results_csv_is_byte_identical_with_one_and_three_workers()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("e2e.json", SmallSweep);
        var one = await CliRunner.RunAsync("run", sweep, "--out", Path.Combine(temp.Path, "one"), "--workers", "1");
        Assert.True(one.ExitCode == 0, one.ToString());
        var three = await CliRunner.RunAsync("run", sweep, "--out", Path.Combine(temp.Path, "three"), "--workers", "3");
        Assert.True(three.ExitCode == 0, three.ToString());

        var a = File.ReadAllBytes(Path.Combine(temp.Path, "one", "results.csv"));
        var b = File.ReadAllBytes(Path.Combine(temp.Path, "three", "results.csv"));
        Assert.True(a.Length > 1000);
        Assert.Equal(a, b);
        var claimsOne = File.ReadAllBytes(Path.Combine(temp.Path, "one", "claims.csv"));
        Assert.Equal(claimsOne, File.ReadAllBytes(Path.Combine(temp.Path, "three", "claims.csv")));
        var claimLines = File.ReadAllLines(Path.Combine(temp.Path, "one", "claims.csv"));
        Assert.Equal("point,claim,stat,layer,a,b,predicted,measured,std_err,z,verdict,reason", claimLines[0]);
        Assert.All(claimLines.Skip(1), line => Assert.Matches(
            ",(holds|fails|inconclusive|unreliable|degenerate|not-applicable),", line));
        foreach (var file in new[] { "results.json", "claims.md", "run.log", "report.md" })
            Assert.True(File.Exists(Path.Combine(temp.Path, "three", file)), file);
    }

    [Fact]
    public async Task Results_agree_with_the_exact_oracles()
    {
        // Exact at every width (docs/science.md §5): E[K_aa] = 2(L+1)/n0 for unit inputs, c_1 = (π − θ)/(2π),
        // and for L = 1, E[K_ab] = Θ_ab.
        using var temp = new TempDirectory();
        var sweep = temp.Write("e2e.json", SmallSweep);
        var outDir = Path.Combine(temp.Path, "out");
        var result = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "2");
        Assert.True(result.ExitCode == 0, result.ToString());
        output.WriteLine("seed 1234 (from the sweep file)");

        var rows = ResultsCsv.Read(Path.Combine(outDir, "results.csv"));
        var checkedCount = 0;
        foreach (var row in rows)
        {
            var depth = row.Int("depth");
            var theta = row.Double("theta_deg") * Math.PI / 180;
            double? exact = row["stat"] switch
            {
                "ntk" when row["a"] == row["b"] => 2.0 * (depth + 1) / 4,
                "ntk" when depth == 1 => 2.0 / 4 * (2 * (Math.PI - theta) * Math.Cos(theta) + Math.Sin(theta)) / Math.PI,
                "correlator" when row["layer"] == "1" => (Math.PI - theta) / (2 * Math.PI),
                _ => null,
            };
            if (exact is not { } value) continue;
            // The exact_mean column carries the same oracle.
            Assert.True(Math.Abs(row.Double("exact_mean") - value) <= 1e-12, $"point {row["point"]} {row["stat"]}: exact_mean {row["exact_mean"]}");
            var z = (row.Double("mean") - value) / row.Double("std_err");
            output.WriteLine($"point {row["point"]} {row["stat"]} L={depth} n={row["widths"]} θ={row["theta_deg"]}: z = {z:F2}");
            Assert.True(Math.Abs(z) <= ZTolerance, $"point {row["point"]} {row["stat"]}: z = {z}");
            Assert.Equal(3000, row.Int("trials"));
            checkedCount++;
        }
        // 8 points × (2 diagonals + correlator) + 4 depth-1 points × off-diagonal.
        Assert.Equal(8 * 3 + 4, checkedCount);
    }

    [Fact]
    public async Task A_killed_run_resumes_to_the_same_results_with_exact_trial_counts()
    {
        using var temp = new TempDirectory();
        var sweepText = LongerSweep;
        var sweep = temp.Write("e2e.json", sweepText);
        var reference = Path.Combine(temp.Path, "reference");
        var uninterrupted = await CliRunner.RunAsync("run", sweep, "--out", reference, "--workers", "2");
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.ToString());

        var killed = Path.Combine(temp.Path, "killed");
        using (var process = NtkProcess.Start("run", sweep, "--out", killed, "--workers", "2", "--snapshot-interval", "0.5"))
        {
            try
            {
                // Wait for a snapshot with some, but not all, trials merged, then kill without warning.
                var json = Path.Combine(killed, "results.json");
                var deadline = DateTime.UtcNow.AddMinutes(3);
                while (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    if (File.Exists(json) && TotalTrials(json) > 0) break;
                    await Task.Delay(100);
                }
                Assert.False(process.HasExited, "the run finished before it could be killed; make the sweep larger");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                output.WriteLine($"killed after a snapshot with {TotalTrials(json)} trials");
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
        }

        var resumed = await CliRunner.RunAsync("run", sweep, "--out", killed, "--workers", "2", "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference, "results.csv")), File.ReadAllBytes(Path.Combine(killed, "results.csv")));
        var rows = ResultsCsv.Read(Path.Combine(killed, "results.csv"));
        Assert.All(rows, row => Assert.Equal(40000, row.Int("trials")));
    }

    [Fact]
    public async Task Ctrl_C_stops_cleanly_with_a_resumable_snapshot()
    {
        using var temp = new TempDirectory();
        var sweepText = LongerSweep;
        var sweep = temp.Write("e2e.json", sweepText);
        var outDir = Path.Combine(temp.Path, "interrupted");
        var json = Path.Combine(outDir, "results.json");
        using var process = NtkProcess.Start("run", sweep, "--out", outDir, "--workers", "2", "--snapshot-interval", "0.5");
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (DateTime.UtcNow < deadline && !process.HasExited && !(File.Exists(json) && TotalTrials(json) > 0))
                await Task.Delay(100);
            Assert.False(process.HasExited, "the run finished before it could be interrupted; make the sweep larger");
            using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", process.Id.ToString()])) await kill!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }

        Assert.True(process.ExitCode == 1, $"exit code {process.ExitCode}; stderr:\n{NtkProcess.StderrOf(process)}");
        using (var document = JsonDocument.Parse(File.ReadAllBytes(json)))
        {
            var run = document.RootElement.GetProperty("run");
            Assert.False(run.GetProperty("complete").GetBoolean());
            var saved = run.GetProperty("totalTrials").GetInt64();
            output.WriteLine($"interrupted with {saved} trials saved");
            Assert.InRange(saved, 1, 8 * 40000 - 1);
        }
        // The interrupted results.csv says, row by row, which points are complete: the last column.
        var csv = Path.Combine(outDir, "results.csv");
        Assert.EndsWith(",complete", File.ReadLines(csv).First());
        var partial = ResultsCsv.Read(csv);
        Assert.All(partial, row => Assert.Equal(row.Int("trials") == 40000 ? "true" : "false", row["complete"]));

        var resumed = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "2", "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.All(ResultsCsv.Read(csv), row => Assert.Equal(40000, row.Int("trials")));
        Assert.All(ResultsCsv.Read(csv), row => Assert.Equal("true", row["complete"]));
    }

    [Theory]
    [InlineData("generator", "\"philox4x32-10/box-muller/1\"", "generator \"philox4x32-10/box-muller/1\"")]
    [InlineData("generator", null, "a generator older than the recorded versions")]
    [InlineData("engines", "\"dense/1 conditional/1\"", "engines \"dense/1 conditional/1\"")]
    [InlineData("engines", null, "engines older than the recorded versions")]
    public async Task Resume_of_a_state_made_by_another_generator_or_engine_version_is_an_input_error_that_changes_nothing(
        string field, string? recordedJson, string expectedMessage)
    {
        var current = field == "generator" ? RandomStream.GeneratorVersion : Ntk.Numerics.Engines.EngineVersions.Current;
        using var temp = new TempDirectory();
        var sweep = temp.Write("e2e.json", SmallSweep);
        var outDir = Path.Combine(temp.Path, "out");
        var first = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1");
        Assert.True(first.ExitCode == 0, first.ToString());
        var json = Path.Combine(outDir, "results.json");
        var recorded = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal(current, (string?)recorded["software"]![field]);
        // The same file as written by an earlier version (or before the version was recorded at all).
        var software = recorded["software"]!.AsObject();
        software.Remove(field);
        if (recordedJson is not null) software[field] = System.Text.Json.Nodes.JsonNode.Parse(recordedJson);
        File.WriteAllText(json, recorded.ToJsonString());
        var before = Directory.GetFiles(outDir).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();

        var resumed = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1", "--resume");

        Assert.Equal(2, resumed.ExitCode);
        Assert.Contains("--resume", resumed.Stderr);
        Assert.Contains(expectedMessage, resumed.Stderr);
        Assert.Contains(current, resumed.Stderr);
        var after = Directory.GetFiles(outDir).Order().Select(f => (f, File.ReadAllBytes(f))).ToList();
        Assert.Equal(before.Select(b => b.f), after.Select(a => a.f));
        for (var i = 0; i < before.Count; i++) Assert.True(before[i].Item2.AsSpan().SequenceEqual(after[i].Item2), $"{after[i].f} changed");
    }

    [Fact]
    public async Task Resume_without_a_previous_run_is_an_input_error_that_writes_nothing()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("e2e.json", SmallSweep);
        var before = temp.Listing();
        var result = await CliRunner.RunAsync("run", sweep, "--out", Path.Combine(temp.Path, "none"), "--resume");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--resume", result.Stderr);
        Assert.Equal(before, temp.Listing());
    }

    [Fact]
    public async Task An_output_path_that_is_a_file_is_an_input_error_that_writes_nothing()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("e2e.json", SmallSweep);
        var file = temp.Write("occupied", "not a directory");
        var before = temp.Listing();
        var result = await CliRunner.RunAsync("run", sweep, "--out", file);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is a file", result.Stderr);
        Assert.Equal(before, temp.Listing());
        Assert.Equal("not a directory", File.ReadAllText(file));
    }

    private static long TotalTrials(string resultsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(resultsJson));
            return document.RootElement.GetProperty("run").GetProperty("totalTrials").GetInt64();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return 0;
        }
    }
}
