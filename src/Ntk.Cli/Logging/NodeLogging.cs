using Serilog;
using ILogger = Serilog.ILogger;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Logging;

/// <summary>
/// Serilog set-up of one node: compact JSON (one event per line) to a log file, which `ntk monitor` reads, and a
/// console sink whose level depends on whether a progress bar owns the terminal. Every event carries {NodeId} and
/// {Role}, so the files of several nodes can be merged.
/// </summary>
internal static class NodeLogging
{
    /// <summary>
    /// Events carrying this property also go to the console (at or above the console level); all others only to the
    /// log file, except warnings and errors, which always show. Keeps shard-level chatter out of the terminal.
    /// </summary>
    public const string ConsoleProperty = "Console";

    /// <summary>
    /// Events that end the run and that the command prints itself, as its one closing "error: …" line: on the
    /// console they would only say the same thing twice (they stay in the log file).
    /// </summary>
    private static readonly HashSet<string> ReportedAtExit = [LogEvents.SweepFailing, LogEvents.SnapshotFailed, LogEvents.JournalWriteFailed];

    /// <summary>Marks an event for the log file only (the command reports it on the console its own way).</summary>
    public const string FileOnlyProperty = "FileOnly";

    /// <summary>A logger whose events go to the log file only.</summary>
    public static ILogger FileOnly(this ILogger logger) => logger.ForContext(FileOnlyProperty, true);

    private static bool IsReportedAtExit(LogEvent e) =>
        e.Properties.ContainsKey(FileOnlyProperty)
        || (e.Properties.TryGetValue(LogEvents.Property, out var name) && name is ScalarValue { Value: string text } && ReportedAtExit.Contains(text))
        // Akka.Persistence's own report of a failed journal write, one per actor: JournalWriteFailed says it once.
        || e.MessageTemplate.Text.StartsWith("Failed to persist event", StringComparison.Ordinal)
        || e.MessageTemplate.Text.StartsWith("Rejected to persist event", StringComparison.Ordinal);

    /// <summary>A logger whose events carry the event name <paramref name="name"/> (one of <see cref="LogEvents"/>) as
    /// the {Event} property, for the lines whose text the user reads as it is (docs/architecture.md §3.3).</summary>
    public static ILogger Event(this ILogger logger, string name) => logger.ForContext(LogEvents.Property, name);

    /// <summary>A logger whose events also reach the console.</summary>
    public static ILogger ForConsole(this ILogger logger) => logger.ForContext(ConsoleProperty, true);

    /// <summary>The default node id: host name and process id, unique among the processes of one machine.</summary>
    public static string DefaultNodeId() => $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <param name="logFile">Compact-JSON log file (appended to, so a resumed run keeps its history).</param>
    /// <param name="console">Where console events go (stderr, so stdout stays for results and tables).</param>
    /// <param name="consoleLevel">Minimum level shown on the console.</param>
    public static Logger Create(string logFile, string nodeId, string role, TextWriter console, LogEventLevel consoleLevel)
    {
        return new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Akka", LogEventLevel.Information)
            .Enrich.WithProperty("NodeId", nodeId)
            .Enrich.WithProperty("Role", role)
            // Whole lines only, also on a full disk (see WholeLineFileSink).
            .WriteTo.Sink(new WholeLineFileSink(logFile, new CompactJsonFormatter()), LogEventLevel.Information)
            .WriteTo.Logger(toConsole => toConsole
                .Filter.ByIncludingOnly(e => !IsReportedAtExit(e) && (e.Level >= LogEventLevel.Warning
                    || (e.Level >= consoleLevel && (e.Properties.ContainsKey(ConsoleProperty) || ConsoleNotices.IsShown(e)))))
                .WriteTo.Sink(new ConsoleNotices(new TextWriterSink(console, new MessageTemplateTextFormatter(
                    // No {Exception}: stack traces go to the log file; the console gets the message, which says why.
                    "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}")), role, () => DateTimeOffset.UtcNow)))
            .WriteToSeqIfConfigured()
            .CreateLogger();
    }
}
