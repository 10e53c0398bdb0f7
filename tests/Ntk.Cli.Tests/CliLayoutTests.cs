using System.Text.RegularExpressions;
using Ntk.Cli.Tests.Support;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>The rooms of Ntk.Cli depend on the commands only from the entry point (docs/architecture.md §3).</summary>
public sealed partial class CliLayoutTests
{
    [Fact]
    public void Only_the_entry_point_imports_the_commands()
    {
        var src = Path.Combine(RepositoryRoot.Path, "src", "Ntk.Cli");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .ToList();
        Assert.Contains(files, f => CommandsImport().IsMatch(File.ReadAllText(f))); // the scan sees Program.cs's import
        var offending = files
            .Where(f => Path.GetFileName(f) != "Program.cs"
                && !Path.GetRelativePath(src, f).StartsWith("Commands" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Where(f => CommandsImport().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(RepositoryRoot.Path, f))
            .ToList();
        Assert.True(offending.Count == 0, "import Ntk.Cli.Commands outside Commands/: " + string.Join(", ", offending));
    }

    [GeneratedRegex(@"(?m)^using Ntk\.Cli\.Commands;|\bCommands\.\w+Command\b|\b(Run|Coordinator|Worker)Command\.")]
    private static partial Regex CommandsImport();
}
