using System.Diagnostics.Metrics;
using System.Text;
using Ntk.Cluster.Operations;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Prometheus;

namespace Ntk.Cli.Operations;

/// <summary>
/// Exports the sweep's meters (<see cref="SweepMeters"/>) and this node's membership gauge: to Prometheus through the
/// node's /metrics (<see cref="PrometheusMeterExporter"/>, plus prometheus-net's process and GC metrics), and over OTLP
/// when OTEL_EXPORTER_OTLP_ENDPOINT is set (the OpenTelemetry SDK reads the OTEL_* variables). Dispose stops the OTLP
/// push after a last export.
/// </summary>
internal sealed class NodeTelemetry : IDisposable
{
    /// <summary>Meter of the node's own gauges (members by status).</summary>
    public const string NodeMeterName = "Ntk.Node";

    private static readonly Lock Gate = new();
    private static bool _prometheusConfigured;

    private readonly Meter _meter;
    private readonly PrometheusMeterExporter _exporter;
    private readonly MeterProvider? _otlp;

    public NodeTelemetry(NodeHealth health, string nodeId)
    {
        ConfigurePrometheus();
        _exporter = new PrometheusMeterExporter(SweepMeters.MeterName, NodeMeterName);
        // The sweep's instruments exist from the first scrape on (counters at 0), not only once the actors use them.
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(SweepMeters).TypeHandle);
        _meter = new Meter(NodeMeterName, "1.0");
        _meter.CreateObservableGauge("cluster.members",
            () => health.Members().Select(m => new Measurement<long>(m.Count,
                new KeyValuePair<string, object?>("status", m.Status), new KeyValuePair<string, object?>("role", m.Role))),
            "{member}", "Cluster members as this node sees them, by status (Unreachable counted apart) and role.");
        if (Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 })
            _otlp = Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(r => r.AddService("ntk-" + health.Role.ToString().ToLowerInvariant(), serviceInstanceId: nodeId))
                .AddMeter(SweepMeters.MeterName, NodeMeterName)
                .AddOtlpExporter()
                .Build();
    }

    /// <summary>Writes every metric in the Prometheus text format: ours, then the process's.</summary>
    public async Task WritePrometheusAsync(Stream destination, CancellationToken cancellation)
    {
        var text = new StringBuilder();
        _exporter.WriteTo(text);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        await destination.WriteAsync(bytes, cancellation).ConfigureAwait(false);
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(destination, cancellation).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _otlp?.ForceFlush(2000);
        _otlp?.Dispose();
        _meter.Dispose();
        _exporter.Dispose();
    }

    /// <summary>Once per process: prometheus-net exports only the process metrics (our meters have their own
    /// exporter; .NET's event counters are noise here).</summary>
    private static void ConfigurePrometheus()
    {
        lock (Gate)
        {
            if (_prometheusConfigured) return;
            _prometheusConfigured = true;
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
            {
                SuppressEventCounters = true,
                SuppressDebugMetrics = true,
                SuppressMeters = true,
                SuppressProcessMetrics = false,
            });
        }
    }
}
