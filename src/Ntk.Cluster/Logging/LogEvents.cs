namespace Ntk.Cluster.Logging;

/// <summary>
/// The names of the structured log events, one vocabulary for the actors that write them (as the <c>{Event}</c>
/// property of a message template "{Event}: …") and for <c>ntk monitor</c> and <c>ntk bench</c>, which read them. One
/// convention: PascalCase, the subject first and what happened to it second (ShardLeased, SweepFinished, MemberUp).
/// A test checks that every event a reader handles is one some writer logs.
/// </summary>
public static class LogEvents
{
    public const string AggregatorRecovered = nameof(AggregatorRecovered);
    public const string JoinTimedOut = nameof(JoinTimedOut);
    public const string JournalBehindLedger = nameof(JournalBehindLedger);
    public const string JournalDeleteFailed = nameof(JournalDeleteFailed);
    public const string JournalOpened = nameof(JournalOpened);
    public const string JournalSnapshotFailed = nameof(JournalSnapshotFailed);
    public const string LeaseDeclined = nameof(LeaseDeclined);
    public const string LeasesExpired = nameof(LeasesExpired);
    public const string MemberDowned = nameof(MemberDowned);
    public const string MemberLeft = nameof(MemberLeft);
    public const string MemberReachable = nameof(MemberReachable);
    public const string MemberRemoved = nameof(MemberRemoved);
    public const string MemberUnreachable = nameof(MemberUnreachable);
    public const string MemberUp = nameof(MemberUp);
    public const string MessageDropped = nameof(MessageDropped);
    public const string NodeRejoining = nameof(NodeRejoining);
    public const string NodeStarted = nameof(NodeStarted);
    public const string PlanReceived = nameof(PlanReceived);
    public const string PlanSent = nameof(PlanSent);
    public const string PointCompleted = nameof(PointCompleted);
    public const string PointDone = nameof(PointDone);
    public const string ProgressFailed = nameof(ProgressFailed);
    public const string RestoreRejected = nameof(RestoreRejected);
    public const string ShardCompleted = nameof(ShardCompleted);
    public const string ShardDiscarded = nameof(ShardDiscarded);
    public const string ShardFailed = nameof(ShardFailed);
    public const string ShardLeased = nameof(ShardLeased);
    public const string ShardReissued = nameof(ShardReissued);
    public const string ShardRejected = nameof(ShardRejected);
    public const string SnapshotFailed = nameof(SnapshotFailed);
    public const string SnapshotPublished = nameof(SnapshotPublished);
    public const string SnapshotSkipped = nameof(SnapshotSkipped);
    public const string SweepFailing = nameof(SweepFailing);
    public const string SweepFinished = nameof(SweepFinished);
    public const string SweepStarted = nameof(SweepStarted);
    public const string SweepStopping = nameof(SweepStopping);
    public const string WorkerFinished = nameof(WorkerFinished);
    public const string WorkerNodeFinished = nameof(WorkerNodeFinished);
    public const string WorkersJoined = nameof(WorkersJoined);

    /// <summary>Every name above.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        AggregatorRecovered,
        JoinTimedOut,
        JournalBehindLedger,
        JournalDeleteFailed,
        JournalOpened,
        JournalSnapshotFailed,
        LeaseDeclined,
        LeasesExpired,
        MemberDowned,
        MemberLeft,
        MemberReachable,
        MemberRemoved,
        MemberUnreachable,
        MemberUp,
        MessageDropped,
        NodeRejoining,
        NodeStarted,
        PlanReceived,
        PlanSent,
        PointCompleted,
        PointDone,
        ProgressFailed,
        RestoreRejected,
        ShardCompleted,
        ShardDiscarded,
        ShardFailed,
        ShardLeased,
        ShardReissued,
        ShardRejected,
        SnapshotFailed,
        SnapshotPublished,
        SnapshotSkipped,
        SweepFailing,
        SweepFinished,
        SweepStarted,
        SweepStopping,
        WorkerFinished,
        WorkerNodeFinished,
        WorkersJoined,
    ];
}
