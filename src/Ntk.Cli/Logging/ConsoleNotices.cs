using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Logging;

/// <summary>
/// What a node's console shows besides its own console events: the few cluster events a user waits on (named in
/// <see cref="Shown"/>), and, instead of Akka's raw warnings while a peer cannot be reached ("Tried to associate with
/// unreachable remote address … gated … dead letters", "Association with remote system … has failed; address is now
/// gated", "Couldn't join seed nodes after [n] attempts"), one plain line
/// per peer and minute. The log file keeps every event as it was.
/// </summary>
internal sealed class ConsoleNotices(ILogEventSink console, string role, Func<DateTimeOffset> clock) : ILogEventSink
{
    /// <summary>{Event} names shown on the console at Information: waiting for workers, workers joined, pulling shards.</summary>
    public static readonly IReadOnlySet<string> Shown = new HashSet<string>(StringComparer.Ordinal)
    {
        LogEvents.WorkersWaiting, LogEvents.WorkersJoined, LogEvents.PullingShards,
    };

    private const string Unreachable = "Tried to associate with unreachable remote address";
    private const string SeedsNotJoined = "Couldn't join seed nodes after";
    // Akka's ReliableDeliverySupervisor when an established or starting association fails ("… has failed; address is
    // now gated for 5000 ms. Reason is: […]"): seen by a worker that dialled the coordinator before it listened.
    private const string AssociationFailed = "Association with remote system";
    private static readonly TimeSpan Quiet = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, DateTimeOffset> _lastNotice = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>True for the Akka warnings this sink replaces with a plain line.</summary>
    public static bool IsUnreachableNoise(LogEvent e) =>
        e.MessageTemplate.Text.StartsWith(Unreachable, StringComparison.Ordinal)
        || e.MessageTemplate.Text.StartsWith(SeedsNotJoined, StringComparison.Ordinal)
        || (e.MessageTemplate.Text.StartsWith(AssociationFailed, StringComparison.Ordinal)
            && e.MessageTemplate.Text.Contains("gated", StringComparison.Ordinal));

    /// <summary>True for an event named in <see cref="Shown"/>.</summary>
    public static bool IsShown(LogEvent e) =>
        e.Properties.TryGetValue(LogEvents.Property, out var name) && name is ScalarValue { Value: string text } && Shown.Contains(text);

    public void Emit(LogEvent logEvent)
    {
        if (!IsUnreachableNoise(logEvent))
        {
            console.Emit(logEvent);
            return;
        }
        var peer = Peer(logEvent);
        var now = clock();
        lock (_gate)
        {
            if (_lastNotice.TryGetValue(peer, out var last) && now - last < Quiet) return;
            _lastNotice[peer] = now;
        }
        var text = role == "worker"
            ? $"the coordinator at {peer} is not reachable yet; still trying (is `ntk coordinator` running there? are --seeds right?)"
            : $"{peer} is not reachable; still trying";
        console.Emit(new LogEvent(logEvent.Timestamp, LogEventLevel.Warning, null,
            new MessageTemplate([new TextToken(text)]), []));
    }

    /// <summary>host:port of the peer the warning is about (its first property, an Akka address or a list of seeds).</summary>
    private static string Peer(LogEvent e)
    {
        var key = e.MessageTemplate.Text.StartsWith(SeedsNotJoined, StringComparison.Ordinal) ? "1" : "0";
        var address = e.Properties.TryGetValue(key, out var value) && value is ScalarValue { Value: { } raw } ? raw.ToString()! : "?";
        var at = address.IndexOf('@', StringComparison.Ordinal);
        return (at >= 0 ? address[(at + 1)..] : address).TrimEnd(']', ' ');
    }
}
