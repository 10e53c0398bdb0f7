using System.Collections.Immutable;

namespace Ntk.Cli.Monitor;

/// <summary>Where a sweep is, as its logs tell it.</summary>
internal enum SweepPhase
{
    /// <summary>No start event yet (only worker logs, or none at all).</summary>
    Waiting,

    /// <summary>Started and not finished.</summary>
    Running,

    /// <summary>The last start was followed by a finish event (completed, stopped or failed).</summary>
    Finished,
}

/// <summary>
/// What `ntk monitor` shows at one moment: a snapshot of <see cref="MonitorState"/> computed at <see cref="Now"/>.
/// Trial counts are merged trials (each shard of a point counted once); rates are trials per second.
/// </summary>
/// <param name="Now">The moment the rates and ages refer to (the latest log timestamp, or the wall clock when following).</param>
/// <param name="Outcome">The finish event's outcome (completed, stopped, failed, interrupted), when finished.</param>
/// <param name="PointCount">Points of the sweep (from the start event); null when not logged yet.</param>
/// <param name="TrialCapPerPoint">Upper bound on a point's trials, from the start event's shard count and shard size
/// (exact when the last shard was seen); null when unknown.</param>
/// <param name="TrialsDone">Merged trials of the whole sweep: finished points at their final count, the others as the
/// sum of their distinct completed shards, and never less than the latest total the result writer logged.</param>
/// <param name="TrialsTotal">PointCount × TrialCapPerPoint: the most the sweep can run; null when unknown.</param>
/// <param name="RecentTrialsPerSecond">Sum of every node's rate over the recent window.</param>
/// <param name="WorstStdErr">The largest standard error of a reported mean in the latest published snapshot.</param>
/// <param name="Eta">The run's own ETA from its latest progress event (weighted by each point's estimated cost, the
/// one its progress bar shows), counted down; else remaining trials (to every unfinished point's cap) over the recent
/// rate; zero once finished, null when the rate or the cap is unknown. An upper bound under a standard-error target.</param>
/// <param name="OtherErrors">Error events that are not the sweep's own (no {Event}), e.g. Akka transport errors.</param>
/// <param name="UnreadableLines">Complete lines that were not CLEF events (console text, a corrupt line).</param>
/// <param name="Discarded">Shard results an aggregator dropped as late or duplicate (ShardDiscarded), by reason:
/// work done twice, after a lease expired or a worker was downed.</param>
internal sealed record MonitorView(
    DateTimeOffset Now,
    string? SweepName,
    SweepPhase Phase,
    string? Outcome,
    DateTimeOffset? StartedAt,
    DateTimeOffset? LastEventAt,
    int? PointCount,
    int PointsDone,
    ImmutableArray<PointView> PointsInProgress,
    long? TrialCapPerPoint,
    long TrialsDone,
    long? TrialsTotal,
    double RecentTrialsPerSecond,
    TimeSpan RecentWindow,
    double? WorstStdErr,
    int? WorstStdErrPoint,
    TimeSpan? Eta,
    ImmutableArray<NodeView> Nodes,
    ImmutableArray<MemberView> Members,
    int MembersUp,
    int MembersUnreachable,
    int MembersDowned,
    ImmutableArray<ReissueView> Reissued,
    int Failures,
    int OtherErrors,
    int Warnings,
    ImmutableArray<FailureView> RecentFailures,
    long EventsRead,
    long UnreadableLines,
    ImmutableSortedDictionary<string, int> Discarded);

/// <summary>A point that has trials but is not done.</summary>
internal sealed record PointView(int PointIndex, long Trials, long? TrialCap, int Shards);

/// <summary>
/// One node (by {NodeId}; a file's name for events without one): the shards its workers completed and its rates.
/// Trials here are the work done, so a re-issued shard computed twice counts on both nodes.
/// </summary>
/// <param name="MemberStatus">The cluster status of the node's address (from its actors' ActorPath): Up, Unreachable,
/// Downed (also once removed after being downed), Left, Removed; null in local mode or before membership is logged.</param>
/// <param name="RecentTrialsPerSecond">Trials completed in the last <see cref="MonitorView.RecentWindow"/> (each shard
/// spread over its ElapsedMs) per second of the window, or of the node's active time if shorter.</param>
/// <param name="TotalTrialsPerSecond">Trials over the time from the node's first lease to its last completed shard;
/// null before a shard completed.</param>
/// <param name="InFlight">Leases of this node neither completed, failed nor re-issued elsewhere.</param>
/// <param name="LeasesExpired">Leases of this node that the coordinator re-issued to another worker.</param>
internal sealed record NodeView(
    string NodeId,
    string? Role,
    string? MemberStatus,
    int Workers,
    int ShardsCompleted,
    long Trials,
    double RecentTrialsPerSecond,
    double? TotalTrialsPerSecond,
    int InFlight,
    int LeasesExpired,
    int Errors,
    DateTimeOffset LastSeen);

/// <summary>A cluster member by address: its latest status (Up, Unreachable, Downed, Left, Removed) and whether it was
/// ever downed.</summary>
internal sealed record MemberView(string Address, string Roles, string Status, bool WasDowned, DateTimeOffset Since);

/// <summary>A shard whose lease expired: who held it, who it was offered to, who completed it afterwards.</summary>
internal sealed record ReissueView(
    DateTimeOffset At,
    int PointIndex,
    int ShardIndex,
    string? OfferedTo,
    string? HeldBy,
    string? CompletedBy);

/// <summary>An error or failure event.</summary>
internal sealed record FailureView(DateTimeOffset At, string NodeId, ClefLevel Level, string? EventName, string Message);
