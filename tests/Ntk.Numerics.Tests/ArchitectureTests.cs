using System.Text.RegularExpressions;
using Ntk.Numerics.Tests.Support;
using Xunit;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The rooms of Ntk.Numerics (docs/architecture.md): one folder per namespace, and the namespaces depend on each other
/// without a cycle, so each room can be read knowing only the rooms below it.
/// </summary>
public sealed partial class ArchitectureTests
{
    private const string Project = "src/Ntk.Numerics";

    [Fact]
    public void Every_numerics_file_is_in_the_namespace_of_its_folder()
    {
        foreach (var file in RepositoryFiles.SourceFiles(Project))
        {
            var relative = Path.GetRelativePath(Path.Combine(RepositoryFiles.Root, Project), file);
            var folder = Path.GetDirectoryName(relative)!.Replace(Path.DirectorySeparatorChar, '.');
            var expected = folder.Length == 0 ? "Ntk.Numerics" : "Ntk.Numerics." + folder;
            Assert.Equal(expected, NamespaceOf(File.ReadAllText(file)) ?? $"(none in {relative})");
        }
    }

    [Fact]
    public void The_namespace_dependency_graph_of_Ntk_Numerics_is_acyclic()
    {
        var graph = DependencyGraph();
        Assert.True(graph.Count >= 8, $"expected the rooms of Ntk.Numerics, found {string.Join(", ", graph.Keys)}");
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, $"namespace cycle: {string.Join(" → ", cycle ?? [])}");
    }

    [Fact]
    public void The_cycle_finder_finds_a_cycle_when_there_is_one()
    {
        // The acyclicity test is only as good as its search: a graph with a three-room cycle must be caught.
        var graph = new Dictionary<string, HashSet<string>>
        {
            ["A"] = ["B"],
            ["B"] = ["C"],
            ["C"] = ["A"],
            ["D"] = ["A"],
        };
        var cycle = FindCycle(graph);
        Assert.NotNull(cycle);
        Assert.Equal(cycle[0], cycle[^1]);
        Assert.Null(FindCycle(new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = [], ["C"] = ["A", "B"] }));
    }

    /// <summary>
    /// Room → rooms it names: <c>using Ntk.Numerics.X;</c>, a qualified <c>Ntk.Numerics.X.T</c>, or a room-relative
    /// <c>X.T</c> for a known room X (legal inside Ntk.Numerics.*).
    /// </summary>
    private static Dictionary<string, HashSet<string>> DependencyGraph()
    {
        var sources = RepositoryFiles.SourceFiles(Project)
            .Select(file => (Room: RoomOf(NamespaceOf(File.ReadAllText(file))), Text: File.ReadAllText(file)))
            .ToList();
        var rooms = sources.Select(s => s.Room).ToHashSet();
        var graph = rooms.ToDictionary(room => room, _ => new HashSet<string>());
        foreach (var (room, text) in sources)
        {
            var code = LineComment().Replace(text, "");
            foreach (Match match in QualifiedRoom().Matches(code)) graph[room].Add(match.Groups[1].Value);
            foreach (var other in rooms)
                if (Regex.IsMatch(code, $@"(?<![\w.]){Regex.Escape(other)}\.[A-Z]")) graph[room].Add(other);
            graph[room].Remove(room);
        }
        return graph;
    }

    /// <summary>A cycle as a path whose first and last rooms are equal, or null (depth-first search, three colours).</summary>
    private static List<string>? FindCycle(IReadOnlyDictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(); // absent: unvisited, 1: on the path, 2: done
        var path = new List<string>();
        foreach (var start in graph.Keys.Order(StringComparer.Ordinal))
        {
            var cycle = Visit(start);
            if (cycle is not null) return cycle;
        }
        return null;

        List<string>? Visit(string node)
        {
            if (state.TryGetValue(node, out var s))
                return s == 1 ? [.. path.Skip(path.IndexOf(node)), node] : null;
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.TryGetValue(node, out var edges) ? edges.Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
            {
                var cycle = Visit(next);
                if (cycle is not null) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    private static string? NamespaceOf(string source) => FileNamespace().Match(source) is { Success: true } m ? m.Groups[1].Value : null;

    private static string RoomOf(string? ns) => ns is null || ns == "Ntk.Numerics" ? "(root)" : ns["Ntk.Numerics.".Length..];

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"\bNtk\.Numerics\.(\w+)\b")]
    private static partial Regex QualifiedRoom();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();
}
