using Akka.Configuration;

namespace Ntk.Cluster.Settings;

/// <summary>
/// A coordinator node's settings, read once from its configuration (cluster-config/coordinator.hocon over base.hocon
/// over sweep.hocon, with the command line's choices on top); the keys are documented in those files.
/// </summary>
/// <param name="MinWorkers">ntk.coordinator.min-workers: worker nodes to wait for before the sweep starts.</param>
/// <param name="Threads">ntk.coordinator.threads: worker threads on the coordinator node itself.</param>
/// <param name="Linger">ntk.coordinator.linger: how long to keep answering "sweep finished" after the end.</param>
/// <param name="SnapshotEvery">ntk.persistence.snapshot-every: accepted shards between aggregator snapshots (0: never).</param>
/// <param name="JournalTimeout">ntk.persistence.journal-timeout: how long to wait for the journal at start-up.</param>
/// <param name="AggregatorShards">ntk.cluster.aggregator-shards: sharding granularity of the aggregator entities.</param>
/// <param name="Actors">ntk.sweep, with the snapshot interval of ntk.coordinator.snapshot-interval.</param>
internal sealed record CoordinatorNodeSettings(
    int MinWorkers, int Threads, TimeSpan Linger, int SnapshotEvery, TimeSpan JournalTimeout, int AggregatorShards,
    SweepActorSettings Actors)
{
    /// <summary>Reads and checks the settings; the command-line values (<paramref name="minWorkers"/>,
    /// <paramref name="threads"/>, <paramref name="snapshotInterval"/>) win over the configuration. Throws
    /// <see cref="ArgumentException"/> saying which option or key is wrong.</summary>
    public static CoordinatorNodeSettings Create(Config config, int? minWorkers, int? threads, TimeSpan? snapshotInterval)
    {
        const string coordinator = "ntk.coordinator", persistence = "ntk.persistence";
        var section = Section(config, coordinator);
        var settings = new CoordinatorNodeSettings(
            MinWorkers: minWorkers ?? HoconValues.Read(section, coordinator, "min-workers", (c, k) => c.GetInt(k)),
            Threads: threads ?? HoconValues.Read(section, coordinator, "threads", (c, k) => c.GetInt(k)),
            Linger: HoconValues.Duration(section, coordinator, "linger"),
            SnapshotEvery: SnapshotEveryOf(config),
            JournalTimeout: HoconValues.Duration(Section(config, persistence), persistence, "journal-timeout"),
            AggregatorShards: AggregatorShardsOf(config),
            Actors: SweepActorSettings.Create(config, workers: null,
                snapshotInterval ?? HoconValues.Duration(section, coordinator, "snapshot-interval")));
        if (settings.MinWorkers < 0) throw new ArgumentException("--min-workers: must be at least 0");
        if (settings.Threads < 0) throw new ArgumentException("--threads: must be at least 0");
        if (settings.MinWorkers == 0 && settings.Threads == 0)
            throw new ArgumentException("--min-workers 0 with --threads 0: nobody would compute the sweep");
        if (settings.JournalTimeout <= TimeSpan.Zero) throw new ArgumentException("ntk.persistence.journal-timeout: must be positive");
        return settings;
    }

    internal static int SnapshotEveryOf(Config config)
    {
        var every = HoconValues.Read(Section(config, "ntk.persistence"), "ntk.persistence", "snapshot-every", (c, k) => c.GetInt(k));
        return every >= 0 ? every : throw new ArgumentException("ntk.persistence.snapshot-every: must be at least 0 (0 = never)");
    }

    internal static int AggregatorShardsOf(Config config)
    {
        var shards = HoconValues.Read(Section(config, "ntk.cluster"), "ntk.cluster", "aggregator-shards", (c, k) => c.GetInt(k));
        return shards >= 1 ? shards : throw new ArgumentException("ntk.cluster.aggregator-shards: must be at least 1");
    }

    internal static Config Section(Config config, string path) =>
        config.GetConfig(path) ?? throw new ArgumentException($"{path} is missing from the configuration");
}

/// <summary>A worker node's settings, read once from its configuration (cluster-config/worker.hocon over base.hocon
/// over sweep.hocon, with the command line's choice on top); the keys are documented in those files.</summary>
/// <param name="Threads">ntk.worker.threads (0 in the file: all cores; resolved here).</param>
/// <param name="RejoinDelay">ntk.worker.rejoin-delay.</param>
/// <param name="JoinTimeout">ntk.worker.join-timeout; zero: try forever.</param>
/// <param name="PlanRetryInterval">ntk.worker.plan-retry-interval.</param>
/// <param name="DrainTimeout">ntk.worker.drain-timeout.</param>
/// <param name="AggregatorShards">ntk.cluster.aggregator-shards (must match the coordinator's).</param>
/// <param name="SnapshotEvery">ntk.persistence.snapshot-every, for the aggregators of a node with the aggregator role.</param>
/// <param name="Actors">ntk.sweep (a worker node publishes no snapshots).</param>
internal sealed record WorkerNodeSettings(
    int Threads, TimeSpan RejoinDelay, TimeSpan JoinTimeout, TimeSpan PlanRetryInterval, TimeSpan DrainTimeout,
    int AggregatorShards, int SnapshotEvery, SweepActorSettings Actors)
{
    /// <summary>Reads and checks the settings; <paramref name="threads"/> from the command line wins. Throws
    /// <see cref="ArgumentException"/> saying which option or key is wrong.</summary>
    public static WorkerNodeSettings Create(Config config, int? threads)
    {
        const string worker = "ntk.worker";
        var section = CoordinatorNodeSettings.Section(config, worker);
        var count = threads ?? HoconValues.Read(section, worker, "threads", (c, k) => c.GetInt(k));
        if (count < 0) throw new ArgumentException("--threads: must be at least 0 (0 = all cores)");
        var settings = new WorkerNodeSettings(
            Threads: count == 0 ? Environment.ProcessorCount : count,
            RejoinDelay: HoconValues.Duration(section, worker, "rejoin-delay"),
            JoinTimeout: HoconValues.OffOrDuration(section, worker, "join-timeout"),
            PlanRetryInterval: HoconValues.Duration(section, worker, "plan-retry-interval"),
            DrainTimeout: HoconValues.Duration(section, worker, "drain-timeout"),
            AggregatorShards: CoordinatorNodeSettings.AggregatorShardsOf(config),
            SnapshotEvery: CoordinatorNodeSettings.SnapshotEveryOf(config),
            Actors: SweepActorSettings.Create(config, workers: null, TimeSpan.Zero));
        if (settings.DrainTimeout <= TimeSpan.Zero) throw new ArgumentException("ntk.worker.drain-timeout: must be positive");
        return settings;
    }
}
