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
/// Every snapshot interval, and once at the end, asks every point's aggregator for its merged state and hands the
/// whole sweep to the <see cref="ISweepResultSink"/>; forwards the coordinator's progress to the
/// <see cref="IProgressObserver"/>. One collection at a time: the final one replaces an intermediate one in progress.
/// A sink exception (a full disk, say) fails the run at once, intermediate snapshot or final: the results written
/// before it stay as they were, and sampling on without being able to save it would only waste the work. Completes
/// <c>completion</c> after the final snapshot was published (with the snapshot, or with
/// <see cref="SweepFailedException"/>), or at the first sink failure. Runs where the sink is: in cluster mode, on the
/// coordinator node.
/// </summary>
internal sealed class ResultWriterActor : ReceiveActor, IWithTimers
{
    private const string SnapshotTimerKey = "snapshot";
    private const string CollectionTimerKey = "collection";
    private const string AskAgainTimerKey = "ask-again";
    private static readonly TimeSpan FailingSnapshotTimeout = TimeSpan.FromSeconds(10);

    private readonly SimulationPlan _plan;
    private readonly IActorRef _aggregators;
    private readonly ISweepResultSink _sink;
    private readonly IProgressObserver _progress;
    private readonly SweepActorSettings _settings;
    private readonly TaskCompletionSource<SweepSnapshot> _completion;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private Collection? _collection;
    private long _lastCollectionId;
    private long _trialsThisRun;
    private bool _finalStarted;

    public ResultWriterActor(SimulationPlan plan, IActorRef aggregators, ISweepResultSink sink, IProgressObserver progress,
        SweepActorSettings settings, TaskCompletionSource<SweepSnapshot> completion)
    {
        _plan = plan;
        _aggregators = aggregators;
        _sink = sink;
        _progress = progress;
        _settings = settings;
        _completion = completion;

        Receive<TakeSnapshot>(_ =>
        {
            if (_collection is null && !_finalStarted) StartCollection(final: false, failure: null);
        });
        Receive<PublishFinalSnapshot>(m =>
        {
            if (_finalStarted) return;
            _finalStarted = true;
            Timers.Cancel(SnapshotTimerKey);
            StartCollection(final: true, m.Failure);
        });
        Receive<PointSnapshotResult>(OnPointSnapshot);
        var chunks = new Serialization.ChunkInbox(Context.System, Context.GetLogger(), "result writer");
        Receive<MessageChunk>(chunk => chunks.Receive(chunk, Sender, Self));
        Receive<CollectionTimedOut>(OnTimedOut);
        Receive<AskAgain>(_ => AskMissing());
        Receive<SweepProgressReport>(m =>
        {
            _trialsThisRun = m.TrialsThisRun;
            Report(m.Points.Select(p => (p.PointIndex, p.Trials, p.Done)));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(SimulationPlan plan, IActorRef aggregators, ISweepResultSink sink, IProgressObserver progress,
        SweepActorSettings settings, TaskCompletionSource<SweepSnapshot> completion) =>
        Akka.Actor.Props.Create(() => new ResultWriterActor(plan, aggregators, sink, progress, settings, completion));

    protected override void PreStart()
    {
        if (SweepActorSettings.IsOn(_settings.SnapshotInterval))
            Timers.StartPeriodicTimer(SnapshotTimerKey, TakeSnapshot.Instance, _settings.SnapshotInterval);
    }

    protected override void PostStop()
    {
        _completion.TrySetException(new SweepFailedException("the result writer stopped before the final snapshot was published"));
    }

    private void StartCollection(bool final, string? failure)
    {
        var id = ++_lastCollectionId;
        _collection = new Collection(id, final, failure, new PointSnapshotResult?[_plan.Points.Length]);
        // A failing run does not wait long for its last snapshot: an aggregator whose journal failed may not answer.
        var timeout = failure is null || _settings.SnapshotTimeout < FailingSnapshotTimeout ? _settings.SnapshotTimeout : FailingSnapshotTimeout;
        Timers.StartSingleTimer(CollectionTimerKey, new CollectionTimedOut(id, timeout), timeout);
        for (var p = 0; p < _plan.Points.Length; p++) _aggregators.Tell(new GetPointSnapshot(p, id));
        if (_plan.Points.Length == 0) Publish(_collection);
        else if (SweepActorSettings.IsOn(_settings.RestoreRetryInterval))
            Timers.StartPeriodicTimer(AskAgainTimerKey, AskAgain.Instance, _settings.RestoreRetryInterval);
    }

    /// <summary>
    /// Asks the points that have not answered the open collection again. A question sent to an aggregator node that
    /// died is lost with it; once sharding has moved the point to another aggregator node (which recovers it from the
    /// journal) the next question reaches it. Answers are keyed by point, so a second answer changes nothing.
    /// </summary>
    private void AskMissing()
    {
        var collection = _collection;
        if (collection is null)
        {
            Timers.Cancel(AskAgainTimerKey);
            return;
        }
        for (var p = 0; p < collection.Answers.Length; p++)
            if (collection.Answers[p] is null) _aggregators.Tell(new GetPointSnapshot(p, collection.Id));
    }

    private void OnPointSnapshot(PointSnapshotResult answer)
    {
        var collection = _collection;
        if (collection is null || answer.CollectionId != collection.Id) return;
        if (answer.PointIndex < 0 || answer.PointIndex >= collection.Answers.Length) return;
        if (collection.Answers[answer.PointIndex] is null) collection.Missing--;
        collection.Answers[answer.PointIndex] = answer;
        if (collection.Missing == 0) Publish(collection);
    }

    private void OnTimedOut(CollectionTimedOut timeout)
    {
        var collection = _collection;
        if (collection is null || collection.Id != timeout.CollectionId) return;
        _collection = null;
        Timers.Cancel(AskAgainTimerKey);
        var message = $"{collection.Missing} of {collection.Answers.Length} points did not answer within {timeout.Timeout}";
        if (!collection.Final)
        {
            _log.Warning("{Event:l}: snapshot skipped: {Reason}", "SnapshotSkipped", message);
            return;
        }
        _log.Error("{Event:l}: final snapshot failed: {Reason}", "SnapshotFailed", message);
        _completion.TrySetException(new SweepFailedException(WithFailure(collection, "final snapshot: " + message)));
    }

    private void Publish(Collection collection)
    {
        _collection = null;
        Timers.Cancel(CollectionTimerKey);
        Timers.Cancel(AskAgainTimerKey);
        SweepSnapshot snapshot;
        try
        {
            snapshot = BuildSnapshot(collection);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            _log.Error(e, "{Event:l}: an aggregator sent an unreadable state: {Reason}", "SnapshotFailed", e.Message);
            if (collection.Final) _completion.TrySetException(new SweepFailedException(WithFailure(collection, "final snapshot: unreadable state"), e));
            return;
        }
        var trials = snapshot.Points.Sum(p => p.Trials);
        if (collection.Final) Report(snapshot.Points.Select(p => (p.PointIndex, p.Trials, p.Done)));
        try
        {
            _sink.Publish(snapshot);
        }
        catch (Exception e)
        {
            // No stack trace: the message (the file and "No space left on device") is what the user needs, and the
            // run ends on it.
            var reason = $"{e.GetType().Name}: {e.Message}";
            _log.Error("{Event:l}: the results could not be written (final: {Final}): {Reason}; the sweep stops",
                "SnapshotFailed", collection.Final, reason);
            _finalStarted = true;
            Timers.CancelAll();
            _completion.TrySetException(new SweepFailedException(
                WithFailure(collection, "the results could not be written: " + e.Message), e));
            return;
        }
        var (worstStdErr, worstPoint) = WorstStandardError(snapshot);
        _log.Info("{Event:l}: {TrialCount} trials, final: {Final}, complete: {Complete}, worst standard error {WorstStdErr} (point {WorstStdErrPoint}), after {ElapsedMs} ms",
            new object?[]
            {
                "SnapshotPublished", trials, snapshot.Final, snapshot.Complete, worstStdErr, worstPoint,
                _elapsed.ElapsedMilliseconds,
            });
        if (!collection.Final) return;
        if (collection.Failure is not null) _completion.TrySetException(new SweepFailedException(collection.Failure));
        else _completion.TrySetResult(snapshot);
    }

    /// <summary>The run's own failure first (a journal that cannot be written, a shard that failed), when there is
    /// one: it is the cause; that its final snapshot failed too is the consequence.</summary>
    private static string WithFailure(Collection collection, string problem) =>
        collection.Failure is null ? problem : $"{collection.Failure} (and {problem})";

    private SweepSnapshot BuildSnapshot(Collection collection)
    {
        var points = ImmutableArray.CreateBuilder<PointSnapshot>(collection.Answers.Length);
        for (var p = 0; p < collection.Answers.Length; p++)
        {
            var answer = collection.Answers[p]!;
            var layout = _plan.Points[p].Definition.Layout;
            var merged = PointAccumulator.FromBytes(layout, answer.State.IsDefault ? [] : answer.State.AsSpan());
            points.Add(new PointSnapshot(p, answer.ShardsMerged, answer.Trials, answer.Done, merged));
        }
        var built = points.MoveToImmutable();
        return new SweepSnapshot(_plan, built, collection.Final, Complete: built.All(p => p.Done));
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
        {
            var merged = point.Merged;
            if (merged.Count < 2) continue;
            var layout = merged.Layout;
            for (var i = 0; i < layout.Count; i++)
            {
                if (i == layout.ConditionIndex) continue;
                var standardError = merged.StandardError(i);
                if (!double.IsFinite(standardError) || standardError <= (worst ?? double.NegativeInfinity)) continue;
                worst = standardError;
                worstPoint = point.PointIndex;
            }
        }
        return (worst, worstPoint);
    }

    private void Report(IEnumerable<(int PointIndex, long Trials, bool Done)> points)
    {
        var elapsed = _elapsed.Elapsed;
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

    private sealed class Collection(long id, bool final, string? failure, PointSnapshotResult?[] answers)
    {
        public long Id { get; } = id;
        public bool Final { get; } = final;
        public string? Failure { get; } = failure;
        public PointSnapshotResult?[] Answers { get; } = answers;
        public int Missing { get; set; } = answers.Length;
    }

    private sealed record TakeSnapshot : INoSerializationVerificationNeeded
    {
        public static readonly TakeSnapshot Instance = new();
        private TakeSnapshot() { }
    }

    private sealed record AskAgain : INoSerializationVerificationNeeded
    {
        public static readonly AskAgain Instance = new();
        private AskAgain() { }
    }

    private sealed record CollectionTimedOut(long CollectionId, TimeSpan Timeout) : INoSerializationVerificationNeeded;
}
