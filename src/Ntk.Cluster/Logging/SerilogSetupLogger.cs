using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Serilog.Core;

namespace Ntk.Cluster.Logging;

/// <summary>Carries the host's Serilog logger into an actor system (no global <c>Serilog.Log.Logger</c>).</summary>
internal sealed class SerilogLoggerSetup : Setup
{
    public SerilogLoggerSetup(Serilog.ILogger logger) { Logger = logger; }

    public Serilog.ILogger Logger { get; }
}

/// <summary>
/// Akka logger actor that writes Akka log events to the <see cref="Serilog.ILogger"/> of the system's
/// <see cref="SerilogLoggerSetup"/> (or to <c>Serilog.Log.Logger</c> when there is none). Akka.Logger.Serilog's own
/// <c>SerilogLogger</c> always uses the static logger; this one lets each sweep log to the logger its host passes in.
/// With <c>SerilogLogMessageFormatter</c> as the logger-formatter, a template's named holes become properties; each
/// event also carries <c>SourceContext</c>, <c>ActorPath</c> and <c>LogSource</c>, as Akka.Logger.Serilog's do.
/// </summary>
internal sealed class SerilogSetupLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly Serilog.ILogger _logger;

    public SerilogSetupLogger()
    {
        var setup = Context.System.Settings.Setup.Get<SerilogLoggerSetup>();
        _logger = setup.HasValue ? setup.Value.Logger : Serilog.Log.Logger;
        Receive<Error>(e => Write(Serilog.Events.LogEventLevel.Error, e));
        Receive<Warning>(e => Write(Serilog.Events.LogEventLevel.Warning, e));
        Receive<Info>(e => Write(Serilog.Events.LogEventLevel.Information, e));
        Receive<Debug>(e => Write(Serilog.Events.LogEventLevel.Debug, e));
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
    }

    private void Write(Serilog.Events.LogEventLevel level, LogEvent logEvent)
    {
        if (!_logger.IsEnabled(level)) return;
        var logger = _logger
            .ForContext(Constants.SourceContextPropertyName, logEvent.LogClass?.FullName)
            .ForContext("ActorPath", logEvent.LogSource)
            .ForContext("LogSource", logEvent.LogSource);
        if (logEvent.Message is LogMessage message)
            logger.Write(level, logEvent.Cause, message.Format, message.Parameters().ToArray());
        else
            logger.Write(level, logEvent.Cause, "{Message:l}", logEvent.Message);
    }
}
