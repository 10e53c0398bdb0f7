namespace Ntk.Cluster.Logging;

/// <summary>
/// The names of the structured log events: one vocabulary for the code that writes them (actors, cluster wiring,
/// commands) and the code that reads them (`ntk monitor`, `ntk bench`, the console filter, the tests that read a
/// node's log). The log files are a contract between them (docs/architecture.md §3.3).
/// <para>
/// One convention. Every event the project writes carries the property <see cref="Property"/> (<c>Event</c>) whose
/// value is one of these names: PascalCase, the subject first and what happened to it second (ShardLeased,
/// SweepFinished, MemberUp). Actors and the cluster wiring put it first in the template, <c>"{Event:l}: …"</c>; the
/// lines a command writes for the user (the sweep's start and end, progress) carry it as a context property
/// (<c>logger.ForContext(LogEvents.Property, …)</c>) so that their console text stays plain. A reader matches on the
/// property, never on a message template. Names are never renamed: logs written by an earlier version stay readable.
/// </para>
/// <para>
/// <c>LogEventsTests</c> checks that every name a reader uses is one some writer writes, that no event name is
/// spelled as a string literal outside this class, and that <see cref="All"/> lists every constant.
/// </para>
/// </summary>
public static class LogEvents
{
    /// <summary>The name of the property that carries the event name.</summary>
    public const string Property = "Event";

    // The sweep (coordinator actor, result writer, the run and coordinator commands).
    public const string SweepStarted = nameof(SweepStarted);
    public const string SweepStopping = nameof(SweepStopping);
    public const string SweepFailing = nameof(SweepFailing);
    public const string SweepFinished = nameof(SweepFinished);
    public const string SweepAlreadyComplete = nameof(SweepAlreadyComplete);
    /// <summary>`ntk run` (or `ntk coordinator`) began a sweep: "Sweep {SweepName} started…" / "Sweep {SweepName}: …".</summary>
    public const string RunStarted = nameof(RunStarted);
    /// <summary>The command's own closing line, with {Outcome} completed or interrupted.</summary>
    public const string RunEnded = nameof(RunEnded);
    /// <summary>The command gave up on an exception (possibly before <see cref="SweepFinished"/>).</summary>
    public const string RunFailed = nameof(RunFailed);
    /// <summary>A progress line: {PercentDone}, {TrialCount}, {PointsDone}, {EtaSeconds}.</summary>
    public const string ProgressReported = nameof(ProgressReported);
    public const string ProgressFailed = nameof(ProgressFailed);

    // Shards (workers, coordinator, aggregators).
    public const string ShardLeased = nameof(ShardLeased);
    public const string ShardCompleted = nameof(ShardCompleted);
    public const string ShardAccepted = nameof(ShardAccepted);
    public const string ShardFailed = nameof(ShardFailed);
    public const string ShardReissued = nameof(ShardReissued);
    public const string ShardRejected = nameof(ShardRejected);
    public const string ShardDiscarded = nameof(ShardDiscarded);
    public const string ResultConfirmed = nameof(ResultConfirmed);
    public const string LeaseDeclined = nameof(LeaseDeclined);
    public const string LeaseReturned = nameof(LeaseReturned);
    public const string LeasesExpired = nameof(LeasesExpired);

    // Points and snapshots.
    public const string PointCompleted = nameof(PointCompleted);
    public const string PointDone = nameof(PointDone);
    public const string RestoreRejected = nameof(RestoreRejected);
    public const string SnapshotPublished = nameof(SnapshotPublished);
    public const string SnapshotSkipped = nameof(SnapshotSkipped);
    public const string SnapshotFailed = nameof(SnapshotFailed);

    // The journal.
    public const string JournalOpened = nameof(JournalOpened);
    public const string JournalBehindLedger = nameof(JournalBehindLedger);
    public const string JournalWriteFailed = nameof(JournalWriteFailed);
    public const string JournalSnapshotFailed = nameof(JournalSnapshotFailed);
    public const string JournalDeleteFailed = nameof(JournalDeleteFailed);
    public const string AggregatorRecovered = nameof(AggregatorRecovered);
    /// <summary>Where a point's aggregator runs (a cluster member address).</summary>
    public const string AggregatorStarted = nameof(AggregatorStarted);
    /// <summary>A worker node with the aggregator role hosts a share of the points.</summary>
    public const string AggregatorsHosted = nameof(AggregatorsHosted);

    // Workers and nodes.
    public const string WorkerDraining = nameof(WorkerDraining);
    public const string WorkerDrained = nameof(WorkerDrained);
    public const string WorkerFinished = nameof(WorkerFinished);
    public const string NodeStarted = nameof(NodeStarted);
    public const string NodeDraining = nameof(NodeDraining);
    public const string NodeDrained = nameof(NodeDrained);
    public const string NodeRejoining = nameof(NodeRejoining);
    public const string WorkerNodeFinished = nameof(WorkerNodeFinished);
    public const string WorkersWaiting = nameof(WorkersWaiting);
    public const string WorkersJoined = nameof(WorkersJoined);
    public const string PullingShards = nameof(PullingShards);
    public const string JoinTimedOut = nameof(JoinTimedOut);
    public const string BootstrapStarted = nameof(BootstrapStarted);
    public const string PlanSent = nameof(PlanSent);
    public const string PlanReceived = nameof(PlanReceived);

    // Cluster membership (MembershipLogger).
    public const string MemberUp = nameof(MemberUp);
    public const string MemberUnreachable = nameof(MemberUnreachable);
    public const string MemberReachable = nameof(MemberReachable);
    public const string MemberDowned = nameof(MemberDowned);
    public const string MemberLeft = nameof(MemberLeft);
    public const string MemberRemoved = nameof(MemberRemoved);

    // Messages and operations.
    public const string MessageDropped = nameof(MessageDropped);
    public const string ChunkedMessageDropped = nameof(ChunkedMessageDropped);
    public const string HttpEndpointStarted = nameof(HttpEndpointStarted);
    public const string InsecureRemoting = nameof(InsecureRemoting);
    /// <summary>Written by the log file itself when events could not be written (a full disk).</summary>
    public const string LogEventsLost = nameof(LogEventsLost);

    /// <summary>Every name above (not <see cref="Property"/>).</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SweepStarted, SweepStopping, SweepFailing, SweepFinished, SweepAlreadyComplete, RunStarted, RunEnded, RunFailed,
        ProgressReported, ProgressFailed,
        ShardLeased, ShardCompleted, ShardAccepted, ShardFailed, ShardReissued, ShardRejected, ShardDiscarded,
        ResultConfirmed, LeaseDeclined, LeaseReturned, LeasesExpired,
        PointCompleted, PointDone, RestoreRejected, SnapshotPublished, SnapshotSkipped, SnapshotFailed,
        JournalOpened, JournalBehindLedger, JournalWriteFailed, JournalSnapshotFailed, JournalDeleteFailed, AggregatorRecovered,
        AggregatorStarted, AggregatorsHosted,
        WorkerDraining, WorkerDrained, WorkerFinished, NodeStarted, NodeDraining, NodeDrained, NodeRejoining,
        WorkerNodeFinished, WorkersWaiting, WorkersJoined, PullingShards, JoinTimedOut, BootstrapStarted, PlanSent, PlanReceived,
        MemberUp, MemberUnreachable, MemberReachable, MemberDowned, MemberLeft, MemberRemoved,
        MessageDropped, ChunkedMessageDropped, HttpEndpointStarted, InsecureRemoting, LogEventsLost,
    ];
}
