using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ntk.Cli.Tests.Support;
using Ntk.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>
/// The faults of docs/cluster.md's fault table, each on real OS processes: a full disk under `ntk run` and under the
/// coordinator's SQLite journal (a small tmpfs the test mounts: root only, skipped with the reason otherwise), the
/// PostgreSQL journal's server stopped mid-sweep, SIGTERM to a worker, `--resume` of a sweep the journal already
/// holds whole, and a late result. Every one ends with results byte-identical to `ntk run` of the same sweep.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(150);

    /// <summary>Same shortened cluster timings as MultiNodeClusterTests.</summary>
    private const string TestHocon = """
        ntk.sweep.lease-timeout = 20s
        ntk.sweep.work-retry-interval = 200ms
        ntk.coordinator.linger = 5s
        ntk.worker.rejoin-delay = 1s
        akka.cluster.split-brain-resolver.stable-after = 2s
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 5s
        """;

    /// <summary>4 points × 300 shards of 200 trials: seconds of sampling on one core in a Release build, so that a
    /// fault lands mid-sweep.</summary>
    private const string LongSweep = """
        {
          "name": "faults",
          "seed": 5,
          "trials": 60000,
          "shardTrials": 200,
          "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
          "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
        }
        """;

    private const long LongSweepTrialsPerPoint = 60000;

    [SkippableFact]
    public async Task Ntk_run_on_a_full_disk_stops_at_the_first_failed_write_with_one_line_and_resumes_identical()
    {
        Skip.If(Tmpfs.WhyUnavailable() is not null, Tmpfs.WhyUnavailable());
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", LongSweep);
        var reference = await ReferenceAsync(temp, sweep);
        using var disk = new Tmpfs(Path.Combine(temp.Path, "disk"), 16 << 20);
        var outDir = Path.Combine(disk.Path, "out");

        using var run = NodeProcess.Start("run", temp.Path, "run", sweep, "--out", outDir, "--workers", "1", "--snapshot-interval", "0.2");
        await WaitForAsync(() => SavedTrials(outDir) >= 20_000, "a snapshot with 20000 trials", run);
        var filler = disk.Fill();
        var filledAt = Stopwatch.StartNew();
        Assert.True(await run.WaitForExitAsync(RunTimeout), "ntk run went on after the disk was full\n" + run);
        var exitAfter = filledAt.Elapsed;
        output.WriteLine($"disk full → exit {run.ExitCode} after {exitAfter.TotalSeconds:F1} s\n{run}");

        Assert.Equal(1, run.ExitCode);
        var stderr = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(stderr, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("No space left on device", error);
        Assert.Contains("--resume", error);
        Assert.DoesNotContain(stderr, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Unhandled", StringComparison.Ordinal));
        AssertNoTemporaryFiles(outDir);
        AssertWholeLines(Path.Combine(outDir, "run.log"));
        // The files of the last good snapshot agree with each other, and the run did not go on to the end.
        var saved = AssertOneSnapshot(outDir);
        Assert.True(saved >= 20_000, $"the snapshot before the failure was lost: {saved} trials");
        Assert.True(saved < 4 * LongSweepTrialsPerPoint, "the run sampled to the end although no snapshot could be written");

        File.Delete(filler);
        var resumed = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1", "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        AssertNoTemporaryFiles(outDir);
        AssertWholeLines(Path.Combine(outDir, "run.log"));
        AssertSameCsv(reference, outDir);
        output.WriteLine($"resumed from {saved} trials: results.csv identical to the uninterrupted run");
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private static async Task<string> ReferenceAsync(TempDirectory temp, string sweep)
    {
        var directory = Path.Combine(temp.Path, "reference");
        var result = await CliRunner.RunAsync("run", sweep, "--out", directory, "--workers", "1");
        Assert.True(result.ExitCode == 0, result.ToString());
        return directory;
    }

    private async Task WaitForAsync(Func<bool> condition, string what, params NodeProcess[] nodes)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return;
            await Task.Delay(100);
        }
        foreach (var node in nodes) output.WriteLine(node.ToString());
        Assert.Fail($"timed out waiting for: {what}");
    }

    /// <summary>Trials in the directory's results.json (written atomically: whole or absent).</summary>
    private static long SavedTrials(string directory)
    {
        var path = Path.Combine(directory, "results.json");
        if (!File.Exists(path)) return 0;
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("trials").GetInt64());
    }

    private static void AssertNoTemporaryFiles(string directory)
    {
        var left = Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories).ToList();
        Assert.True(left.Count == 0, "temporary files left: " + string.Join(", ", left));
    }

    /// <summary>Every line of a compact-JSON log is a whole JSON object.</summary>
    private static void AssertWholeLines(string log)
    {
        var text = File.ReadAllText(log);
        Assert.True(text.Length == 0 || text.EndsWith('\n'), $"{log} ends in a cut line: …{text[^Math.Min(80, text.Length)..]}");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                using var _ = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                Assert.Fail($"{log}: not a whole event ({e.Message}): {line}");
            }
        }
    }

    /// <summary>results.csv and results.json hold the same trials for every point (one snapshot); returns the total.</summary>
    private static long AssertOneSnapshot(string directory)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "results.json")));
        var jsonTrials = json.RootElement.GetProperty("points").EnumerateArray()
            .Where(p => p.GetProperty("trials").GetInt64() > 0)
            .ToDictionary(p => p.GetProperty("point").GetInt32(), p => p.GetProperty("trials").GetInt64());
        var csvTrials = ResultsCsv.Read(Path.Combine(directory, "results.csv"))
            .GroupBy(r => r.Int("point"))
            .ToDictionary(g => g.Key, g => g.Select(r => long.Parse(r["trials"], CultureInfo.InvariantCulture)).Distinct().Single());
        Assert.Equal(jsonTrials.OrderBy(p => p.Key), csvTrials.OrderBy(p => p.Key));
        return jsonTrials.Values.Sum();
    }

    private static void AssertSameCsv(string referenceDirectory, string directory)
    {
        var expected = File.ReadAllBytes(Path.Combine(referenceDirectory, "results.csv"));
        var actual = File.ReadAllBytes(Path.Combine(directory, "results.csv"));
        Assert.True(expected.AsSpan().SequenceEqual(actual), "results.csv differs from the uninterrupted run's");
    }
}
