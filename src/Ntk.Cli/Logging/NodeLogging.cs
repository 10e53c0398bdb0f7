using Serilog;
using ILogger = Serilog.ILogger;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;

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
            .WriteTo.File(new CompactJsonFormatter(), logFile, restrictedToMinimumLevel: LogEventLevel.Information,
                flushToDiskInterval: TimeSpan.FromSeconds(1), shared: false)
            .WriteTo.Logger(toConsole => toConsole
                .Filter.ByIncludingOnly(e => e.Level >= LogEventLevel.Warning
                    || (e.Level >= consoleLevel && e.Properties.ContainsKey(ConsoleProperty)))
                .WriteTo.Sink(new TextWriterSink(console, new MessageTemplateTextFormatter(
                    "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}"))))
            .WriteToSeqIfConfigured()
            .CreateLogger();
    }
}
