using System.CommandLine;
using System.CommandLine.Help;
using Ntk.Cli.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cli.Tests;

/// <summary>
/// Every option of every command given a value it cannot take: one "error: --option: …" line that quotes the value,
/// a usage hint, exit code 2, nothing on stdout and nothing written. The table must name every option the command
/// tree has, so an option added later without a row fails <see cref="The_table_covers_every_option_of_every_command"/>.
/// </summary>
public sealed class OptionParsingTests(ITestOutputHelper output)
{
    private const string Sweep = """
        { "name": "options", "trials": 100, "network": { "inputDim": 4, "depth": 1, "width": 8 },
          "inputs": { "kind": "pair", "thetaDegrees": [45] } }
        """;

    /// <summary>(command, option, value, what stderr must say). {sweep} is a valid sweep file, {out} a fresh results directory.</summary>
    public static readonly TheoryData<string, string, string, string> BadValues = new()
    {
        { "run", "--out", "{file}/sub", "error: --out {file}/sub: cannot be created, {file} is a file" },
        { "run", "--workers", "abc", "error: --workers: expected an integer, got 'abc'" },
        { "run", "--workers", "0", "error: --workers: must be at least 1, got 0" },
        { "run", "--workers", "1,5", "error: --workers: expected an integer, got '1,5'" },
        { "run", "--resume", "abc", "error: Unrecognized command or argument 'abc'" },
        { "run", "--force", "abc", "error: Unrecognized command or argument 'abc'" },
        { "run", "--snapshot-interval", "abc", "error: --snapshot-interval: expected a number, got 'abc'" },
        { "run", "--snapshot-interval", "-1", "error: --snapshot-interval: must be a positive number, got -1" },
        { "run", "--snapshot-interval", "NaN", "error: --snapshot-interval: expected a number, got 'NaN'" },
        { "coordinator", "--out", "{file}/sub", "error: --out {file}/sub: cannot be created, {file} is a file" },
        { "coordinator", "--resume", "abc", "error: Unrecognized command or argument 'abc'" },
        { "coordinator", "--force", "abc", "error: Unrecognized command or argument 'abc'" },
        { "coordinator", "--journal", "mysql://db", "error: --journal: " },
        { "coordinator", "--min-workers", "abc", "error: --min-workers: expected an integer, got 'abc'" },
        { "coordinator", "--min-workers", "-1", "error: --min-workers: must be at least 0, got -1" },
        { "coordinator", "--threads", "abc", "error: --threads: expected an integer, got 'abc'" },
        { "coordinator", "--snapshot-interval", "abc", "error: --snapshot-interval: expected a number, got 'abc'" },
        { "coordinator", "--hostname", "no such host", "error: --hostname: expected a host name or IP address, got 'no such host'" },
        { "coordinator", "--public-hostname", "a/b", "error: --public-hostname: expected a host name or IP address, got 'a/b'" },
        { "coordinator", "--port", "abc", "error: --port: expected an integer, got 'abc'" },
        { "coordinator", "--port", "65536", "error: --port: must be in 0..65535, got 65536" },
        { "coordinator", "--seeds", "localhost", "error: --seeds: seed \"localhost\": expected HOST:PORT" },
        { "coordinator", "--config", "{out}/missing.hocon", "error: --config: {out}/missing.hocon does not exist" },
        { "worker", "--threads", "abc", "error: --threads: expected an integer, got 'abc'" },
        { "worker", "--aggregator-journal", "mysql://db", "error: --aggregator-journal: " },
        { "worker", "--aggregator-journal", "sqlite", "error: --aggregator-journal: 'sqlite': name the coordinator's journal" },
        { "worker", "--aggregator-journal", "sqlite:{out}/missing.db", "error: --aggregator-journal: {out}/missing.db does not exist" },
        { "worker", "--threads", "0", "error: --threads: must be at least 1, got 0" },
        { "worker", "--log-dir", "{file}/logs", "error: --log-dir {file}/logs: cannot be created, {file} is a file" },
        { "worker", "--hostname", "a b", "error: --hostname: expected a host name or IP address, got 'a b'" },
        { "worker", "--public-hostname", "", "error: --public-hostname: expected a host name or IP address, got ''" },
        { "worker", "--port", "abc", "error: --port: expected an integer, got 'abc'" },
        { "worker", "--seeds", "127.0.0.1:abc", "error: --seeds: seed \"127.0.0.1:abc\": expected HOST:PORT" },
        { "worker", "--config", "{out}/missing.hocon", "error: --config: {out}/missing.hocon does not exist" },
        { "coordinator", "--http-port", "abc", "error: --http-port: expected an integer, got 'abc'" },
        { "coordinator", "--http-port", "70000", "error: --http-port: must be in 1..65535, got 70000" },
        { "coordinator", "--tls-certificate", "{out}/missing.p12", "error: --tls-certificate: {out}/missing.p12 does not exist" },
        { "coordinator", "--tls-password", "secret", "error: --tls-ca / --tls-password: give the node's --tls-certificate too" },
        { "coordinator", "--tls-ca", "{out}/ca.pem", "error: --tls-ca / --tls-password: give the node's --tls-certificate too" },
        { "worker", "--http-port", "abc", "error: --http-port: expected an integer, got 'abc'" },
        { "worker", "--http-port", "70000", "error: --http-port: must be in 1..65535, got 70000" },
        { "worker", "--tls-certificate", "{out}/missing.p12", "error: --tls-certificate: {out}/missing.p12 does not exist" },
        { "worker", "--tls-password", "secret", "error: --tls-ca / --tls-password: give the node's --tls-certificate too" },
        { "worker", "--tls-ca", "{out}/ca.pem", "error: --tls-ca / --tls-password: give the node's --tls-certificate too" },
        { "coordinator", "--discovery", "config:127.0.0.1:1", "error: --discovery: the coordinator is the contact point workers probe; give it --http-port" },
        { "coordinator", "--hold", "abc", "error: Unrecognized command or argument 'abc'" },
        { "worker", "--discovery", "bogus", "error: --discovery: \"bogus\" is neither config:HOST:PORT[,..] nor kubernetes[:LABEL-SELECTOR]" },
        { "theory", "--input-dim", "abc", "error: --input-dim: expected an integer, got 'abc'" },
        { "theory", "--depth", "abc", "error: --depth: expected an integer, got 'abc'" },
        { "theory", "--depth", "2000000", "error: --depth: must be in 1..1000000, got 2000000" },
        { "theory", "--width", "abc", "error: --width: expected an integer, got 'abc'" },
        { "theory", "--theta", "abc", "error: --theta: expected a number, got 'abc'" },
        { "theory", "--theta", "4,5", "error: --theta: expected a number, got '4,5' (the decimal separator is '.'" },
        { "theory", "--theta", "181", "error: --theta: must be in [0, 180] degrees, got 181" },
        { "theory", "--weights", "cauchy", "error: --weights" },
        { "monitor", "--once", "abc", "error: Unrecognized command or argument 'abc'" },
        { "monitor", "--interval", "abc", "error: --interval: expected a number, got 'abc'" },
        { "monitor", "--interval", "0", "error: --interval: must be a positive number, got 0" },
        { "bench", "--json", "abc", "error: Unrecognized command or argument 'abc'" },
        { "bench", "--seconds", "abc", "error: --seconds: expected a number, got 'abc'" },
        { "bench", "--seconds", "601", "error: --seconds: must be in (0, 600], got 601" },
        { "bench", "--threads", "abc", "error: --threads: expected an integer, got 'abc'" },
        { "bench", "--config", "abc", "error: --config: expected n0,L,n,m (four positive integers), got 'abc'" },
        { "bench", "--only", "abc", "error: Argument 'abc' not recognized. Must be one of" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task A_bad_value_is_one_error_line_and_exit_2(string command, string option, string value, string expected)
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("sweep.json", Sweep);
        var file = temp.Write("a-file", "not a directory");
        var outDir = Path.Combine(temp.Path, "out");
        string Fill(string text) => text.Replace("{file}", file).Replace("{out}", outDir);

        // The command with valid values for everything else (an option under test replaces its valid value).
        (string[] Head, string[] Options) valid = command switch
        {
            "run" => (["run", sweep], ["--out", outDir]),
            "coordinator" => (["coordinator", sweep], ["--port", "0", "--out", outDir]),
            "worker" => (["worker"], ["--seeds", "127.0.0.1:1", "--log-dir", outDir]),
            "theory" => (["theory"], ["--input-dim", "4", "--depth", "2", "--width", "8", "--theta", "45"]),
            "monitor" => (["monitor", temp.Path], []),
            _ => ([command], []),
        };
        var others = valid.Options.Chunk(2).Where(pair => pair[0] != option).SelectMany(pair => pair);
        var before = temp.Listing();
        var result = await CliRunner.RunAsync([.. valid.Head, .. others, option, Fill(value)]);
        output.WriteLine(result.ToString());

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith(Fill(expected), result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
        Assert.Equal(before, temp.Listing());
    }

    [Fact]
    public void The_table_covers_every_option_of_every_command()
    {
        var covered = BadValues.Select(row => ((string)row[0], (string)row[1])).ToHashSet();
        var root = Program.BuildRootCommand(TextWriter.Null, TextWriter.Null);
        var missing = (
            from command in root.Subcommands
            from option in command.Options
            where option is not HelpOption && option is not VersionOption
            where !covered.Contains((command.Name, option.Name))
            select $"{command.Name} {option.Name}").ToList();
        Assert.True(missing.Count == 0, "options without a bad-value row: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Numbers_are_read_with_the_invariant_culture_and_a_list_of_angles_gives_one_row_each()
    {
        var result = await CliRunner.RunAsync("theory", "--input-dim", "4", "--depth", "2", "--width", "8", "--theta", "0", "90.0", "1.8e2");
        output.WriteLine(result.ToString());

        Assert.Equal(0, result.ExitCode);
        var rows = result.Stdout.Split('\n').Where(line => System.Text.RegularExpressions.Regex.IsMatch(line, @"^\s*(0|90|180)\s")).ToList();
        Assert.Equal(3, rows.Count);
        // Θ_ab at L = 2, θ = 90°, n0 = 4 (arc-cosine recursion), printed on the 90° row; x_a·x_b there is an exact 0.
        var ninety = result.Stdout.Split('\n').Single(line => line.TrimStart().StartsWith("90 ", StringComparison.Ordinal));
        Assert.Matches(@"^\s*90\s+0\s", ninety);
    }
}
