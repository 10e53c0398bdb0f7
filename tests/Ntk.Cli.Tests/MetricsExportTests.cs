using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ntk.Cli.Operations;
using Xunit;

using Ntk.Cli.Tests.Support;

namespace Ntk.Cli.Tests;

/// <summary>
/// The Prometheus exporter of the node endpoint (names, types, histogram buckets, counters summed by tag set), and
/// the Grafana dashboard of deploy/grafana, whose queries must name only metrics a node exports.
/// </summary>
public sealed partial class MetricsExportTests
{
    [Fact]
    public void Counters_sum_by_tags_histograms_fill_cumulative_buckets_and_gauges_are_observed_at_each_scrape()
    {
        using var meter = new Meter("Test.Export." + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusMeterExporter(meter.Name);
        var prefix = meter.Name.ToLowerInvariant().Replace('.', '_');
        var counter = meter.CreateCounter<long>("shards.done", "{shard}", "Shards.");
        var histogram = meter.CreateHistogram("write.duration", "ms", "Writes.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        var gauge = 7L;
        meter.CreateObservableGauge("backlog", () => gauge);
        counter.Add(2, new KeyValuePair<string, object?>("role", "worker"));
        counter.Add(3, new KeyValuePair<string, object?>("role", "worker"));
        counter.Add(1);
        histogram.Record(0.5);
        histogram.Record(5);
        histogram.Record(50);

        var text = Scrape(exporter);
        Assert.Contains($"# TYPE {prefix}_shards_done_total counter\n", text);
        Assert.Contains($"{prefix}_shards_done_total{{role=\"worker\"}} 5\n", text);
        Assert.Contains($"{prefix}_shards_done_total 1\n", text);
        Assert.Contains($"# TYPE {prefix}_write_duration_ms histogram\n", text);
        Assert.Contains($"{prefix}_write_duration_ms_bucket{{le=\"1\"}} 1\n", text);
        Assert.Contains($"{prefix}_write_duration_ms_bucket{{le=\"10\"}} 2\n", text);
        Assert.Contains($"{prefix}_write_duration_ms_bucket{{le=\"+Inf\"}} 3\n", text);
        Assert.Contains($"{prefix}_write_duration_ms_count 3\n", text);
        Assert.Contains($"{prefix}_write_duration_ms_sum 55.5\n", text);
        Assert.Contains($"{prefix}_backlog 7\n", text);
        gauge = 3;
        Assert.Contains($"{prefix}_backlog 3\n", Scrape(exporter));
    }

    [Fact]
    public void Every_metric_the_dashboard_queries_is_exported_by_a_node()
    {
        // What a node exports before any work: every counter (at 0) and gauge; histograms once they have a value.
        using var telemetry = new NodeTelemetry(new Cluster.Operations.NodeHealth(Cluster.Clustering.NodeRole.Coordinator), "test");
        using var exporter = new PrometheusMeterExporter(Cluster.Operations.SweepMeters.MeterName, NodeTelemetry.NodeMeterName);
        var exported = MetricName().Matches(Scrape(exporter)).Select(m => m.Value).ToHashSet();
        exported.UnionWith(["ntk_sweep_journal_write_duration_ms_bucket", "ntk_node_cluster_members"]);

        var root = RepositoryRoot.Path;
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "deploy", "grafana", "ntk-dashboard.json")));
        var queried = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricName().Matches(t.GetProperty("expr").GetString()!).Select(m => m.Value))
            .ToHashSet();
        Assert.NotEmpty(queried);
        Assert.All(queried, name => Assert.Contains(name, exported));
        // And the dashboard shows what the operator's guide promises: throughput, shards, backlog, points, members, journal.
        foreach (var name in new[] { "ntk_sweep_trials_computed_total", "ntk_sweep_shards_reissued_total", "ntk_sweep_merge_backlog",
                     "ntk_sweep_points_done", "ntk_node_cluster_members", "ntk_sweep_journal_write_duration_ms_bucket" })
            Assert.Contains(name, queried);
    }

    [GeneratedRegex("ntk_[a-z_]+")]
    private static partial Regex MetricName();

    private static string Scrape(PrometheusMeterExporter exporter)
    {
        var text = new StringBuilder();
        exporter.WriteTo(text);
        return text.ToString();
    }

}
