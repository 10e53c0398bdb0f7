using System.Collections.Immutable;
using Ntk.Cluster.Messages;

namespace Ntk.Cluster.Actors;

/// <summary>What the coordinator answers to one <see cref="RequestWork"/>.</summary>
internal enum WorkDecisionKind
{
    /// <summary>Lease <see cref="WorkDecision.Shard"/> under <see cref="WorkDecision.Lease"/>.</summary>
    Lease,
    /// <summary>Every leasable shard is in flight or its point is not open yet: ask again later.</summary>
    NoWorkAvailable,
    /// <summary>Every point is done, or the sweep was stopped.</summary>
    SweepFinished,
}

/// <param name="Reissue">True when the shard had a lease that expired (its worker is slow or dead).</param>
internal readonly record struct WorkDecision(WorkDecisionKind Kind, ShardId Shard, LeaseId Lease, bool Reissue)
{
    public static readonly WorkDecision NoWork = new(WorkDecisionKind.NoWorkAvailable, default, default, false);
    public static readonly WorkDecision Finished = new(WorkDecisionKind.SweepFinished, default, default, false);
}

/// <summary>
/// The coordinator's state machine, free of Akka and of the clock (callers pass <c>now</c>, a monotonic time).
/// Invariants: a point is leased only after its aggregator acknowledged <see cref="RestorePoint"/>; shards are leased
/// in index order from the point's merged prefix, at most <c>window</c> shards ahead of it, lowest point first; a
/// shard that an aggregator accepted (merged or held) is never leased again; a shard whose lease expired is leased
/// again to the next worker that asks; a done point, or a stopped sweep, leases nothing. Points are admitted in
/// order: only points below (first point not done) + <c>pointWindow</c> are opened and leased, so the points in
/// flight — live aggregators, and finished points waiting for an earlier one before results.csv can take them — stay
/// bounded however many points the sweep has, and one lease request costs O(pointWindow), not O(points).
/// </summary>
internal sealed class CoordinatorState
{
    private readonly PointState[] _points;
    private readonly int _maxShardCount;
    private readonly int _window;
    private readonly TimeSpan _leaseTimeout;
    private readonly int _pointWindow;
    private long _lastLeaseId;
    private int _donePoints;
    /// <summary>Every point below it is done.</summary>
    private int _firstNotDone;
    /// <summary>Points 0.._admitted−1 may be opened; <see cref="TakeAdmitted"/> hands out the new ones.</summary>
    private int _admitted;
    private int _handedOut;

    /// <param name="pointCount">Points of the plan.</param>
    /// <param name="maxShardCount">Shards of a point that runs to its trial cap (SimulationPlan.MaxShardCount).</param>
    /// <param name="window">Shards leasable ahead of a point's merged prefix; at least 1.</param>
    /// <param name="leaseTimeout">Positive.</param>
    /// <param name="pointWindow">Points open at once past the first point not done; at least 1 (default: all).</param>
    public CoordinatorState(int pointCount, int maxShardCount, int window, TimeSpan leaseTimeout, int pointWindow = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pointWindow, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(pointCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxShardCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        if (leaseTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(leaseTimeout), "lease timeout must be positive");
        _points = new PointState[pointCount];
        for (var p = 0; p < pointCount; p++) _points[p] = new PointState();
        _maxShardCount = maxShardCount;
        _window = window;
        _leaseTimeout = leaseTimeout;
        _pointWindow = pointWindow;
        Admit();
    }

    public int PointCount => _points.Length;

    /// <summary>True after <see cref="Stop"/>.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>True when every point is open and done.</summary>
    public bool AllPointsDone => _donePoints == _points.Length;

    /// <summary>True when nothing more will be leased: every point is done or the sweep was stopped.</summary>
    public bool IsFinished => IsStopped || AllPointsDone;

    /// <summary>Trials merged since the points were opened (restored trials excluded).</summary>
    public long TrialsThisRun
    {
        get
        {
            long total = 0;
            foreach (var point in _points) total += point.MergedTrials - point.RestoredTrials;
            return total;
        }
    }

    public bool IsOpen(int pointIndex) => _points[pointIndex].IsOpen;

    public bool IsDone(int pointIndex) => _points[pointIndex].IsDone;

    public int ShardsMerged(int pointIndex) => _points[pointIndex].ShardsMerged;

    public long MergedTrials(int pointIndex) => _points[pointIndex].MergedTrials;

    /// <summary>Admitted points whose aggregator has not acknowledged <see cref="RestorePoint"/> yet.</summary>
    public IEnumerable<int> UnopenedPoints()
    {
        Admit();
        for (var p = _firstNotDone; p < _admitted; p++)
            if (!_points[p].IsOpen) yield return p;
    }

    /// <summary>True when every point was admitted and acknowledged (nothing is left to open).</summary>
    public bool AllOpened => _admitted == _points.Length && !UnopenedPoints().Any();

    /// <summary>Points admitted since the last call that are not open yet: the ones to send <see cref="RestorePoint"/>
    /// to now (the others are re-sent by the retry timer through <see cref="UnopenedPoints"/>).</summary>
    public IReadOnlyList<int> TakeAdmitted()
    {
        Admit();
        var admitted = new List<int>();
        for (var p = Math.Max(_handedOut, _firstNotDone); p < _admitted; p++)
            if (!_points[p].IsOpen) admitted.Add(p);
        _handedOut = _admitted;
        return admitted;
    }

    /// <summary>
    /// A previous run wrote this point's final state (resume): it is done with <paramref name="shardsMerged"/> shards and
    /// <paramref name="mergedTrials"/> trials, none of them this run's, and is never opened.
    /// </summary>
    public void PointFinishedBefore(int pointIndex, int shardsMerged, long mergedTrials)
    {
        var point = _points[pointIndex];
        if (point.IsOpen) return;
        point.IsOpen = true;
        point.RestoredTrials = mergedTrials;
        Advance(point, shardsMerged, mergedTrials, pointDone: true);
    }

    /// <summary>Moves the first-not-done cursor past done points and admits points up to the window.</summary>
    private void Admit()
    {
        while (_firstNotDone < _points.Length && _points[_firstNotDone].IsDone) _firstNotDone++;
        var limit = (int)Math.Min(_points.Length, (long)_firstNotDone + _pointWindow);
        if (limit > _admitted) _admitted = limit;
    }

    /// <summary>Per point trials merged and done flags, in point order.</summary>
    public ImmutableArray<PointTrials> Progress()
    {
        var builder = ImmutableArray.CreateBuilder<PointTrials>(_points.Length);
        for (var p = 0; p < _points.Length; p++) builder.Add(new PointTrials(p, _points[p].MergedTrials, _points[p].IsDone));
        return builder.MoveToImmutable();
    }

    /// <summary>The aggregator of <paramref name="pointIndex"/> answered <see cref="RestorePoint"/>, holding
    /// <paramref name="heldShards"/> past its prefix (recovered from its journal). Returns true when this made the
    /// point done (its restored state already meets the stopping rule).</summary>
    public bool PointRestored(int pointIndex, int shardsMerged, long mergedTrials, bool pointDone, IEnumerable<int>? heldShards = null)
    {
        var point = _points[pointIndex];
        if (!point.IsOpen)
        {
            point.IsOpen = true;
            point.RestoredTrials = mergedTrials;
        }
        var done = Advance(point, shardsMerged, mergedTrials, pointDone);
        if (!point.IsDone && heldShards is not null)
            foreach (var s in heldShards)
                if (s >= point.ShardsMerged && s < _maxShardCount)
                {
                    point.Held.Add(s);
                    point.Leases.Remove(s);
                }
        return done;
    }

    /// <summary>Answers an idle worker at monotonic time <paramref name="now"/>.</summary>
    public WorkDecision RequestWork(WorkerId worker, TimeSpan now)
    {
        if (IsFinished) return WorkDecision.Finished;
        Admit();
        for (var p = _firstNotDone; p < _admitted; p++)
        {
            var point = _points[p];
            if (!point.IsOpen || point.IsDone) continue;
            var end = (int)Math.Min((long)point.ShardsMerged + _window, _maxShardCount);
            for (var s = point.ShardsMerged; s < end; s++)
            {
                if (point.Held.Contains(s)) continue;
                var reissue = false;
                if (point.Leases.TryGetValue(s, out var lease))
                {
                    if (lease.ExpiresAt > now) continue;
                    reissue = true;
                }
                var id = new LeaseId(++_lastLeaseId);
                point.Leases[s] = new Lease(id, worker, now, now + _leaseTimeout);
                return new WorkDecision(WorkDecisionKind.Lease, new ShardId(p, s), id, reissue);
            }
        }
        return WorkDecision.NoWork;
    }

    /// <summary>The worker holding <paramref name="lease"/> of <paramref name="shard"/> and when it was leased; null
    /// when that lease is no longer current (re-issued, released, or the point is done).</summary>
    public (WorkerId Worker, TimeSpan LeasedAt)? LeaseHolder(ShardId shard, LeaseId lease) =>
        _points[shard.PointIndex].LeaseCount > 0 && _points[shard.PointIndex].Leases.TryGetValue(shard.ShardIndex, out var current) && current.Id == lease
            ? (current.Worker, current.LeasedAt)
            : null;

    /// <summary>Points done so far.</summary>
    public int PointsDone => _donePoints;

    /// <summary>Shards accepted past their point's merged prefix (held by the aggregators until the gap fills).</summary>
    public int HeldShards
    {
        get
        {
            // Only points in the window can hold shards (points before it are done, points past it are not open):
            // O(pointWindow) per call, not O(points) — it is published after every merged shard.
            var held = 0;
            for (var p = _firstNotDone; p < _admitted; p++) held += _points[p].HeldCount;
            return held;
        }
    }

    /// <summary>The aggregator accepted <paramref name="shard"/> (merged or held). Returns true when this report made
    /// the point done.</summary>
    public bool ShardMerged(ShardId shard, int shardsMerged, long mergedTrials, bool pointDone)
    {
        var point = _points[shard.PointIndex];
        if (point.LeaseCount > 0) point.Leases.Remove(shard.ShardIndex);
        if (!point.IsDone && shard.ShardIndex >= shardsMerged) point.Held.Add(shard.ShardIndex);
        return Advance(point, shardsMerged, mergedTrials, pointDone);
    }

    /// <summary>The aggregator dropped the result of <paramref name="shard"/> sent under <paramref name="lease"/>.
    /// Its lease is released (so an invalid result is leased again at once); returns true when the report made the
    /// point done.</summary>
    public bool ShardDiscarded(ShardId shard, LeaseId lease, int shardsMerged, long mergedTrials, bool pointDone)
    {
        var point = _points[shard.PointIndex];
        if (point.LeaseCount > 0 && point.Leases.TryGetValue(shard.ShardIndex, out var current) && current.Id == lease)
            point.Leases.Remove(shard.ShardIndex);
        return Advance(point, shardsMerged, mergedTrials, pointDone);
    }

    /// <summary>The worker will not compute <paramref name="lease"/>: the shard may be leased again at once (unless a
    /// newer lease replaced it).</summary>
    public void LeaseDeclined(ShardId shard, LeaseId lease)
    {
        var point = _points[shard.PointIndex];
        if (point.LeaseCount > 0 && point.Leases.TryGetValue(shard.ShardIndex, out var current) && current.Id == lease)
            point.Leases.Remove(shard.ShardIndex);
    }

    /// <summary>
    /// Cluster mode: every unexpired lease held by a worker matching <paramref name="isLost"/> (its node was downed or
    /// removed) expires at <paramref name="now"/>, so the next worker that asks gets the shard without waiting for the
    /// lease timeout. A result from the lost worker that still arrives is merged or discarded as usual. Returns the
    /// number of leases expired.
    /// </summary>
    public int ExpireLeases(Func<WorkerId, bool> isLost, TimeSpan now)
    {
        var expired = 0;
        foreach (var point in _points)
        {
            if (point.LeaseCount == 0) continue;
            foreach (var (shard, lease) in point.Leases.ToList())
                if (lease.ExpiresAt > now && isLost(lease.Worker))
                {
                    point.Leases[shard] = lease with { ExpiresAt = now };
                    expired++;
                }
        }
        return expired;
    }

    /// <summary>Leases nothing more; results in flight are still recorded.</summary>
    public void Stop() => IsStopped = true;

    private bool Advance(PointState point, int shardsMerged, long mergedTrials, bool pointDone)
    {
        if (point.IsDone) return false;
        // Reports from one aggregator arrive in order, but take the maximum anyway: the prefix only grows.
        if (shardsMerged > point.ShardsMerged)
        {
            point.ShardsMerged = shardsMerged;
            point.MergedTrials = mergedTrials;
            if (point.HeldCount > 0) point.Held.RemoveWhere(s => s < shardsMerged);
            if (point.LeaseCount > 0)
                foreach (var s in point.Leases.Keys.Where(s => s < shardsMerged).ToList()) point.Leases.Remove(s);
        }
        if (!pointDone) return false;
        point.MergedTrials = Math.Max(point.MergedTrials, mergedTrials);
        point.IsDone = true;
        point.Release();
        _donePoints++;
        return true;
    }

    private sealed record Lease(LeaseId Id, WorkerId Worker, TimeSpan LeasedAt, TimeSpan ExpiresAt);

    /// <summary>
    /// One point's lease book. The held-shard set and the lease table exist only while the point is in flight (created
    /// on first use, dropped when it is done): a sweep of 100,000 points keeps ~50 bytes per point, not two empty
    /// collections each (issue 10).
    /// </summary>
    private sealed class PointState
    {
        private HashSet<int>? _held;
        private Dictionary<int, Lease>? _leases;
        public bool IsOpen;
        public bool IsDone;
        public int ShardsMerged;
        public long MergedTrials;
        public long RestoredTrials;
        /// <summary>Shards at or past the prefix that the aggregator holds until the shards before them arrive.</summary>
        public HashSet<int> Held => _held ??= [];
        /// <summary>Shard index → its current lease (possibly expired).</summary>
        public Dictionary<int, Lease> Leases => _leases ??= [];
        public int HeldCount => _held?.Count ?? 0;
        public int LeaseCount => _leases?.Count ?? 0;

        /// <summary>The point is done: nothing is leased or held for it again.</summary>
        public void Release()
        {
            _held = null;
            _leases = null;
        }
    }
}
