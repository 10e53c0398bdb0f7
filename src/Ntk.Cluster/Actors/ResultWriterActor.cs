using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Settings;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cluster.Actors;

/// <summary>
/// Streams a sweep's results to an <see cref="IStreamingResultSink"/> (a plain <see cref="ISweepResultSink"/> is
/// wrapped in a <see cref="WholeSnapshotSink"/>): when the coordinator reports <see cref="PointCompleted"/>, fetches the
/// point's final state from its aggregator, hands it to the sink once and tells the aggregator
/// <see cref="ReleasePoint"/>, so a finished point leaves memory. Every snapshot interval, and once at the end, fetches
/// only the points in flight whose trials changed since the last checkpoint (known from the coordinator's progress
/// reports) and hands them to <see cref="IStreamingResultSink.Checkpoint"/>: the cost of a snapshot is proportional to
/// the points in flight, never to the sweep. Forwards the coordinator's progress to the <see cref="IProgressObserver"/>.
/// Runs on its own thread (<see cref="Dispatcher"/>) so the sink's file writes never hold up the coordinator or the
/// aggregators. A sink exception (a full disk, say) fails the run at once: the results written before it stay as they
/// were, and sampling on without being able to save it would only waste the work. Completes <c>completion</c> after the
/// sink completed the run (with the sink's final snapshot, or with <see cref="SweepFailedException"/>), or at the first
/// sink failure. In cluster mode it runs on the coordinator node.
/// </summary>
internal sealed class ResultWriterActor : ReceiveActor, IWithTimers
{
    /// <summary>The writer's dedicated thread (a PinnedDispatcher in sweep.hocon).</summary>
    public const string Dispatcher = "ntk.result-writer-dispatcher";

    /// <summary>Collection id of the fetch of a finished point's final state (checkpoints count from 1).</summary>
    private const long FinishedFetch = 0;

    private const string SnapshotTimerKey = "snapshot";
    private const string CollectionTimerKey = "collection";
    private const string RetryTimerKey = "retry";
    private const string FinalTimerKey = "final";
    private static readonly TimeSpan FailingSnapshotTimeout = TimeSpan.FromSeconds(10);

    private readonly SimulationPlan _plan;
    private readonly IActorRef _aggregators;
    private readonly IStreamingResultSink _sink;
    private readonly IProgressObserver _progress;
    private readonly SweepActorSettings _settings;
    private readonly TaskCompletionSource<SweepSnapshot> _completion;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    /// <summary>Finished points whose final state was asked for and has not arrived.</summary>
    private readonly HashSet<int> _fetching = [];
    /// <summary>Points handed to the sink as finished (one bit per point).</summary>
    private readonly BitArray _handedOver;
    /// <summary>Points in flight → trials at their last checkpoint (removed when the point finishes).</summary>
    private readonly Dictionary<int, long> _checkpointed = [];
    private SweepProgressReport? _lastProgress;
    private Collection? _collection;
    private long _lastCollectionId;
    private long _trialsThisRun;
    private TimeSpan _lastReported = TimeSpan.MinValue / 2;
    private (double StdErr, int Point)? _worstFinished;
    private PublishFinalSnapshot? _final;
    private bool _finalCheckpointDone;
    private bool _finished;
    private string? _sinkFailure;

    public ResultWriterActor(SimulationPlan plan, IActorRef aggregators, ISweepResultSink sink, IProgressObserver progress,
        SweepActorSettings settings, TaskCompletionSource<SweepSnapshot> completion)
    {
        _plan = plan;
        _aggregators = aggregators;
        _sink = sink as IStreamingResultSink ?? new WholeSnapshotSink(plan, sink);
        _progress = progress;
        _settings = settings;
        _completion = completion;
        _handedOver = new BitArray(plan.Points.Length);

        Receive<TakeSnapshot>(_ =>
        {
            if (_collection is null && _final is null) StartCollection(final: false);
        });
        Receive<PointCompleted>(OnPointCompleted);
        Receive<PointSnapshotResult>(OnPointSnapshot);
        var chunks = new Serialization.ChunkInbox(Context.System, Context.GetLogger(), "result writer");
        Receive<MessageChunk>(chunk => chunks.Receive(chunk, Sender, Self));
        // A question sent to an aggregator node that died is lost with it; once sharding has moved the point to
        // another aggregator node (which recovers it from the journal) the next question reaches it. Answers are
        // keyed by point, so a second answer changes nothing.
        Receive<RetryFetches>(_ =>
        {
            foreach (var p in _fetching) _aggregators.Tell(new GetPointSnapshot(p, FinishedFetch));
            if (_collection is { } collection)
                foreach (var p in collection.Asked)
                    if (!collection.Answers.ContainsKey(p)) _aggregators.Tell(new GetPointSnapshot(p, collection.Id));
        });
        Receive<CollectionTimedOut>(OnTimedOut);
        Receive<FinalTimedOut>(_ => OnFinalTimedOut());
        Receive<PublishFinalSnapshot>(m =>
        {
            if (_final is not null || _finished) return;
            _final = m;
            Timers.Cancel(SnapshotTimerKey);
            Timers.StartSingleTimer(FinalTimerKey, FinalTimedOut.Instance, FinalTimeout);
            // A checkpoint in progress is replaced: its answers are ignored (the final one asks again).
            Timers.Cancel(CollectionTimerKey);
            _collection = null;
            StartCollection(final: true);
        });
        Receive<SweepProgressReport>(m =>
        {
            _lastProgress = m;
            _trialsThisRun = m.TrialsThisRun;
            // Reports come at least as often as snapshots (CoordinatorActor.ReportInterval); the observer gets them
            // at its own interval (a tenth of it as slack for timer jitter).
            if (!SweepActorSettings.IsOn(_settings.ProgressInterval) ||
                _elapsed.Elapsed - _lastReported < _settings.ProgressInterval * 0.9) return;
            Report(m.Points.Select(p => (p.PointIndex, p.Trials, p.Done)));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(SimulationPlan plan, IActorRef aggregators, ISweepResultSink sink, IProgressObserver progress,
        SweepActorSettings settings, TaskCompletionSource<SweepSnapshot> completion) =>
        Akka.Actor.Props.Create(() => new ResultWriterActor(plan, aggregators, sink, progress, settings, completion))
            .WithDispatcher(Dispatcher);

    protected override void PreStart()
    {
        if (SweepActorSettings.IsOn(_settings.SnapshotInterval))
            Timers.StartPeriodicTimer(SnapshotTimerKey, TakeSnapshot.Instance, _settings.SnapshotInterval);
        if (SweepActorSettings.IsOn(_settings.RestoreRetryInterval))
            Timers.StartPeriodicTimer(RetryTimerKey, RetryFetches.Instance, _settings.RestoreRetryInterval);
        if (_plan.Points.Length == 0) Self.Tell(new PublishFinalSnapshot(null));
    }

    protected override void PostStop()
    {
        _completion.TrySetException(new SweepFailedException("the result writer stopped before the final snapshot was published"));
    }

    /// <summary>A failing run does not wait long for its last snapshot: an aggregator whose journal failed may not
    /// answer.</summary>
    private TimeSpan FinalTimeout =>
        _final?.Failure is null || _settings.SnapshotTimeout < FailingSnapshotTimeout ? _settings.SnapshotTimeout : FailingSnapshotTimeout;

    private void OnPointCompleted(PointCompleted message)
    {
        var p = message.PointIndex;
        if (_finished || p < 0 || p >= _plan.Points.Length || _handedOver[p] || !_fetching.Add(p)) return;
        _aggregators.Tell(new GetPointSnapshot(p, FinishedFetch));
    }

    private void OnPointSnapshot(PointSnapshotResult answer)
    {
        if (_finished || answer.PointIndex < 0 || answer.PointIndex >= _plan.Points.Length) return;
        if (answer.CollectionId == FinishedFetch)
        {
            if (!answer.Done || !_fetching.Remove(answer.PointIndex)) return;
            HandOver(answer);
            TryFinish();
            return;
        }
        var collection = _collection;
        if (collection is null || answer.CollectionId != collection.Id || !collection.Asked.Contains(answer.PointIndex)) return;
        if (collection.Answers.TryAdd(answer.PointIndex, answer) && collection.Answers.Count == collection.Asked.Count)
            PublishCheckpoint(collection);
    }

    /// <summary>Gives a finished point to the sink, then releases its aggregator (only once the sink has it).</summary>
    private void HandOver(PointSnapshotResult answer)
    {
        var p = answer.PointIndex;
        PointSnapshot point;
        try
        {
            point = Decode(answer);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Fail($"point {p}: its aggregator sent an unreadable state: {e.Message}", e);
            return;
        }
        try
        {
            _sink.PointFinished(point);
        }
        catch (Exception e)
        {
            StopOnSinkFailure(e, final: false);
            return;
        }
        _handedOver[p] = true;
        _checkpointed.Remove(p);
        if (WorstStandardError(point.Merged) is { } worst && (_worstFinished is null || worst > _worstFinished.Value.StdErr))
            _worstFinished = (worst, p);
        _aggregators.Tell(new ReleasePoint(p));
    }

    /// <summary>
    /// The results could not be written: the sweep stops at once with the cause. No stack trace in the log: the
    /// message (the file and "No space left on device") is what the user needs, and the run ends on it.
    /// </summary>
    private void StopOnSinkFailure(Exception e, bool final)
    {
        var reason = $"{e.GetType().Name}: {e.Message}";
        _log.Error("{Event:l}: the results could not be written (final: {Final}): {Reason}; the sweep stops",
            "SnapshotFailed", final, reason);
        _finished = true;
        Timers.CancelAll();
        _completion.TrySetException(new SweepFailedException(WithFailure("the results could not be written: " + e.Message), e));
    }

    /// <summary>The run's own failure first (a journal that cannot be written, a shard that failed), when there is
    /// one: it is the cause; that its results could not be completed is the consequence.</summary>
    private string WithFailure(string problem) =>
        _final?.Failure is null ? problem : $"{_final.Failure} (and {problem})";

    /// <summary>A failure that loses results: logged now, the run fails at the end (after the final snapshot).</summary>
    private void Fail(string reason, Exception e)
    {
        _log.Error(e, "{Event:l}: {Reason}", "SnapshotFailed", reason);
        _sinkFailure ??= reason;
    }

    private void StartCollection(bool final)
    {
        var id = ++_lastCollectionId;
        var asked = new HashSet<int>();
        if (_lastProgress is { } progress)
            foreach (var p in progress.Points)
            {
                if (p.Done || p.Trials == 0 || _handedOver[p.PointIndex]) continue;
                // The final checkpoint takes every point in flight: the sink lists them in an incomplete run's results.
                if (!final && _checkpointed.TryGetValue(p.PointIndex, out var trials) && trials == p.Trials) continue;
                asked.Add(p.PointIndex);
            }
        var collection = new Collection(id, final, asked);
        _collection = collection;
        if (asked.Count == 0)
        {
            PublishCheckpoint(collection);
            return;
        }
        var timeout = final ? FinalTimeout : _settings.SnapshotTimeout;
        Timers.StartSingleTimer(CollectionTimerKey, new CollectionTimedOut(id, timeout), timeout);
        foreach (var p in asked) _aggregators.Tell(new GetPointSnapshot(p, id));
    }

    private void OnTimedOut(CollectionTimedOut timeout)
    {
        var collection = _collection;
        if (collection is null || collection.Id != timeout.CollectionId) return;
        var message = $"{collection.Asked.Count - collection.Answers.Count} of {collection.Asked.Count} points in flight did not answer within {timeout.Timeout}";
        if (!collection.Final)
        {
            _collection = null;
            _log.Warning("{Event:l}: snapshot skipped: {Reason}", "SnapshotSkipped", message);
            return;
        }
        _sinkFailure ??= "final snapshot: " + message;
        // The final checkpoint goes out with the points that answered; the others resume from their last checkpoint.
        _log.Error("{Event:l}: final snapshot incomplete: {Reason}", "SnapshotFailed", message);
        PublishCheckpoint(collection);
    }

    private void OnFinalTimedOut()
    {
        if (_finished) return;
        if (_fetching.Count > 0)
            Fail($"{_fetching.Count} finished points did not send their final state within {FinalTimeout} (first: point {_fetching.Min()})",
                new TimeoutException());
        _fetching.Clear();
        if (!_finalCheckpointDone && _collection is { } collection) PublishCheckpoint(collection);
        TryFinish();
    }

    private void PublishCheckpoint(Collection collection)
    {
        _collection = null;
        Timers.Cancel(CollectionTimerKey);
        var points = new List<PointSnapshot>(collection.Answers.Count);
        try
        {
            foreach (var answer in collection.Answers.Values.OrderBy(a => a.PointIndex))
                if (!_handedOver[answer.PointIndex]) points.Add(Decode(answer));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            _log.Error(e, "{Event:l}: an aggregator sent an unreadable state: {Reason}", "SnapshotFailed", e.Message);
            if (collection.Final) _sinkFailure ??= "final snapshot: unreadable state";
            points.Clear();
        }
        var totals = Totals(collection.Final);
        try
        {
            _sink.Checkpoint(points, totals);
            foreach (var point in points) _checkpointed[point.PointIndex] = point.Trials;
            LogPublished(totals, points);
        }
        catch (Exception e)
        {
            StopOnSinkFailure(e, collection.Final);
            return;
        }
        if (!collection.Final) return;
        _finalCheckpointDone = true;
        TryFinish();
    }

    private void TryFinish()
    {
        if (_final is null || !_finalCheckpointDone || _fetching.Count > 0 || _finished) return;
        _finished = true;
        Timers.CancelAll();
        var totals = Totals(final: true);
        if (_lastProgress is { } progress) Report(progress.Points.Select(p => (p.PointIndex, p.Trials, p.Done)));
        SweepSnapshot snapshot;
        try
        {
            snapshot = _sink.Complete(totals);
        }
        catch (Exception e)
        {
            StopOnSinkFailure(e, final: true);
            return;
        }
        if (_final.Failure is not null) _completion.TrySetException(new SweepFailedException(_sinkFailure is null ? _final.Failure : WithFailure(_sinkFailure)));
        else if (_sinkFailure is not null) _completion.TrySetException(new SweepFailedException(_sinkFailure));
        else _completion.TrySetResult(snapshot);
    }

    private SweepTotals Totals(bool final)
    {
        var done = 0;
        long trials = 0;
        if (_lastProgress is { } progress)
            foreach (var p in progress.Points)
            {
                if (p.Done) done++;
                trials += p.Trials;
            }
        return new SweepTotals(_plan.Points.Length, done, trials, final, Complete: done == _plan.Points.Length);
    }

    private void LogPublished(SweepTotals totals, IReadOnlyList<PointSnapshot> inFlight)
    {
        double? worst = _worstFinished?.StdErr;
        int? worstPoint = _worstFinished?.Point;
        foreach (var point in inFlight)
            if (WorstStandardError(point.Merged) is { } se && se > (worst ?? double.NegativeInfinity))
            {
                worst = se;
                worstPoint = point.PointIndex;
            }
        _log.Info("{Event:l}: {TrialCount} trials, final: {Final}, complete: {Complete}, worst standard error {WorstStdErr} (point {WorstStdErrPoint}), after {ElapsedMs} ms",
            new object?[]
            {
                "SnapshotPublished", totals.Trials, totals.Final, totals.Complete, worst, worstPoint,
                _elapsed.ElapsedMilliseconds,
            });
    }

    private PointSnapshot Decode(PointSnapshotResult answer)
    {
        var layout = _plan.Points[answer.PointIndex].Definition.Layout;
        var merged = PointAccumulator.FromBytes(layout, answer.State.IsDefault ? [] : answer.State.AsSpan());
        return new PointSnapshot(answer.PointIndex, answer.ShardsMerged, answer.Trials, answer.Done, merged) { State = answer.State };
    }

    /// <summary>
    /// The largest standard error of any reported mean of any point with at least 2 trials, and that point: the
    /// quantity the targetStdErr stopping rule compares with its target (every statistic but the condition number,
    /// see <see cref="StoppingRule.IsMet"/>). (null, null) when no point has 2 trials yet. Read by `ntk monitor`.
    /// </summary>
    internal static (double? StdErr, int? PointIndex) WorstStandardError(SweepSnapshot snapshot)
    {
        double? worst = null;
        int? worstPoint = null;
        foreach (var point in snapshot.Points)
            if (WorstStandardError(point.Merged) is { } standardError && standardError > (worst ?? double.NegativeInfinity))
            {
                worst = standardError;
                worstPoint = point.PointIndex;
            }
        return (worst, worstPoint);
    }

    /// <summary>The largest finite standard error of the point's means (condition number excluded), or null.</summary>
    private static double? WorstStandardError(PointAccumulator merged)
    {
        if (merged.Count < 2) return null;
        double? worst = null;
        var layout = merged.Layout;
        for (var i = 0; i < layout.Count; i++)
        {
            if (i == layout.ConditionIndex) continue;
            var standardError = merged.StandardError(i);
            if (double.IsFinite(standardError) && standardError > (worst ?? double.NegativeInfinity)) worst = standardError;
        }
        return worst;
    }

    private void Report(IEnumerable<(int PointIndex, long Trials, bool Done)> points)
    {
        var elapsed = _elapsed.Elapsed;
        _lastReported = elapsed;
        var cap = _plan.Stopping.TrialCap;
        var progress = new SweepProgress(
            points.Select(p => new PointProgress(p.PointIndex, p.Trials, cap, p.Done)).ToImmutableArray(),
            elapsed > TimeSpan.Zero ? _trialsThisRun / elapsed.TotalSeconds : 0.0,
            elapsed);
        try
        {
            _progress.Report(progress);
        }
        catch (Exception e)
        {
            _log.Warning("{Event:l}: the progress observer failed: {Reason}", "ProgressFailed", e.Message);
        }
    }

    private sealed class Collection(long id, bool final, HashSet<int> asked)
    {
        public long Id { get; } = id;
        public bool Final { get; } = final;
        public HashSet<int> Asked { get; } = asked;
        public Dictionary<int, PointSnapshotResult> Answers { get; } = [];
    }

    private sealed record TakeSnapshot : INoSerializationVerificationNeeded
    {
        public static readonly TakeSnapshot Instance = new();
        private TakeSnapshot() { }
    }

    private sealed record RetryFetches : INoSerializationVerificationNeeded
    {
        public static readonly RetryFetches Instance = new();
        private RetryFetches() { }
    }

    private sealed record FinalTimedOut : INoSerializationVerificationNeeded
    {
        public static readonly FinalTimedOut Instance = new();
        private FinalTimedOut() { }
    }

    private sealed record CollectionTimedOut(long CollectionId, TimeSpan Timeout) : INoSerializationVerificationNeeded;
}
