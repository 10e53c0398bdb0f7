using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

[Collection(ReportRenderingCollection.Name)]
public sealed class ReportCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Report_prints_the_plots_written_and_skipped_and_exits_0()
    {
        using var directory = new TempDirectory();
        ReportFixtures.WriteResults(directory.Path, ReportFixtures.PairSweep([1], [32], [0, 90]));

        var result = await CliRunner.RunAsync("report", directory.Path);
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Contains("written: plots/kernel-vs-angle-L1-n32.png", result.Stdout);
        Assert.Contains("correlator-vs-depth: skipped, the sweep has a single depth", result.Stdout);
        Assert.Contains("report.md", result.Stdout);
        Assert.True(File.Exists(Path.Combine(directory.Path, "report.md")));
        Assert.True(File.Exists(Path.Combine(directory.Path, "report.html")));
        Assert.True(File.Exists(Path.Combine(directory.Path, "plots", "kernel-vs-angle-L1-n32.png")));
    }

    [Fact]
    public async Task A_missing_directory_exits_2_with_a_message()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "no-such-run");

        var result = await CliRunner.RunAsync("report", missing);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: ", result.Stderr);
        Assert.Contains("no-such-run: no such directory", result.Stderr);
        Assert.Empty(directory.Listing());
    }

    [Fact]
    public async Task A_directory_without_results_json_exits_2_and_writes_nothing()
    {
        using var directory = new TempDirectory();
        directory.Write("notes.txt", "not a results directory");

        var result = await CliRunner.RunAsync("report", directory.Path);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no results.json", result.Stderr);
        Assert.Equal(["notes.txt"], directory.Listing());
    }

    [Fact]
    public async Task A_results_json_that_is_not_a_results_file_exits_2_and_writes_nothing()
    {
        using var directory = new TempDirectory();
        directory.Write("results.json", """{ "format": "something-else/9" }""");

        var result = await CliRunner.RunAsync("report", directory.Path);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("results.json", result.Stderr);
        Assert.Equal(["results.json"], directory.Listing());
    }
}
