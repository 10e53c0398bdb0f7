using System.Text.RegularExpressions;
using Ntk.Cli.Tests.Support;
using Ntk.Cluster.Logging;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>
/// Log events are a contract between the code that writes them (actors, cluster wiring, commands) and the code that
/// reads them (`ntk monitor`, `ntk bench`, the console filter, the tests that read a node's log): both name them
/// through <see cref="LogEvents"/>, every name a reader uses is one some writer writes, and no event name is spelled
/// as a string literal anywhere else (a typo there would be an event nobody reads, silently).
/// </summary>
public sealed partial class LogEventsTests
{
    // Source that reads events (folders, or single files): what it names must be written by some file outside these.
    private static readonly string[] ReaderFolders =
        ["src/Ntk.Cli/Monitor/", "src/Ntk.Cli/Bench/", "src/Ntk.Cli/Logging/ConsoleNotices.cs", "src/Ntk.Cli/Logging/NodeLogging.cs", "tests/"];

    [Fact]
    public void Every_event_a_reader_uses_is_one_some_writer_writes()
    {
        var (readers, writers) = ReadersAndWriters();
        var read = NamesUsedIn(readers);
        var written = NamesUsedIn(writers);
        // The scan sees what it should: the monitor's main events on both sides.
        Assert.Contains(LogEvents.ShardCompleted, read);
        Assert.Contains(LogEvents.SweepFinished, written);
        Assert.Contains(LogEvents.RunEnded, written);

        var neverWritten = read.Except(written).Order(StringComparer.Ordinal).ToList();
        Assert.True(neverWritten.Count == 0, "read but never written: " + string.Join(", ", neverWritten));
    }

    [Fact]
    public void Every_name_in_the_vocabulary_is_written_somewhere()
    {
        var (_, writers) = ReadersAndWriters();
        var written = NamesUsedIn(writers);
        var unused = LogEvents.All.Except(written).Order(StringComparer.Ordinal).ToList();
        Assert.True(unused.Count == 0, "in LogEvents but never written: " + string.Join(", ", unused));
    }

    [Fact]
    public void No_source_file_spells_an_event_name_as_a_string_literal()
    {
        var offending = LiteralNames(SourceFiles("src"), StringLiteral());
        Assert.True(offending.Count == 0, "event names spelled as literals (use LogEvents):\n" + string.Join("\n", offending));
    }

    [Fact]
    public void No_test_compares_an_event_name_with_a_string_literal()
    {
        // In tests only where a literal stands for an event (a name compared or logged); other strings may happen to
        // equal an event name (the discard reason "PointDone"), and whole log lines quoted as written name events.
        var offending = LiteralNames(SourceFiles("tests"), EventPositionLiteral());
        Assert.True(offending.Count == 0, "event names spelled as literals (use LogEvents):\n" + string.Join("\n", offending));
    }

    private static List<string> LiteralNames(IEnumerable<string> files, Regex literal)
    {
        var names = new HashSet<string>(LogEvents.All, StringComparer.Ordinal);
        var offending = new List<string>();
        foreach (var file in files)
        {
            if (file.EndsWith("LogEvents.cs", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimStart().StartsWith("//", StringComparison.Ordinal)) continue;
                foreach (Match match in literal.Matches(lines[i]))
                    if (names.Contains(match.Groups[1].Value))
                        offending.Add($"{Path.GetRelativePath(RepositoryRoot.Path, file)}:{i + 1}: \"{match.Groups[1].Value}\"");
            }
        }
        return offending;
    }

    [Fact]
    public void Event_names_follow_one_convention_and_All_lists_every_one()
    {
        Assert.Equal(LogEvents.All.Count, LogEvents.All.Distinct(StringComparer.Ordinal).Count());
        foreach (var name in LogEvents.All) Assert.Matches(PascalCase(), name);
        var constants = typeof(LogEvents).GetFields()
            .Where(f => f.IsLiteral && f.Name != nameof(LogEvents.Property))
            .Select(f => (Name: f.Name, Value: (string)f.GetRawConstantValue()!))
            .ToList();
        // Each constant's value is its own name (nameof), so a log line greps like the code reads.
        Assert.All(constants, c => Assert.Equal(c.Name, c.Value));
        Assert.Equal(constants.Select(c => c.Value).Order(StringComparer.Ordinal), LogEvents.All.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Writers_put_the_event_first_in_one_template_form()
    {
        // "{Event:l}: …" everywhere (literal: no quotes around the name in the rendered message).
        var offending = SourceFiles("src")
            .SelectMany(file => File.ReadAllLines(file).Select((line, i) => (file, line, i)))
            .Where(x => x.line.Contains("\"{Event}", StringComparison.Ordinal))
            .Select(x => $"{Path.GetRelativePath(RepositoryRoot.Path, x.file)}:{x.i + 1}")
            .ToList();
        Assert.True(offending.Count == 0, "{Event} without :l: " + string.Join(", ", offending));
    }

    private static (List<string> Readers, List<string> Writers) ReadersAndWriters()
    {
        var readerRoots = ReaderFolders.Select(f => Path.Combine(RepositoryRoot.Path, f.Replace('/', Path.DirectorySeparatorChar))).ToList();
        bool IsReader(string file) => readerRoots.Exists(root => file.StartsWith(root, StringComparison.Ordinal));
        var all = SourceFiles("src", "tests").Where(f => !f.EndsWith("LogEvents.cs", StringComparison.Ordinal)
            && !f.EndsWith(nameof(LogEventsTests) + ".cs", StringComparison.Ordinal)).ToList();
        return (all.Where(IsReader).ToList(), all.Where(f => !IsReader(f)).ToList());
    }

    private static HashSet<string> NamesUsedIn(IEnumerable<string> files) =>
        files.SelectMany(file => EventReference().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
            .Where(name => name != nameof(LogEvents.Property) && name != nameof(LogEvents.All))
            .ToHashSet(StringComparer.Ordinal);

    private static IEnumerable<string> SourceFiles(params string[] folders) =>
        folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    [GeneratedRegex(@"\bLogEvents\.(\w+)")]
    private static partial Regex EventReference();

    [GeneratedRegex("\"([A-Za-z]+)\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"(?:Name\s*(?:==|!=|is)\s*|\bor\s+|Property,\s*|Events?\([^)]*,\s*|""Event"",\s*)""([A-Za-z]+)""")]
    private static partial Regex EventPositionLiteral();

    [GeneratedRegex("^([A-Z][a-z]+)+$")]
    private static partial Regex PascalCase();
}
