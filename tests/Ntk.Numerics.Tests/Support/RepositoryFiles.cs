namespace Ntk.Numerics.Tests.Support;

/// <summary>The repository's own files, found from the test assembly's directory upwards.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    /// <summary>Every C# source file under <paramref name="relativeDirectory"/>, build outputs excluded.</summary>
    public static IEnumerable<string> SourceFiles(string relativeDirectory) =>
        Directory.EnumerateFiles(Path.Combine(Root, relativeDirectory), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Ntk.Distributed.sln"))) return directory.FullName;
        throw new InvalidOperationException("repository root (Ntk.Distributed.sln) not found above the test assembly");
    }
}
