using Ntk.Cli.Terminal;
using Serilog;
using Serilog.Events;

namespace Ntk.Cli.Logging;

/// <summary>
/// Optional central log sink: with NTK_SEQ_URL set (e.g. http://seq:5341), every node also sends its events to that
/// Seq server (NTK_SEQ_API_KEY: its API key, if it requires one), the same events as the compact-JSON file, so one
/// search covers all nodes wherever their files are. Batched and asynchronous: a Seq server that is down costs
/// nothing but the buffered events (docs/cluster.md, "Observe").
/// </summary>
internal static class SeqLogging
{
    public const string UrlVariable = "NTK_SEQ_URL";
    public const string ApiKeyVariable = "NTK_SEQ_API_KEY";

    public static LoggerConfiguration WriteToSeqIfConfigured(this LoggerConfiguration configuration)
    {
        var url = Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrWhiteSpace(url)) return configuration;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidInputException($"{UrlVariable}: \"{url}\" is not an http(s) URL");
        var apiKey = Environment.GetEnvironmentVariable(ApiKeyVariable);
        return configuration.WriteTo.Seq(uri.ToString(), restrictedToMinimumLevel: LogEventLevel.Information,
            apiKey: string.IsNullOrWhiteSpace(apiKey) ? null : apiKey);
    }
}
