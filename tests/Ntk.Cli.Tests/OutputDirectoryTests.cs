using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>
/// Where `ntk run` may write, checked before the first shard: a directory that cannot be written or created is one
/// error line and exit 2; a directory holding an earlier run is refused unless --force (or --resume); --force gives a
/// directory, and a run.log, of the new run alone.
/// </summary>
public sealed class OutputDirectoryTests(ITestOutputHelper output)
{
    private const string Sweep = """
        { "name": "outdir", "seed": 3, "trials": 500, "shardTrials": 250,
          "network": { "inputDim": 4, "depth": 1, "width": 8 }, "inputs": { "kind": "pair", "thetaDegrees": [45, 90] } }
        """;

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_read_only_out_directory_is_one_error_line_and_exit_2_before_any_work()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var readOnly = Path.Combine(temp.Path, "read-only");
        Directory.CreateDirectory(readOnly);
        File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
                                       UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            // Root writes through permission bits; then take a directory the kernel refuses new files in (procfs).
            var target = CanCreateFileIn(readOnly) ? "/proc/self/fdinfo" : readOnly;
            var result = await CliRunner.RunAsync("run", sweep, "--out", target, "--workers", "1");
            output.WriteLine(result.ToString());

            Assert.Equal(2, result.ExitCode);
            Assert.Equal("", result.Stdout);
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: --out {target}: cannot write here", line);
            Assert.Empty(Directory.EnumerateFileSystemEntries(readOnly));
        }
        finally
        {
            File.SetUnixFileMode(readOnly, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task An_out_directory_that_cannot_be_created_is_one_error_line_and_exit_2()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var file = temp.Write("a-file", "x");
        var before = temp.Listing();

        var result = await CliRunner.RunAsync("run", sweep, "--out", Path.Combine(file, "results"));
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: --out {Path.Combine(file, "results")}: cannot be created, {file} is a file", line);
        Assert.Equal(before, temp.Listing());
    }

    [Fact]
    public async Task An_earlier_run_is_kept_unless_force_and_force_gives_one_log_per_run()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var outDir = Path.Combine(temp.Path, "out");
        var first = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1");
        Assert.True(first.ExitCode == 0, first.ToString());
        var results = File.ReadAllBytes(Path.Combine(outDir, "results.json"));
        var log = File.ReadAllBytes(Path.Combine(outDir, "run.log"));
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "mine");

        var again = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1");
        output.WriteLine(again.ToString());
        Assert.Equal(2, again.ExitCode);
        var line = Assert.Single(again.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: --out {outDir}: not empty (", line);
        Assert.Contains("--resume", line);
        Assert.Contains("--force", line);
        Assert.Equal(results, File.ReadAllBytes(Path.Combine(outDir, "results.json")));
        Assert.Equal(log, File.ReadAllBytes(Path.Combine(outDir, "run.log")));

        var forced = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1", "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        // The new run.log is the new run's alone: one start event, and none of the first run's lines.
        var lines = File.ReadAllLines(Path.Combine(outDir, "run.log"));
        Assert.Single(lines, l => l.Contains("Sweep {SweepName} started", StringComparison.Ordinal));
        Assert.DoesNotContain(System.Text.Encoding.UTF8.GetString(log).Split('\n')[0], lines);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(outDir, "notes.txt"))); // --force removes only what a run writes

        var both = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--force", "--resume");
        Assert.Equal(2, both.ExitCode);
        Assert.StartsWith("error: --force and --resume", both.Stderr);
    }

    [Fact]
    public async Task A_worker_log_being_written_is_not_an_earlier_run_but_a_closed_one_is()
    {
        // Workers may start first, logging into the results directory (--log-dir): a log a process holds open belongs
        // to the run about to start.
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var outDir = Path.Combine(temp.Path, "out");
        Directory.CreateDirectory(outDir);
        var live = Path.Combine(outDir, "worker-live.log");
        using (var worker = new FileStream(live, FileMode.Create, FileAccess.Write, FileShare.Read))
        {
            var result = await CliRunner.RunAsync("run", sweep, "--out", outDir, "--workers", "1");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        Assert.True(File.Exists(live));

        var other = Path.Combine(temp.Path, "other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "worker-old.log"), "{}\n");
        var refused = await CliRunner.RunAsync("run", sweep, "--out", other, "--workers", "1");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("not empty (worker-old.log)", refused.Stderr);
    }

    private static bool CanCreateFileIn(string directory)
    {
        var probe = Path.Combine(directory, "probe");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
