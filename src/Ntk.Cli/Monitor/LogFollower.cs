using System.Text;

namespace Ntk.Cli.Monitor;

/// <summary>
/// Follows the log files of a run: one file, or every <c>*.log</c> and <c>*.json</c> file directly in a directory
/// (looked for again at each poll, so node logs that appear later are picked up). Each <see cref="Poll"/> reads the
/// bytes appended since the last one and feeds the complete lines to a <see cref="MonitorState"/>, merged across files
/// in timestamp order (each file is in time order; the merge keeps memory to one line per file). A line still being
/// written (no newline yet) waits for the next poll. A file whose first line is not a CLEF event (results.json, console
/// output) is skipped from then on; a file that shrank (truncated or replaced) is read again from its start.
/// </summary>
internal sealed class LogFollower
{
    private const int ReadBufferBytes = 64 * 1024;
    private static readonly string[] Patterns = ["*.log", "*.json"];

    private readonly string _path;
    private readonly bool _isDirectory;
    private readonly Dictionary<string, TailedFile> _files = new(StringComparer.Ordinal);

    /// <param name="path">An existing log file or directory (the caller checks that it exists).</param>
    public LogFollower(string path)
    {
        _path = Path.GetFullPath(path);
        _isDirectory = Directory.Exists(_path);
    }

    /// <summary>The files read as logs so far (full paths, sorted).</summary>
    public IReadOnlyList<string> LogFiles =>
        _files.Values.Where(f => f.Kind == FileKind.Log).Select(f => f.Path).Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads what was appended to every log file since the last poll into <paramref name="state"/>; returns
    /// the number of lines read.</summary>
    public int Poll(MonitorState state)
    {
        Discover();
        var readers = new List<(TailedFile File, IEnumerator<string> Lines)>();
        try
        {
            var queue = new PriorityQueue<int, (DateTimeOffset At, int Order)>();
            foreach (var file in _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                if (file.Kind == FileKind.NotLog) continue;
                var lines = file.ReadNewLines().GetEnumerator();
                readers.Add((file, lines));
                Enqueue(queue, readers.Count - 1, lines);
            }
            var count = 0;
            while (queue.TryDequeue(out var reader, out _))
            {
                var (file, lines) = readers[reader];
                state.Apply(lines.Current, file.Name);
                count++;
                Enqueue(queue, reader, lines);
            }
            return count;
        }
        finally
        {
            foreach (var (_, lines) in readers) lines.Dispose();
        }
    }

    private static void Enqueue(PriorityQueue<int, (DateTimeOffset, int)> queue, int reader, IEnumerator<string> lines)
    {
        if (!lines.MoveNext()) return;
        // Lines without a leading @t (console text) go first: they are counted as unreadable, not ordered.
        queue.Enqueue(reader, (ClefEvent.PeekTimestamp(lines.Current) ?? DateTimeOffset.MinValue, reader));
    }

    private void Discover()
    {
        if (!_isDirectory)
        {
            if (!_files.ContainsKey(_path)) _files[_path] = new TailedFile(_path);
            return;
        }
        IEnumerable<string> found;
        try
        {
            found = Patterns.SelectMany(pattern => Directory.EnumerateFiles(_path, pattern)).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var file in found)
            if (!_files.ContainsKey(file)) _files[file] = new TailedFile(file);
    }

    private enum FileKind
    {
        Unknown,
        Log,
        NotLog,
    }

    /// <summary>
    /// One followed file: how many bytes were consumed (<c>_offset</c>), of which the last ones (<c>_partial</c>) are
    /// the start of a line not yet complete.
    /// </summary>
    private sealed class TailedFile(string path)
    {
        private readonly MemoryStream _partial = new();
        private long _offset;

        public string Path { get; } = path;

        /// <summary>The node name for events without {NodeId}: the file name without extension.</summary>
        public string Name { get; } = System.IO.Path.GetFileNameWithoutExtension(path);

        public FileKind Kind { get; private set; } = FileKind.Unknown;

        /// <summary>The complete lines appended since the last call, in file order; advances the offset as they are
        /// enumerated. A missing or unreadable file yields nothing.</summary>
        public IEnumerable<string> ReadNewLines()
        {
            FileStream stream;
            try
            {
                stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                    bufferSize: 1, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                yield break;
            }
            using (stream)
            {
                if (stream.Length < _offset)
                {
                    _offset = 0;
                    _partial.SetLength(0);
                }
                stream.Seek(_offset, SeekOrigin.Begin);
                var buffer = new byte[ReadBufferBytes];
                while (true)
                {
                    int read;
                    try
                    {
                        read = stream.Read(buffer, 0, buffer.Length);
                    }
                    catch (IOException)
                    {
                        yield break;
                    }
                    if (read == 0) yield break;
                    var start = 0;
                    for (var i = 0; i < read; i++)
                    {
                        if (buffer[i] != (byte)'\n') continue;
                        _partial.Write(buffer, start, i - start);
                        _offset += i + 1 - start;
                        start = i + 1;
                        var line = Encoding.UTF8.GetString(_partial.GetBuffer(), 0, (int)_partial.Length).TrimEnd('\r');
                        _partial.SetLength(0);
                        if (Kind == FileKind.Unknown && line.Trim().Length > 0)
                            Kind = ClefEvent.PeekTimestamp(line.TrimStart()) is not null ? FileKind.Log : FileKind.NotLog;
                        if (Kind == FileKind.NotLog) yield break;
                        yield return line;
                    }
                    _partial.Write(buffer, start, read - start);
                    _offset += read - start;
                }
            }
        }
    }
}
