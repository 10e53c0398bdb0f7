using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Ntk.Cli.Logging;

/// <summary>Writes formatted events to a TextWriter (the process's stderr, or a test's StringWriter).</summary>
internal sealed class TextWriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            formatter.Format(logEvent, writer);
            writer.Flush();
        }
    }
}
