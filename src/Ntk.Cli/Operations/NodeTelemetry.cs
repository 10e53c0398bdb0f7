using System.Diagnostics.Metrics;
using Ntk.Cluster.Operations;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Prometheus;

namespace Ntk.Cli.Operations;

/// <summary>
/// Exports the sweep's meters (<see cref="SweepMeters"/>) and this node's membership gauge: to Prometheus through the
/// node's /metrics (prometheus-net's meter adapter, which names counter <c>shards.completed</c> of meter Ntk.Sweep
/// <c>ntk_sweep_shards_completed_total</c>), and over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the OpenTelemetry SDK reads
/// the OTEL_* variables). Dispose stops the OTLP push after a last export.
/// </summary>
internal sealed class NodeTelemetry : IDisposable
{
    /// <summary>Meter of the node's own gauges (members by status).</summary>
    public const string NodeMeterName = "Ntk.Node";

    private static readonly Lock Gate = new();
    private static bool _prometheusConfigured;

    private readonly Meter _meter;
    private readonly MeterProvider? _otlp;

    public NodeTelemetry(NodeHealth health, string nodeId)
    {
        ConfigurePrometheus();
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

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public static Task WritePrometheusAsync(Stream destination, CancellationToken cancellation) =>
        Metrics.DefaultRegistry.CollectAndExportAsTextAsync(destination, cancellation);

    public void Dispose()
    {
        _otlp?.ForceFlush(2000);
        _otlp?.Dispose();
        _meter.Dispose();
    }

    /// <summary>Once per process, before the registry's first use: our meters and the process metrics only (not every
    /// .NET event counter), histograms with the buckets the instruments advise.</summary>
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
                SuppressMeters = false,
                SuppressProcessMetrics = false,
            });
            Metrics.ConfigureMeterAdapter(options =>
                options.InstrumentFilterPredicate = instrument => instrument.Meter.Name is SweepMeters.MeterName or NodeMeterName);
            // The adapter starts listening with the registry's first use: now, not at the first scrape, or the counts
            // recorded before it would be missing.
            _ = Metrics.DefaultRegistry;
        }
    }
}
