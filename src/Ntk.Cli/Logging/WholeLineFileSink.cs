using Ntk.Cluster.Logging;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Ntk.Cli.Logging;

/// <summary>
/// Appends each event to a file as one whole line, or not at all: the line is formatted in memory and written with a
/// single write; if that fails (a full disk), the file is cut back to where the line began, so a reader (`ntk
/// monitor`, a resumed run appending to the same log) never meets half an event. Events that could not be written
/// are counted, and noted in the file once it can be written again. Never throws into the caller, not even on
/// dispose: a log that cannot be written must not turn a clean failure into a crash.
/// </summary>
internal sealed class WholeLineFileSink : ILogEventSink, IDisposable
{
    private readonly Lock _gate = new();
    private readonly ITextFormatter _formatter;
    private readonly FileStream _stream;
    private bool _disposed;
    private readonly StringWriter _line = new() { NewLine = "\n" };
    private long _dropped;

    public WholeLineFileSink(string path, ITextFormatter formatter)
    {
        _formatter = formatter;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Not FileMode.Append: that forbids SetLength, which cuts a partial line back.
        _stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete, 1);
        _stream.Seek(0, SeekOrigin.End);
    }

    /// <summary>Events dropped because the file could not be written.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (_dropped > 0 && TryAppend($"{{\"@t\":\"{DateTimeOffset.UtcNow:O}\",\"@mt\":\"{{Event:l}}: {{DroppedEvents}} log events were lost: the log could not be written\",\"@l\":\"Warning\",\"{LogEvents.Property}\":\"{LogEvents.LogEventsLost}\",\"DroppedEvents\":{_dropped}}}\n"))
                _dropped = 0;
            _line.GetStringBuilder().Clear();
            _formatter.Format(logEvent, _line);
            if (!TryAppend(_line.ToString())) _dropped++;
        }
    }

    private bool TryAppend(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        var start = _stream.Position;
        try
        {
            _stream.Write(bytes);
            _stream.Flush();
            return true;
        }
        catch (IOException)
        {
            try
            {
                // Truncating frees space, so it works on a full disk.
                _stream.SetLength(start);
                _stream.Position = start;
            }
            catch (IOException)
            {
                // The line may stay cut; nothing else can be done about it.
            }
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                _stream.Dispose();
            }
            catch (IOException)
            {
                // Nothing is buffered (every line is flushed as it is written); a failing close loses nothing.
            }
        }
    }
}
