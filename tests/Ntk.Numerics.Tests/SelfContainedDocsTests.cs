using System.Text.RegularExpressions;
using Ntk.Numerics.Tests.Support;
using Xunit;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The repository stands alone (docs/architecture.md §5): no source, test or document names a file that is not in
/// it. The names are assembled at run time so that this file does not name them itself.
/// </summary>
public sealed partial class SelfContainedDocsTests
{
    private static readonly string[] OutsideDocuments =
    [
        "SCIENCE" + ".md", "SPEC" + ".md", "STYLE" + ".md", "AKKA-NOTES" + ".md", "../" + "shared",
        "SCIENCE" + " §", "SPEC" + " §", "STYLE" + " §",
    ];

    private static readonly string[] TextExtensions = [".cs", ".md", ".json", ".hocon", ".csproj", ".props", ".yml", ".csv", ".txt"];

    [Fact]
    public void No_file_in_src_tests_docs_or_the_readme_names_a_document_outside_the_repository()
    {
        var files = new[] { "src", "tests", "docs" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryFiles.Root, folder), "*", SearchOption.AllDirectories))
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Where(path => TextExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase))
            .Append(Path.Combine(RepositoryFiles.Root, "README.md"))
            .ToList();
        Assert.True(files.Count > 100, $"expected the repository's files, found {files.Count}");

        var offending = (
            from file in files
            let lines = File.ReadAllLines(file)
            from index in Enumerable.Range(0, lines.Length)
            from name in OutsideDocuments
            where lines[index].Contains(name, StringComparison.Ordinal)
            select $"{Path.GetRelativePath(RepositoryFiles.Root, file)}:{index + 1}: {name}").ToList();

        Assert.True(offending.Count == 0, "references to documents outside the repository:\n" + string.Join("\n", offending));
    }

    [Fact]
    public void Every_cited_section_of_the_docs_exists()
    {
        var cited = (
            from folder in new[] { "src", "tests" }
            from file in RepositoryFiles.SourceFiles(folder)
            from Match match in Citation().Matches(File.ReadAllText(file))
            select (Document: match.Groups[1].Value, Section: match.Groups[2].Value, File: file)).ToList();
        Assert.True(cited.Count > 50, $"expected the code's citations of docs/, found {cited.Count}");

        foreach (var (document, section, file) in cited)
        {
            var path = Path.Combine(RepositoryFiles.Root, "docs", document + ".md");
            Assert.True(File.Exists(path), $"{Path.GetRelativePath(RepositoryFiles.Root, file)} cites docs/{document}.md, which does not exist");
            Assert.True(File.ReadLines(path).Any(line => line.StartsWith($"## {section}.", StringComparison.Ordinal)),
                $"{Path.GetRelativePath(RepositoryFiles.Root, file)} cites docs/{document}.md §{section}, which has no such section");
        }
    }

    [GeneratedRegex(@"docs/(\w+)\.md §(\d+)")]
    private static partial Regex Citation();
}
