using System.Net;
using System.Text;
using System.Text.Json;
using Ntk.Cluster.Operations;

namespace Ntk.Cli.Operations;

/// <summary>
/// A node's HTTP endpoint for operators: <c>GET /healthz/live</c> (200 while the process answers),
/// <c>GET /healthz/ready</c> (200 when <see cref="NodeHealth.Ready"/> holds, else 503; the body lists each check), and
/// <c>GET /metrics</c> (Prometheus text format), and <c>GET /bootstrap/seed-nodes</c> (this node's members for nodes
/// that bootstrap through it, Operations/ClusterDiscovery). Read-only, answers nothing else (404). Runs on its own listener thread
/// so a busy actor system cannot delay probes. Dispose stops it.
/// </summary>
internal sealed class NodeEndpoint : IDisposable
{
    private readonly HttpListener _listener;
    private readonly NodeHealth _health;
    private readonly NodeTelemetry _telemetry;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();

    private NodeEndpoint(HttpListener listener, NodeHealth health, NodeTelemetry telemetry)
    {
        _listener = listener;
        _health = health;
        _telemetry = telemetry;
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The prefix served, e.g. http://127.0.0.1:9110/.</summary>
    public string Prefix => _listener.Prefixes.First();

    /// <summary>Binds <paramref name="port"/> on <paramref name="hostname"/> ("0.0.0.0"/"::": every interface).
    /// Throws <see cref="InvalidOperationException"/> saying why when the port cannot be bound.</summary>
    public static NodeEndpoint Start(string hostname, int port, NodeHealth health, NodeTelemetry telemetry)
    {
        var host = hostname is "0.0.0.0" or "::" or "*" ? "+" : hostname.Contains(':', StringComparison.Ordinal) ? $"[{hostname}]" : hostname;
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://{host}:{port}/");
        // HttpListener matches the Host header: a loopback endpoint also answers requests addressed to localhost.
        if (hostname is "127.0.0.1" or "localhost") listener.Prefixes.Add($"http://{(hostname == "localhost" ? "127.0.0.1" : "localhost")}:{port}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            listener.Close();
            throw new InvalidOperationException($"--http-port {port}: cannot listen on {hostname}: {e.Message}", e);
        }
        return new NodeEndpoint(listener, health, telemetry);
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url?.AbsolutePath.TrimEnd('/') ?? "";
            if (context.Request.HttpMethod is not ("GET" or "HEAD"))
                await WriteAsync(response, 405, "text/plain", "GET only\n").ConfigureAwait(false);
            else if (path == "/healthz/live")
                await WriteHealthAsync(response, NodeHealth.Live()).ConfigureAwait(false);
            else if (path == "/healthz/ready")
                await WriteHealthAsync(response, _health.Ready()).ConfigureAwait(false);
            else if (path == "/bootstrap/seed-nodes")
            {
                if (_health.SeedNodesJson() is { } json) await WriteAsync(response, 200, "application/json", json).ConfigureAwait(false);
                else await WriteAsync(response, 503, "text/plain", "not a cluster member\n").ConfigureAwait(false);
            }
            else if (path == "/metrics")
            {
                response.StatusCode = 200;
                response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                using var buffer = new MemoryStream();
                await _telemetry.WritePrometheusAsync(buffer, _stop.Token).ConfigureAwait(false);
                response.ContentLength64 = buffer.Length;
                buffer.Position = 0;
                await buffer.CopyToAsync(response.OutputStream).ConfigureAwait(false);
            }
            else
                await WriteAsync(response, 404, "text/plain", "/healthz/live, /healthz/ready, /metrics, /bootstrap/seed-nodes\n").ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the endpoint stops: nothing to answer.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // Already closed.
            }
        }
    }

    private static Task WriteHealthAsync(HttpListenerResponse response, HealthReport report) =>
        WriteAsync(response, report.Healthy ? 200 : 503, "application/json",
            JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["status"] = report.Healthy ? "ok" : "unavailable",
                ["checks"] = report.Checks.ToDictionary(c => c.Key, c => c.Value),
            }) + "\n");

    private static async Task WriteAsync(HttpListenerResponse response, int status, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = contentType + "; charset=utf-8";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener; its exceptions are expected then.
        }
        _stop.Dispose();
    }
}
