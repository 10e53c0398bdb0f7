using Ntk.Cli.Terminal;

namespace Ntk.Cli.Results;

/// <summary>
/// Proves, before a command computes anything, that it will be able to write its output directory: a read-only
/// or uncreatable --out used to surface only at the first snapshot, after the compute was spent.
/// </summary>
internal static class WritableDirectory
{
    /// <summary>
    /// Throws <see cref="InvalidInputException"/> (one line, naming <paramref name="option"/>) unless
    /// <paramref name="directory"/> exists and accepts a new file, or could be created: its nearest existing ancestor
    /// is a directory that accepts a new file. Creates nothing that outlives the check.
    /// </summary>
    public static void Check(string option, string directory)
    {
        var full = Path.GetFullPath(directory);
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new InvalidInputException(existing == full
                    ? $"{option} {directory}: is a file, not a directory"
                    : $"{option} {directory}: cannot be created, {existing} is a file");
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) throw new InvalidInputException($"{option} {directory}: cannot be created (no existing parent)");
            existing = parent;
        }
        var probe = Path.Combine(existing, $".ntk-write-check-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var where = existing == full ? "" : $" (in {existing})";
            throw new InvalidInputException($"{option} {directory}: cannot write here{where}: {Reason(e)}", e);
        }
    }

    /// <summary>Why the probe failed, without .NET's echo of the probe's own file name.</summary>
    private static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "it does not accept new files",
        _ => e.Message.Split(" : ", 2)[0].TrimEnd('.'),
    };
}
