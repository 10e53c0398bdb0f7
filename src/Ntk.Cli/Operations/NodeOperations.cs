using Ntk.Cluster.Clustering;
using Ntk.Cluster.Operations;
using Ntk.Cli.Terminal;
using Serilog;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Operations;

/// <summary>
/// Everything a cluster node runs for operators, for the lifetime of its command: the health it reports, its
/// telemetry exporters and, with --http-port, its HTTP endpoint. Commands create it once their logger exists.
/// </summary>
internal sealed class NodeOperations : IDisposable
{
    private readonly NodeTelemetry _telemetry;
    private readonly NodeEndpoint? _endpoint;

    private NodeOperations(NodeHealth health, NodeTelemetry telemetry, NodeEndpoint? endpoint)
    {
        Health = health;
        _telemetry = telemetry;
        _endpoint = endpoint;
    }

    public NodeHealth Health { get; }

    /// <summary>Starts the node's operations; throws <see cref="InvalidInputException"/> when the HTTP port
    /// cannot be bound.</summary>
    public static NodeOperations Start(NodeRole role, OperationsOptions options, ClusterNodeOptions node, string nodeId, ILogger logger)
    {
        var health = new NodeHealth(role);
        var telemetry = new NodeTelemetry(health, nodeId);
        NodeEndpoint? endpoint = null;
        if (options.HttpPort is { } port)
        {
            try
            {
                endpoint = NodeEndpoint.Start(node.Hostname ?? "127.0.0.1", port, health, telemetry);
            }
            catch (InvalidOperationException e)
            {
                telemetry.Dispose();
                throw new InvalidInputException(e.Message, e);
            }
            logger.Information("{Event:l}: health and metrics at {HttpEndpoint} (healthz/live, healthz/ready, metrics)",
                LogEvents.HttpEndpointStarted, endpoint.Prefix);
        }
        if (options.Tls is null && !IsLoopback(node.Hostname ?? "127.0.0.1"))
            logger.Warning("{Event:l}: remoting binds {Hostname} without TLS: anyone who reaches its port can join the cluster and " +
                "send results; use --tls-certificate and --tls-ca (docs/cluster.md, \"Secure\")", LogEvents.InsecureRemoting, node.Hostname);
        return new NodeOperations(health, telemetry, endpoint);
    }

    /// <summary>The node options with discovery and health attached.</summary>
    public ClusterNodeOptions Attach(ClusterNodeOptions node, OperationsOptions options) =>
        options.Apply(node) with { Health = Health };

    /// <summary>With <see cref="OperationsOptions.Hold"/>: waits until <paramref name="cancellation"/> fires (SIGTERM,
    /// Ctrl-C), the endpoint still answering (live, not ready: the sweep is over).</summary>
    public async Task HoldAsync(OperationsOptions options, TextWriter stdout, CancellationToken cancellation)
    {
        if (!options.Hold) return;
        Health.Finished("finished");
        await stdout.WriteLineAsync("holding (--hold): the sweep is finished; stop with SIGTERM or Ctrl-C");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
            // The normal end of a hold.
        }
    }

    private static bool IsLoopback(string hostname) =>
        hostname == "localhost" || (System.Net.IPAddress.TryParse(hostname, out var address) && System.Net.IPAddress.IsLoopback(address));

    public void Dispose()
    {
        _endpoint?.Dispose();
        _telemetry.Dispose();
    }
}
