using System.Text.RegularExpressions;
using Ntk.Cluster.Logging;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>
/// Log events are a contract between the actors that write them and `ntk monitor` / `ntk bench`, which read them:
/// both sides name them through <see cref="LogEvents"/>, and every event a reader handles is one some writer logs.
/// </summary>
public sealed partial class LogEventsTests
{
    private static readonly string Root = FindRepositoryRoot();

    [Fact]
    public void Every_event_the_monitor_and_bench_read_is_one_some_actor_writes()
    {
        var read = NamesUsedIn("src/Ntk.Cli/Monitor", "src/Ntk.Cli/Bench");
        var written = NamesUsedIn("src/Ntk.Cluster");
        Assert.Contains(nameof(LogEvents.ShardCompleted), read);
        Assert.Contains(nameof(LogEvents.SweepStarted), written);

        var neverWritten = read.Except(written).Order(StringComparer.Ordinal).ToList();
        Assert.True(neverWritten.Count == 0, "read but never written: " + string.Join(", ", neverWritten));
    }

    [Fact]
    public void Writers_and_readers_spell_no_event_name_as_a_string_literal()
    {
        var literalNames = new HashSet<string>(LogEvents.All, StringComparer.Ordinal);
        var offending = new List<string>();
        foreach (var file in SourceFiles("src/Ntk.Cluster", "src/Ntk.Cli/Monitor", "src/Ntk.Cli/Bench"))
        {
            if (file.EndsWith("LogEvents.cs", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("///", StringComparison.Ordinal)) continue;
                foreach (Match literal in StringLiteral().Matches(lines[i]))
                    if (literalNames.Contains(literal.Groups[1].Value))
                        offending.Add($"{Path.GetRelativePath(Root, file)}:{i + 1}: \"{literal.Groups[1].Value}\"");
            }
        }
        Assert.True(offending.Count == 0, "event names spelled as literals:\n" + string.Join("\n", offending));
    }

    [Fact]
    public void Event_names_follow_one_convention()
    {
        Assert.Equal(LogEvents.All.Count, LogEvents.All.Distinct(StringComparer.Ordinal).Count());
        foreach (var name in LogEvents.All)
            Assert.Matches(PascalCase(), name);
        // Every constant is in All, so the literal check above sees them all.
        var constants = typeof(LogEvents).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
        Assert.Equal(constants.Order(StringComparer.Ordinal), LogEvents.All.Order(StringComparer.Ordinal));
    }

    private static HashSet<string> NamesUsedIn(params string[] folders) =>
        SourceFiles(folders)
            .Where(file => !file.EndsWith("LogEvents.cs", StringComparison.Ordinal))
            .SelectMany(file => EventReference().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> SourceFiles(params string[] folders) =>
        folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Ntk.Distributed.sln"))) return directory.FullName;
        throw new InvalidOperationException("repository root (Ntk.Distributed.sln) not found above the test assembly");
    }

    [GeneratedRegex(@"\bLogEvents\.(\w+)")]
    private static partial Regex EventReference();

    [GeneratedRegex("\"([A-Za-z]+)\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("^([A-Z][a-z]+)+$")]
    private static partial Regex PascalCase();
}
