using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>`ntk coordinator` with a journal it cannot use: a clear message, the right exit code, and (for input
/// errors) nothing written.</summary>
public sealed class CoordinatorJournalErrorTests(ITestOutputHelper output)
{
    private const string Sweep = """
        { "name": "journal-errors", "trials": 100, "network": { "inputDim": 4, "depth": 1, "width": 8 },
          "inputs": { "kind": "pair", "thetaDegrees": [45] } }
        """;

    [Theory]
    [InlineData("mysql://db/ntk", "neither \"sqlite\", \"sqlite:PATH\" nor a PostgreSQL connection string")]
    [InlineData("sqlite:", "needs a file path")]
    public async Task A_journal_string_that_names_no_store_is_invalid_input(string journal, string expected)
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var outDir = Path.Combine(temp.Path, "out");
        var result = await CliRunner.RunAsync("coordinator", sweep, "--out", outDir, "--journal", journal);
        output.WriteLine(result.ToString());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--journal", result.Stderr);
        Assert.Contains(expected, result.Stderr);
        Assert.False(Directory.Exists(outDir), "an invalid --journal wrote the results directory");
    }

    [Fact]
    public async Task Resume_without_a_journal_or_results_is_invalid_input()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var outDir = Path.Combine(temp.Path, "out");
        var result = await CliRunner.RunAsync("coordinator", sweep, "--out", outDir, "--resume");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("there is no run to continue", result.Stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public async Task An_unreachable_PostgreSQL_fails_the_node_at_once_with_the_cause()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        // Port 1 on loopback: connection refused at once. The node must not wait for workers or time out first.
        var config = temp.Write("test.hocon", "ntk.persistence.journal-timeout = 120s");
        var started = DateTime.UtcNow;
        var result = await CliRunner.RunAsync("coordinator", sweep, "--out", Path.Combine(temp.Path, "out"), "--port", "0",
            "--config", config, "--journal", "Host=127.0.0.1;Port=1;Database=ntk;Username=ntk");
        output.WriteLine($"{(DateTime.UtcNow - started).TotalSeconds:F1} s\n{result}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("the journal cannot be read", result.Stderr);
        Assert.Contains("refused", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }
}
