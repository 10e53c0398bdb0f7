using Ntk.Cli.Terminal;

namespace Ntk.Cli.Results;

/// <summary>
/// What an earlier run left in a results directory, and the rule for writing over it: a fresh run starts in an
/// empty directory (its run.log then holds that run alone, so `ntk monitor` shows no nodes of runs before it); a
/// non-empty one is continued with --resume or replaced with --force. Workers' logs of the run about to start may
/// already be there (workers can start first, with --log-dir pointing at the results directory): a worker log that
/// a process holds open is not an earlier run's.
/// </summary>
internal static class EarlierRun
{
    /// <summary>The names a run writes at the top of its results directory; --force removes these and nothing else.</summary>
    private static readonly string[] OwnFiles =
    [
        "results.csv", "results.parquet", "points.jsonl", "point-states.bin", "results.json", "claims.md", "claims.csv", "report.md", "report.html", "run.log",
        "sweep-journal.db", "sweep-journal.db-wal", "sweep-journal.db-shm",
    ];

    private const string PlotsDirectory = "plots";

    /// <summary>
    /// Throws <see cref="InvalidInputException"/> when <paramref name="directory"/> holds anything of an earlier run
    /// and neither <paramref name="force"/> nor <paramref name="resume"/> was given.
    /// </summary>
    public static void CheckMayStart(string directory, bool force, bool resume)
    {
        if (force || resume) return;
        var left = Entries(directory);
        if (left.Count == 0) return;
        var shown = string.Join(", ", left.Take(3)) + (left.Count > 3 ? $" and {left.Count - 3} more" : "");
        throw new InvalidInputException(
            $"--out {directory}: not empty ({shown}); continue that run with --resume, replace it with --force, or choose another --out");
    }

    /// <summary>
    /// With --force: removes the files an earlier run wrote (<see cref="OwnFiles"/>, plots/, logs no process holds open,
    /// leftover temporary files), so the new run's files and log are its own. Anything else in the directory stays.
    /// </summary>
    public static void Remove(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var name in OwnFiles) File.Delete(Path.Combine(directory, name));
        var plots = Path.Combine(directory, PlotsDirectory);
        if (Directory.Exists(plots)) Directory.Delete(plots, recursive: true);
        foreach (var log in Directory.EnumerateFiles(directory, "worker-*.log"))
            if (!HeldOpen(log)) File.Delete(log);
        foreach (var temporary in Directory.EnumerateFiles(directory, ".*.tmp")) File.Delete(temporary);
    }

    /// <summary>The entries of <paramref name="directory"/> that belong to an earlier run (empty when it does not exist).</summary>
    internal static IReadOnlyList<string> Entries(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        return Directory.EnumerateFileSystemEntries(directory)
            .Where(entry => !(Path.GetFileName(entry).StartsWith("worker-", StringComparison.Ordinal) && entry.EndsWith(".log", StringComparison.Ordinal)
                              && HeldOpen(entry)))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToList()!;
    }

    /// <summary>
    /// True when another process has the file open for writing: .NET takes an advisory lock on every file it opens
    /// (shared unless FileShare.None), so an exclusive open fails while a node's log sink holds the file.
    /// </summary>
    private static bool HeldOpen(string path)
    {
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
