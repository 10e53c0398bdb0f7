namespace Ntk.Cluster.Settings;

/// <summary>
/// Timing and sizing of the sweep actors, read once at the edge (from <see cref="SweepRunSettings"/> in local mode,
/// from HOCON in cluster mode). A zero or infinite interval means "off" where stated.
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
    /// <summary>Points open at once unless configured: enough to keep a few hundred worker threads busy on
    /// one-shard points, few enough that their states are a small fraction of memory.</summary>
    public const int DefaultPointWindow = 256;

    /// <summary>Local mode: the window is 2 shards per worker (at least 2), enough to keep every worker busy while
    /// one shard is late.</summary>
    public static SweepActorSettings ForLocal(SweepRunSettings run) => new(
        LeaseWindow: Math.Max(2, 2 * run.Workers),
        LeaseTimeout: run.LeaseTimeout,
        WorkRetryInterval: TimeSpan.FromMilliseconds(50),
        WorkRequestTimeout: TimeSpan.FromSeconds(10),
        RestoreRetryInterval: TimeSpan.FromSeconds(5),
        SnapshotInterval: run.SnapshotInterval,
        ProgressInterval: run.ProgressInterval,
        SnapshotTimeout: TimeSpan.FromSeconds(30),
        PointWindow: Math.Max(16, 8 * run.Workers));

    /// <summary>True when <paramref name="interval"/> is a usable timer period (positive and finite).</summary>
    public static bool IsOn(TimeSpan interval) => interval > TimeSpan.Zero && interval != Timeout.InfiniteTimeSpan;
}
