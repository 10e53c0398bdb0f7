using Akka.Configuration;

namespace Ntk.Cluster.Settings;

/// <summary>
/// Timing and sizing of the sweep actors, read once at the edge from the <c>ntk.sweep</c> section of the HOCON
/// (<see cref="Create"/>, as Akka.NET's <c>ClusterShardingSettings.Create(config)</c> reads its own section):
/// Config/sweep.hocon holds the defaults of one process (`ntk run`), cluster-config/base.hocon the cluster's values
/// over them. A zero or infinite interval means "off" where stated.
/// </summary>
/// <param name="LeaseWindow">Shards of a point that may be leased or held ahead of its merged prefix: bounds the
/// out-of-order results an aggregator buffers and, with a standard-error target, the work past the stopping point.</param>
/// <param name="LeaseTimeout">After this, a shard whose result has not arrived is offered to the next asking worker.</param>
/// <param name="WorkRetryInterval">A worker told <c>NoWorkAvailable</c> asks again after this.</param>
/// <param name="WorkRequestTimeout">A worker whose request got no answer (lost message, coordinator moving) asks
/// again after this.</param>
/// <param name="RestoreRetryInterval">The coordinator re-sends <c>RestorePoint</c> to points that did not answer, and the
/// result writer asks the points that did not answer a snapshot again, this often.</param>
/// <param name="SnapshotInterval">Between intermediate snapshots; zero or infinite: final snapshot only.</param>
/// <param name="ProgressInterval">Between progress reports; zero or infinite: none while running.</param>
/// <param name="SnapshotTimeout">How long the writer waits for every aggregator's answer to one collection.</param>
/// <param name="PointWindow">Points open at once past the first point not done (see <see cref="Actors.CoordinatorState"/>):
/// bounds the live aggregators and the finished points buffered for results.csv's point order.</param>
internal sealed record SweepActorSettings(
    int LeaseWindow,
    TimeSpan LeaseTimeout,
    TimeSpan WorkRetryInterval,
    TimeSpan WorkRequestTimeout,
    TimeSpan RestoreRetryInterval,
    TimeSpan SnapshotInterval,
    TimeSpan ProgressInterval,
    TimeSpan SnapshotTimeout,
    int PointWindow = SweepActorSettings.DefaultPointWindow)
{
    /// <summary>The HOCON section this record is read from.</summary>
    public const string Section = "ntk.sweep";

    /// <summary>Points open at once in a cluster (cluster-config/base.hocon, point-window): enough to keep a few hundred
    /// worker threads busy on one-shard points, few enough that their states are a small fraction of memory.</summary>
    public const int DefaultPointWindow = 256;

    /// <summary>
    /// Reads <c>ntk.sweep</c>. <c>lease-window = auto</c> stands for 2 shards per worker (at least 2), enough to keep
    /// every worker busy while one shard is late, and <c>point-window = auto</c> for 8 points per worker (at least 16);
    /// both need <paramref name="workers"/> (one process), a cluster gives numbers. <c>progress-interval = off</c> is zero. The snapshot interval is the caller's (the command line or the
    /// coordinator's section). Throws <see cref="ArgumentException"/> naming the key that is missing or wrong.
    /// </summary>
    public static SweepActorSettings Create(Config config, int? workers, TimeSpan snapshotInterval)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sweep = config.GetConfig(Section)
            ?? throw new ArgumentException($"{Section} is missing from the configuration");
        var settings = new SweepActorSettings(
            LeaseWindow: AutoOrCount(sweep, "lease-window", workers, perWorker: 2, atLeast: 2),
            LeaseTimeout: HoconValues.Duration(sweep, Section, "lease-timeout"),
            WorkRetryInterval: HoconValues.Duration(sweep, Section, "work-retry-interval"),
            WorkRequestTimeout: HoconValues.Duration(sweep, Section, "work-request-timeout"),
            RestoreRetryInterval: HoconValues.Duration(sweep, Section, "restore-retry-interval"),
            SnapshotInterval: snapshotInterval,
            ProgressInterval: HoconValues.OffOrDuration(sweep, Section, "progress-interval"),
            SnapshotTimeout: HoconValues.Duration(sweep, Section, "snapshot-timeout"),
            PointWindow: AutoOrCount(sweep, "point-window", workers, perWorker: 8, atLeast: 16));
        if (settings.LeaseWindow < 1) throw new ArgumentException($"{Section}.lease-window: must be at least 1");
        if (settings.PointWindow < 1) throw new ArgumentException($"{Section}.point-window: must be at least 1");
        if (!IsOn(settings.LeaseTimeout)) throw new ArgumentException($"{Section}.lease-timeout: must be positive and finite");
        return settings;
    }

    /// <summary>A count, or <c>auto</c>: <paramref name="perWorker"/> per worker of one process, at least <paramref name="atLeast"/>.</summary>
    private static int AutoOrCount(Config sweep, string key, int? workers, int perWorker, int atLeast) =>
        HoconValues.Read(sweep, Section, key, (c, k) =>
            string.Equals(c.GetString(k), "auto", StringComparison.OrdinalIgnoreCase)
                ? workers is { } n ? Math.Max(atLeast, perWorker * n)
                    : throw new ArgumentException($"{Section}.{key}: auto needs the number of workers of one process; give a number")
                : c.GetInt(k));

    /// <summary>One process (`ntk run`): <c>ntk.sweep</c> of <paramref name="config"/> with the run's own choices.</summary>
    public static SweepActorSettings ForLocal(Config config, SweepRunSettings run) =>
        Create(config, run.Workers, run.SnapshotInterval) with
        {
            LeaseTimeout = run.LeaseTimeout,
            ProgressInterval = run.ProgressInterval,
        };

    /// <summary>True when <paramref name="interval"/> is a usable timer period (positive and finite).</summary>
    public static bool IsOn(TimeSpan interval) => interval > TimeSpan.Zero && interval != Timeout.InfiniteTimeSpan;
}
