using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Persistence;
using Ntk.Cluster.Settings;
using Ntk.Numerics.MonteCarlo;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Owns the sweep: opens every point on its aggregator (<see cref="RestorePoint"/>, seeded for resumed points),
/// answers idle workers from <see cref="CoordinatorState"/>, records what the aggregators merged, reports progress
/// to the result writer, and asks it for the final snapshot once every point is done or the sweep is stopped.
/// A thin shell: every decision is made by <see cref="CoordinatorState"/>. In cluster mode it runs as a singleton.
/// Its shard ledger (every shard an aggregator accepted, <see cref="ShardRecorded"/>) is journaled: after a restart
/// it is recovered first and checked against what each aggregator recovered from its own journal (an aggregator
/// behind the ledger lost events; its missing shards are leased again and the loss is logged as an error).
/// </summary>
internal sealed class CoordinatorActor : ReceivePersistentActor, IWithTimers
{
    private const string RestoreTimerKey = "restore";
    private const string ProgressTimerKey = "progress";

    private readonly SimulationPlan _plan;
    private readonly ImmutableDictionary<int, PointResumeState> _resume;
    private readonly ImmutableArray<PointResumeState> _finishedBefore;
    private readonly SweepActorSettings _settings;
    private readonly IActorRef _aggregators;
    private readonly IActorRef _resultWriter;
    private readonly CoordinatorState _state;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, ShardRecorded> _ledger = [];
    private string? _failure;
    private bool _finalRequested;
    private readonly bool _journaled;

    public CoordinatorActor(SimulationPlan plan, IReadOnlyList<PointResumeState> resume, SweepActorSettings settings,
        IActorRef aggregators, IActorRef resultWriter, string persistenceId, bool journaled = true)
    {
        _journaled = journaled;
        PersistenceId = persistenceId;
        _plan = plan;
        _resume = resume.Where(r => r.ShardsMerged > 0 && !r.Done).ToImmutableDictionary(r => r.PointIndex);
        _finishedBefore = resume.Where(r => r.Done).ToImmutableArray();
        _settings = settings;
        _aggregators = aggregators;
        _resultWriter = resultWriter;
        _state = new CoordinatorState(plan.Points.Length, plan.MaxShardCount, settings.LeaseWindow, settings.LeaseTimeout,
            settings.PointWindow);

        Recover<ShardRecorded>(Record);
        Recover<RecoveryCompleted>(_ => Start());

        Command<PointRestored>(m =>
        {
            if (!IsKnown(m.PointIndex, m)) return;
            if (!_state.IsOpen(m.PointIndex) && _ledger.TryGetValue(m.PointIndex, out var recorded) && recorded.ShardsMerged > m.ShardsMerged)
                _log.Error("{Event:l}: point {PointIndex}: the ledger recorded {LedgerShards} merged shards, its aggregator recovered {ShardsMerged}: the aggregator's journal lost events; the missing shards are computed again",
                    LogEvents.JournalBehindLedger, m.PointIndex, recorded.ShardsMerged, m.ShardsMerged);
            if (_state.PointRestored(m.PointIndex, m.ShardsMerged, m.MergedTrials, m.PointDone, m.HeldShards)) PointDone(m.PointIndex);
            PublishGauges();
            CheckFinished();
        });
        Command<RequestWork>(OnRequestWork);
        Command<ShardMerged>(m =>
        {
            if (!IsKnown(m.Shard.PointIndex, m)) return;
            // Not awaited: the aggregator's journal already holds the shard; the ledger is its cross-check. Without
            // aggregator journals (`ntk run`) there is nothing to cross-check and nothing recovers: no ledger, which
            // would otherwise hold an event per shard in the in-memory journal for the whole run (issue 10).
            if (_journaled)
                PersistAsync(new ShardRecorded(m.Shard.PointIndex, m.Shard.ShardIndex, m.ShardsMerged, m.MergedTrials, m.PointDone), Record);
            LogAccepted(m.Shard, m.Lease);
            if (_state.ShardMerged(m.Shard, m.ShardsMerged, m.MergedTrials, m.PointDone)) PointDone(m.Shard.PointIndex);
            PublishGauges();
            CheckFinished();
        });
        Command<ShardDiscarded>(m =>
        {
            if (!IsKnown(m.Shard.PointIndex, m)) return;
            if (_state.ShardDiscarded(m.Shard, m.Lease, m.ShardsMerged, m.MergedTrials, m.PointDone)) PointDone(m.Shard.PointIndex);
            // An aggregator that lost its incarnation before journaling anything is opened again (see NotOpen).
            if (m.Reason == DiscardReason.NotOpen && !_state.IsDone(m.Shard.PointIndex)) SendRestore(m.Shard.PointIndex);
            CheckFinished();
        });
        Command<DeclineLease>(m =>
        {
            if (IsKnown(m.Shard.PointIndex, m)) _state.LeaseDeclined(m.Shard, m.Lease);
        });
        Command<ShardFailed>(m => Fail($"point {m.Shard.PointIndex} shard {m.Shard.ShardIndex} failed on {m.Worker.Value}: {m.Reason}"));
        Command<JournalWriteFailed>(m => Fail($"the journal cannot be written (point {m.PointIndex}): {m.Reason}"));
        Command<StopSweep>(_ =>
        {
            if (!_state.IsFinished)
                _log.Info("{Event:l}: stop requested; leasing stops, in-flight shards are abandoned", LogEvents.SweepStopping);
            _state.Stop();
            CheckFinished();
        });
        Command<Clustering.WorkerNodeLost>(m =>
        {
            var expired = _state.ExpireLeases(w => w.Value.StartsWith(m.WorkerIdPrefix, StringComparison.Ordinal), Now);
            if (expired > 0)
                _log.Warning("{Event:l}: {LeaseCount} leases of workers on {MemberAddress} expired: the node is gone",
                    LogEvents.LeasesExpired, expired, m.MemberAddress);
        });
        Command<ResendRestores>(_ => SendRestores());
        Command<SendProgress>(_ => _resultWriter.Tell(ProgressReport()));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public override string PersistenceId { get; }

    /// <param name="journaled">False in `ntk run` without aggregator journals: the shard ledger is neither written nor
    /// recovered.</param>
    public static Props Props(SimulationPlan plan, IReadOnlyList<PointResumeState> resume, SweepActorSettings settings,
        IActorRef aggregators, IActorRef resultWriter, string persistenceId, bool journaled = true) =>
        Akka.Actor.Props.Create(() => new CoordinatorActor(plan, resume, settings, aggregators, resultWriter, persistenceId, journaled));

    /// <summary>Nothing to recover without a journal.</summary>
    public override Recovery Recovery => _journaled ? base.Recovery : Recovery.None;

    /// <summary>
    /// The ledger's own write failed (Akka.Persistence stops this actor right after): nothing accepted from now on
    /// could be made durable, so the sweep fails at once, with the cause, instead of going on without a coordinator.
    /// The final snapshot is still asked for; what the journal holds is resumable.
    /// </summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        Fail($"the journal cannot be written: {JournalFailure.Describe(cause)}");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        Fail($"the journal rejected {@event.GetType().Name}: {JournalFailure.Describe(cause)}");
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    /// <summary>Stops leasing and publishes the final snapshot with <paramref name="failure"/> (the first one wins).</summary>
    private void Fail(string failure)
    {
        if (_failure is null)
        {
            _failure = failure;
            _log.Error("{Event:l}: {Reason}; the sweep stops", LogEvents.SweepFailing, failure);
        }
        _state.Stop();
        CheckFinished();
    }

    private void Record(ShardRecorded e)
    {
        if (!_ledger.TryGetValue(e.PointIndex, out var previous) || e.ShardsMerged > previous.ShardsMerged || (e.PointDone && !previous.PointDone))
            _ledger[e.PointIndex] = e;
    }

    /// <summary>After the ledger is recovered: counts the points a previous run finished as done, opens the first
    /// points (up to the point window) on their aggregators and starts the timers.</summary>
    private void Start()
    {
        foreach (var finished in _finishedBefore)
            _state.PointFinishedBefore(finished.PointIndex, finished.ShardsMerged, _plan.PrefixTrials(finished.ShardsMerged));
        var resumed = _resume.Keys.Union(_ledger.Where(l => l.Value.ShardsMerged > 0).Select(l => l.Key)).Count() + _finishedBefore.Length;
        _log.Info("{Event:l}: sweep {SweepName}: {PointCount} points, up to {ShardCount} shards of {ShardTrials} trials each, {ResumedPoints} resumed",
            LogEvents.SweepStarted, _plan.Name, _plan.Points.Length, _plan.MaxShardCount, _plan.ShardTrials, resumed);
        OpenAdmitted();
        if (SweepActorSettings.IsOn(_settings.RestoreRetryInterval))
            Timers.StartPeriodicTimer(RestoreTimerKey, ResendRestores.Instance, _settings.RestoreRetryInterval);
        if (ReportInterval(_settings) is { } reportEvery)
            Timers.StartPeriodicTimer(ProgressTimerKey, SendProgress.Instance, reportEvery);
        CheckFinished();
    }

    private TimeSpan Now => Context.System.Scheduler.MonotonicClock;

    /// <summary>
    /// How often the result writer gets a progress report: it checkpoints the points in flight named by the latest
    /// one, so at least as often as it snapshots (it passes reports on to the progress observer at the progress
    /// interval only). Null when neither is on.
    /// </summary>
    internal static TimeSpan? ReportInterval(SweepActorSettings settings)
    {
        var progress = SweepActorSettings.IsOn(settings.ProgressInterval) ? settings.ProgressInterval : (TimeSpan?)null;
        var snapshot = SweepActorSettings.IsOn(settings.SnapshotInterval) ? settings.SnapshotInterval : (TimeSpan?)null;
        return progress is { } p && snapshot is { } s ? (p < s ? p : s) : progress ?? snapshot;
    }

    /// <summary>Re-sends <see cref="RestorePoint"/> to the admitted points that have not answered.</summary>
    private void SendRestores()
    {
        if (_state.AllOpened)
        {
            Timers.Cancel(RestoreTimerKey);
            return;
        }
        foreach (var p in _state.UnopenedPoints().ToList()) SendRestore(p);
    }

    /// <summary>Sends <see cref="RestorePoint"/> to the points admitted since the last call (the window moved).</summary>
    private void OpenAdmitted()
    {
        foreach (var p in _state.TakeAdmitted()) SendRestore(p);
    }

    /// <summary>Chunked: a resumed point's state may be larger than a frame.</summary>
    private void SendRestore(int p) =>
        Serialization.MessageChunker.For(Context.System).Tell(_aggregators, _resume.TryGetValue(p, out var seed)
            ? new RestorePoint(p, seed.ShardsMerged, seed.State)
            : new RestorePoint(p, 0, ImmutableArray<byte>.Empty), Self, p);

    /// <summary>The point met its stopping rule: the writer takes its final state, the point window moves on.</summary>
    private void PointDone(int pointIndex)
    {
        LogPointDone(pointIndex);
        _resultWriter.Tell(new PointCompleted(pointIndex));
        OpenAdmitted();
    }

    private void OnRequestWork(RequestWork request)
    {
        var replyTo = request.ReplyTo ?? Sender;
        var decision = _state.RequestWork(request.Worker, Now);
        switch (decision.Kind)
        {
            case WorkDecisionKind.Lease:
                if (decision.Reissue)
                    _log.Warning("{Event:l}: point {PointIndex} shard {ShardIndex}: lease expired, offered to {WorkerId}",
                        LogEvents.ShardReissued, decision.Shard.PointIndex, decision.Shard.ShardIndex, request.Worker.Value);
                Operations.SweepMeters.ShardLeased(decision.Reissue);
                replyTo.Tell(new LeaseShard(decision.Lease, _plan.Shard(decision.Shard.PointIndex, decision.Shard.ShardIndex)));
                break;
            case WorkDecisionKind.NoWorkAvailable:
                replyTo.Tell(NoWorkAvailable.Instance);
                break;
            default:
                replyTo.Tell(SweepFinished.Instance);
                break;
        }
    }

    private SweepProgressReport ProgressReport() => new(_state.Progress(), _state.TrialsThisRun);

    private void CheckFinished()
    {
        if (_finalRequested || !_state.IsFinished) return;
        _finalRequested = true;
        Timers.CancelAll();
        _log.Info("{Event:l}: sweep {SweepName} {Outcome}, {TrialCount} trials merged by this run",
            LogEvents.SweepFinished, _plan.Name,
            _failure is not null ? "failed" : _state.AllPointsDone ? "completed" : "stopped",
            _state.TrialsThisRun);
        // Same sender, same receiver: the writer sees the last progress before the final request.
        _resultWriter.Tell(ProgressReport());
        _resultWriter.Tell(new PublishFinalSnapshot(_failure));
    }

    /// <summary>False (and logged) for a point the plan does not have: a message from another sweep or version.</summary>
    private bool IsKnown(int pointIndex, ICoordinatorMessage message)
    {
        if (pointIndex >= 0 && pointIndex < _plan.Points.Length) return true;
        _log.Warning("{Event:l}: {MessageType} for point {PointIndex} dropped: the sweep has {PointCount} points",
            LogEvents.MessageDropped, message.GetType().Name, pointIndex, _plan.Points.Length);
        return false;
    }

    /// <summary>
    /// One line per accepted shard naming the worker that computed it and the time from lease to acceptance, so the
    /// coordinator's log alone shows every worker's throughput (`ntk monitor`), wherever the workers' own logs are.
    /// </summary>
    private void LogAccepted(ShardId shard, LeaseId lease)
    {
        var trials = _plan.Shard(shard.PointIndex, shard.ShardIndex).TrialCount;
        Operations.SweepMeters.ShardAccepted(trials);
        if (_state.LeaseHolder(shard, lease) is not { } holder) return;
        var elapsedMs = (Now - holder.LeasedAt).TotalMilliseconds;
        _log.Info("{Event:l}: point {PointIndex} shard {ShardIndex}, {TrialCount} trials by {WorkerId}, {ElapsedMs} ms after its lease",
            LogEvents.ShardAccepted, shard.PointIndex, shard.ShardIndex, trials, holder.Worker.Value, Math.Round(elapsedMs, 1));
    }

    private void PublishGauges() => Operations.SweepMeters.Progress(_state.PointsDone, _plan.Points.Length, _state.HeldShards);

    private void LogPointDone(int pointIndex) =>
        _log.Info("{Event:l}: point {PointIndex}: {TrialCount} trials in {ShardsMerged} shards",
            LogEvents.PointCompleted, pointIndex, _state.MergedTrials(pointIndex), _state.ShardsMerged(pointIndex));

    private sealed record ResendRestores : INoSerializationVerificationNeeded
    {
        public static readonly ResendRestores Instance = new();
        private ResendRestores() { }
    }

    private sealed record SendProgress : INoSerializationVerificationNeeded
    {
        public static readonly SendProgress Instance = new();
        private SendProgress() { }
    }
}
