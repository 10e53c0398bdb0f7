using System.Text;
using System.Text.RegularExpressions;

namespace Ntk.Cli.Results;

/// <summary>
/// Writes a file so that readers (and a crash) only ever see the old or the new content: write a temporary file in
/// the same directory, flush it to disk, then rename it over the target (rename is atomic within a file system).
/// A write that fails (a full disk) deletes its temporary file and leaves the target as it was.
/// </summary>
internal static partial class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void WriteAllText(string path, string content) => WriteAllBytes(path, Utf8NoBom.GetBytes(content));

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        var bytes = content.ToArray();
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes through a stream callback (for large files), then renames into place.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var temporary = Stage(path, write);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Writes <paramref name="write"/>'s content to a temporary file next to <paramref name="path"/>, flushed to disk,
    /// and returns its path (to be renamed over <paramref name="path"/>). On failure the temporary file is deleted
    /// and the exception propagates.
    /// </summary>
    internal static string Stage(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, TemporaryName(Path.GetFileName(full)));
        try
        {
            using var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            // Disposing the stream above may itself have failed (flushing its buffer to a full disk): the file is
            // still there. It is garbage either way.
            TryDelete(temporary);
            throw;
        }
        return temporary;
    }

    /// <summary>
    /// Deletes the temporary files that a killed process left in <paramref name="directory"/> (".NAME.PID.tmp"; a
    /// failed write deletes its own). Call before writing into a results directory; returns how many were deleted.
    /// </summary>
    public static int DeleteStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return 0;
        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(directory, ".*.tmp"))
            if (TemporaryPattern().IsMatch(Path.GetFileName(file)) && TryDelete(file))
                deleted++;
        return deleted;
    }

    internal static void TryDeleteAll(IEnumerable<string> paths)
    {
        foreach (var path in paths) TryDelete(path);
    }

    private static string TemporaryName(string fileName) => "." + fileName + "." + Environment.ProcessId + ".tmp";

    [GeneratedRegex(@"^\..+\.[0-9]+\.tmp$")]
    private static partial Regex TemporaryPattern();

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>
/// The files of one snapshot, published together: each is staged (written to its temporary file) first, and only
/// when every one was written are they renamed into place. A failure while staging (a full disk) deletes the staged
/// files and leaves every target as it was, so results.csv, results.json and claims.md always come from the same
/// snapshot. (Renames need no free space; only a crash between two renames could mix two snapshots.)
/// </summary>
internal sealed class AtomicFileSet : IDisposable
{
    private readonly List<(string Temporary, string Target)> _staged = [];
    private bool _committed;

    public void Write(string path, Action<Stream> write) => _staged.Add((AtomicFile.Stage(path, write), path));

    public void WriteAllText(string path, string content)
    {
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content);
        Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Renames every staged file over its target, in the order they were staged.</summary>
    public void Commit()
    {
        _committed = true;
        try
        {
            foreach (var (temporary, target) in _staged) File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            AtomicFile.TryDeleteAll(_staged.Select(s => s.Temporary).Where(File.Exists));
            throw;
        }
    }

    /// <summary>Deletes the staged files when <see cref="Commit"/> was not reached.</summary>
    public void Dispose()
    {
        if (!_committed) AtomicFile.TryDeleteAll(_staged.Select(s => s.Temporary));
    }
}
