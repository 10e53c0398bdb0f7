using Akka.Configuration;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Settings;
using Xunit;

namespace Ntk.Cluster.Tests;

/// <summary>
/// Settings are read once, at the edge, from HOCON into typed records: `ntk run` from the embedded sweep.hocon
/// (ntk.sweep, ntk.run), a cluster node from cluster-config/*.hocon layered over it. The defaults asserted here are
/// the ones sweep.hocon and base.hocon document.
/// </summary>
public sealed class SweepSettingsTests
{
    [Fact]
    public void Ntk_run_reads_its_documented_defaults_from_sweep_hocon()
    {
        var run = SweepRunSettings.Create(workers: 3);
        Assert.Equal(new SweepRunSettings(3, SnapshotInterval: TimeSpan.FromSeconds(5), LeaseTimeout: TimeSpan.FromMinutes(10),
            ProgressInterval: TimeSpan.FromSeconds(5)), run);
        Assert.Equal(TimeSpan.FromMilliseconds(250), SweepRunSettings.Create(3, progressBar: true).ProgressInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), SweepRunSettings.Create(3, snapshotInterval: TimeSpan.FromSeconds(2)).SnapshotInterval);

        var actors = SweepActorSettings.ForLocal(SweepHocon.Config, run);
        Assert.Equal(new SweepActorSettings(
            LeaseWindow: 6, // auto: 2 per worker
            LeaseTimeout: TimeSpan.FromMinutes(10),
            WorkRetryInterval: TimeSpan.FromMilliseconds(50),
            WorkRequestTimeout: TimeSpan.FromSeconds(10),
            RestoreRetryInterval: TimeSpan.FromSeconds(5),
            SnapshotInterval: TimeSpan.FromSeconds(5),
            ProgressInterval: TimeSpan.FromSeconds(5),
            SnapshotTimeout: TimeSpan.FromSeconds(30),
            PointWindow: 24), actors); // auto: 8 per worker
        var one = SweepActorSettings.ForLocal(SweepHocon.Config, run with { Workers = 1 });
        Assert.Equal((2, 16), (one.LeaseWindow, one.PointWindow)); // the least of each
    }

    [Fact]
    public void A_settings_record_is_parsed_from_any_hocon_layered_over_the_defaults()
    {
        var config = ConfigurationFactory.ParseString("""
            ntk.sweep { lease-window = 7, work-retry-interval = 20ms, progress-interval = off, lease-timeout = 90s }
            ntk.run { snapshot-interval = off, progress-bar-interval = 1s }
            """).WithFallback(SweepHocon.Config);

        var actors = SweepActorSettings.Create(config, workers: 4, snapshotInterval: TimeSpan.FromSeconds(3));
        Assert.Equal(7, actors.LeaseWindow);
        Assert.Equal(TimeSpan.FromMilliseconds(20), actors.WorkRetryInterval);
        Assert.Equal(TimeSpan.Zero, actors.ProgressInterval);
        Assert.Equal(TimeSpan.FromSeconds(90), actors.LeaseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), actors.SnapshotTimeout); // not overridden: the default
        Assert.Equal(TimeSpan.FromSeconds(3), actors.SnapshotInterval);

        var run = SweepRunSettings.Create(config, workers: 2, progressBar: true, snapshotInterval: null);
        Assert.Equal(TimeSpan.Zero, run.SnapshotInterval);
        Assert.Equal(TimeSpan.FromSeconds(1), run.ProgressInterval);
        Assert.Equal(TimeSpan.FromSeconds(90), run.LeaseTimeout);
    }

    [Fact]
    public void A_cluster_node_gets_the_cluster_values_of_base_hocon_over_the_local_defaults()
    {
        var config = ClusterHocon.Build(NodeRole.Coordinator, new ClusterNodeOptions(null, null, null, [], null), "INFO");
        var actors = SweepActorSettings.Create(config, workers: null, snapshotInterval: TimeSpan.FromSeconds(5));
        Assert.Equal(64, actors.LeaseWindow);
        Assert.Equal(256, actors.PointWindow);
        Assert.Equal(TimeSpan.FromSeconds(60), actors.LeaseTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), actors.WorkRetryInterval);
        Assert.Equal(TimeSpan.FromSeconds(60), actors.SnapshotTimeout);
    }

    [Fact]
    public void A_coordinator_node_reads_its_documented_defaults_and_the_command_line_wins()
    {
        var config = ClusterHocon.Build(NodeRole.Coordinator, new ClusterNodeOptions(null, null, null, [], null), "INFO");
        var defaults = CoordinatorNodeSettings.Create(config, minWorkers: null, threads: null, snapshotInterval: null);
        Assert.Equal((1, 0, TimeSpan.FromSeconds(15), 20, TimeSpan.FromSeconds(60), 64),
            (defaults.MinWorkers, defaults.Threads, defaults.Linger, defaults.SnapshotEvery, defaults.JournalTimeout, defaults.AggregatorShards));
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.Actors.SnapshotInterval);

        var chosen = CoordinatorNodeSettings.Create(config, minWorkers: 0, threads: 2, snapshotInterval: TimeSpan.FromSeconds(1));
        Assert.Equal((0, 2, TimeSpan.FromSeconds(1)), (chosen.MinWorkers, chosen.Threads, chosen.Actors.SnapshotInterval));
        Assert.StartsWith("--min-workers 0 with --threads 0",
            Assert.Throws<ArgumentException>(() => CoordinatorNodeSettings.Create(config, 0, 0, null)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_node_reads_its_documented_defaults()
    {
        var config = ClusterHocon.Build(NodeRole.Worker, new ClusterNodeOptions(null, null, null, [], null), "INFO");
        var worker = WorkerNodeSettings.Create(config, threads: null);
        Assert.Equal(Environment.ProcessorCount, worker.Threads); // 0 in the file: all cores
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8)),
            (worker.RejoinDelay, worker.JoinTimeout, worker.PlanRetryInterval, worker.DrainTimeout));
        Assert.Equal(TimeSpan.Zero, worker.Actors.SnapshotInterval);
        Assert.Equal(3, WorkerNodeSettings.Create(config, threads: 3).Threads);
        var forever = ConfigurationFactory.ParseString("ntk.worker.join-timeout = off").WithFallback(config);
        Assert.Equal(TimeSpan.Zero, WorkerNodeSettings.Create(forever, null).JoinTimeout);
    }

    [Theory]
    [InlineData("ntk.sweep.lease-window = auto", null, "ntk.sweep.lease-window: auto needs the number of workers")]
    [InlineData("ntk.sweep.lease-window = 0", 2, "ntk.sweep.lease-window: must be at least 1")]
    [InlineData("ntk.sweep.lease-timeout = 0s", 2, "ntk.sweep.lease-timeout: must be positive")]
    [InlineData("ntk.sweep.work-retry-interval = soon", 2, "ntk.sweep.work-retry-interval: \"soon\" is not valid")]
    public void A_bad_value_is_an_error_that_names_its_key(string hocon, int? workers, string expected)
    {
        var config = ConfigurationFactory.ParseString(hocon).WithFallback(SweepHocon.Config);
        var error = Assert.Throws<ArgumentException>(() => SweepActorSettings.Create(config, workers, TimeSpan.Zero));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_section_is_an_error_that_names_it()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            SweepRunSettings.Create(ConfigurationFactory.ParseString("ntk.sweep.lease-timeout = 1s"), 1, false, null));
        Assert.Contains("ntk.run", error.Message, StringComparison.Ordinal);
    }
}
