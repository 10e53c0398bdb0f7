using System.Collections.Immutable;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Monitor;

/// <summary>
/// The incremental model behind `ntk monitor`: fed the lines of one or more Serilog compact-JSON logs (one event per
/// line, each with {NodeId} and {Role}), it keeps what the table shows. Pure: no I/O and no clock; rates and ages are
/// computed at the moment given to <see cref="View"/>.
/// <para>
/// Invariants callers rely on: a shard (PointIndex, ShardIndex) counts toward its point's trials once, however often
/// it was computed (re-issued, resumed run appending to the same log); lines may come in any order across files (state
/// that has a "latest" keeps the one with the latest timestamp); a line that is not a CLEF event (a partial last line,
/// console text) is counted and otherwise ignored, and so is an event it does not know.
/// </para>
/// <para>
/// Events read, by their {Event} name (<see cref="LogEvents"/>): SweepStarted (PointCount, ShardCount,
/// ShardTrials), ShardLeased, ShardCompleted (TrialCount, ElapsedMs, WorkerId, PointIndex, ShardIndex), ShardAccepted (the
/// coordinator's record of the same, by WorkerId HOST:PORT/worker-N: a row for a worker node whose own log is not read), ShardFailed,
/// ShardReissued, ShardDiscarded (Reason), PointCompleted / PointDone (TrialCount), SnapshotPublished (TrialCount, WorstStdErr,
/// WorstStdErrPoint), SweepFinished (Outcome), SweepFailing, SnapshotFailed, MemberUp / MemberReachable /
/// MemberUnreachable / MemberDowned / MemberLeft / MemberRemoved (MemberAddress, Roles); and the commands' own RunStarted,
/// RunEnded (Outcome), RunFailed and ProgressReported (TrialCount, PointsDone, EtaSeconds), which a log written before
/// they carried {Event} names by message template only (<see cref="NameOf"/>). On every event: NodeId, Role, and ActorPath
/// (Akka's Serilog adapter), whose address ties a node to its cluster member.
/// </para>
/// </summary>
internal sealed class MonitorState
{
    /// <summary>The window of the "recent" rates: long enough to span a few shards, short enough to show a stall.</summary>
    public static readonly TimeSpan DefaultRecentWindow = TimeSpan.FromSeconds(30);

    private const int RecentFailuresKept = 8;
    // Completed-shard intervals kept per node before old ones (outside the window) are dropped.
    private const int RecentShardsBeforePruning = 256;

    private readonly TimeSpan _window;
    private readonly Dictionary<int, PointTrack> _points = [];
    private readonly Dictionary<string, NodeTrack> _nodes = new(StringComparer.Ordinal);
    // Worker nodes as the coordinator's ShardAccepted events report them, by HOST:PORT: shown for nodes whose own
    // log is not read (workers on other machines).
    private readonly Dictionary<string, NodeTrack> _reported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberTrack> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Point, int Shard), List<Lease>> _inFlight = [];
    private readonly List<ReissueTrack> _reissued = [];
    private readonly Dictionary<(int Point, int Shard), List<ReissueTrack>> _reissuedByShard = [];
    private readonly Queue<FailureView> _recentFailures = new();
    private readonly SortedDictionary<string, int> _discarded = new(StringComparer.Ordinal);

    private string? _sweepName;
    private int? _pointCount;
    private int? _shardCount;
    private long? _shardTrials;
    private int _largestShardIndex = -1;
    private long _largestShardTrials;
    private DateTimeOffset? _lastStart;
    private DateTimeOffset? _lastFinish;
    private string? _outcome;
    private (DateTimeOffset At, long Trials)? _mergedTotal;
    private (DateTimeOffset At, double? StdErr, int? Point)? _worst;
    private int _progressPointsDone;

    /// <summary>The ETA of the latest progress event (the run's own cost-weighted estimate) and when it was logged.</summary>
    private (DateTimeOffset At, double Seconds)? _loggedEta;
    private int _failures;
    private int _otherErrors;
    private int _warnings;
    private long _events;
    private long _unreadable;
    private DateTimeOffset? _latest;

    public MonitorState() : this(DefaultRecentWindow)
    {
    }

    /// <param name="recentWindow">Window of the recent per-node rates (positive).</param>
    public MonitorState(TimeSpan recentWindow)
    {
        if (recentWindow <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(recentWindow), recentWindow, "the window must be positive");
        _window = recentWindow;
    }

    /// <summary>The latest event timestamp seen, or null before the first event.</summary>
    public DateTimeOffset? LatestTimestamp => _latest;

    /// <summary>True when the latest start event (SweepStarted, or `ntk run`'s "Sweep … started") is followed by a
    /// finish event (SweepFinished, or `ntk run`'s "Sweep … completed/interrupted/failed").</summary>
    public bool IsFinished => _lastFinish is { } finish && (_lastStart is not { } start || finish >= start);

    /// <summary>Complete CLEF events applied so far.</summary>
    public long EventsRead => _events;

    /// <summary>
    /// Applies one log line. <paramref name="source"/> names the file it came from: the node of an event that carries
    /// no {NodeId}. Returns false (and counts the line) when it is not a CLEF event; blank lines are skipped silently.
    /// </summary>
    public bool Apply(string line, string source = "")
    {
        if (!ClefEvent.TryParse(line, out var document, out var clef))
        {
            if (!string.IsNullOrWhiteSpace(line)) _unreadable++;
            return false;
        }
        using (document)
        {
            Apply(clef, source);
        }
        return true;
    }

    private void Apply(ClefEvent e, string source)
    {
        _events++;
        var at = e.Timestamp;
        if (_latest is not { } latest || at > latest) _latest = at;
        var nodeId = e.String("NodeId") ?? (source.Length > 0 ? source : "?");
        var node = Node(nodeId);
        if (at > node.LastSeen) node.LastSeen = at;
        node.Role ??= e.String("Role");
        if (node.Address is null && MemberAddressOf(e.String("ActorPath")) is { } address) node.Address = address;
        if (e.String("SweepName") is { } sweepName) _sweepName = sweepName;
        if (e.Int("PointCount") is > 0 and var pointCount) _pointCount = pointCount;

        var name = NameOf(e);
        CountLevel(e, name, node);
        switch (name)
        {
            case LogEvents.SweepStarted:
                Later(ref _lastStart, at);
                // A new coordinator (a resumed run appending to the same log) leases afresh: older leases are void.
                foreach (var shard in _inFlight.Keys.ToList())
                    if (_inFlight[shard].RemoveAll(l => l.At < at) > 0 && _inFlight[shard].Count == 0) _inFlight.Remove(shard);
                _shardCount = e.Int("ShardCount") ?? _shardCount;
                _shardTrials = e.Long("ShardTrials") ?? _shardTrials;
                break;
            case LogEvents.ShardLeased:
                OnLeased(e, node);
                break;
            case LogEvents.ShardCompleted:
                OnCompleted(e, node);
                break;
            case LogEvents.ShardAccepted:
                // The coordinator's record of a shard and the worker that computed it (WorkerId = HOST:PORT/worker-N).
                if (e.String("WorkerId") is { } acceptedFrom && acceptedFrom.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash)
                {
                    var workerNode = acceptedFrom[..slash];
                    if (!_reported.TryGetValue(workerNode, out var reported))
                        _reported[workerNode] = reported = new NodeTrack(workerNode) { Role = "worker" };
                    if (at > reported.LastSeen) reported.LastSeen = at;
                    OnCompleted(e, reported);
                }
                break;
            case LogEvents.ShardFailed:
                if (Shard(e) is { } failed) ReleaseLease(failed, node.NodeId, e.String("WorkerId"));
                break;
            case LogEvents.ShardReissued:
                OnReissued(e);
                break;
            case LogEvents.ShardDiscarded:
                // A late or duplicate result (its shard was merged from another lease, or its point was done).
                var reason = e.String("Reason") ?? "unknown";
                _discarded[reason] = _discarded.GetValueOrDefault(reason) + 1;
                break;
            case LogEvents.PointCompleted:
            case LogEvents.PointDone:
                if (e.Int("PointIndex") is { } donePoint)
                {
                    var point = Point(donePoint);
                    point.Done = true;
                    point.FinalTrials = e.Long("TrialCount") ?? point.FinalTrials;
                }
                break;
            case LogEvents.SnapshotPublished:
                if (e.Long("TrialCount") is { } merged) MergedTotal(at, merged);
                if (HasWorstStdErr(e) && (_worst is not { } previous || at >= previous.At))
                    _worst = (at, e.Double("WorstStdErr"), e.Int("WorstStdErrPoint"));
                break;
            case LogEvents.SweepFinished:
            case LogEvents.RunEnded:
                Later(ref _lastFinish, at);
                _outcome = e.String("Outcome") ?? _outcome;
                break;
            case LogEvents.MemberUp:
            case LogEvents.MemberReachable:
                OnMember(e, "Up");
                break;
            case LogEvents.MemberUnreachable:
                OnMember(e, "Unreachable");
                break;
            case LogEvents.MemberDowned:
                OnMember(e, "Downed");
                break;
            case LogEvents.MemberLeft:
                OnMember(e, "Left");
                break;
            case LogEvents.MemberRemoved:
                OnMember(e, "Removed");
                break;
            case LogEvents.ProgressReported:
                OnProgress(e, at);
                break;
            case LogEvents.RunStarted:
                Later(ref _lastStart, at);
                break;
            case LogEvents.RunFailed:
                // The run (or coordinator) process gave up on an exception, possibly before SweepFinished.
                Later(ref _lastFinish, at);
                _outcome = "failed";
                break;
        }
    }

    // SnapshotPublished carries WorstStdErr (possibly null) since the monitor was added; older logs lack it.
    private static bool HasWorstStdErr(ClefEvent e) => e.Template.Contains("{WorstStdErr", StringComparison.Ordinal);

    /// <summary>A progress event's ETA in seconds: {EtaSeconds}, else {Eta} written as a TimeSpan ("00:01:05"); null when unknown.</summary>
    private static double? LoggedEta(ClefEvent e)
    {
        if (e.Double("EtaSeconds") is { } seconds && seconds >= 0 && double.IsFinite(seconds)) return seconds;
        return e.String("Eta") is { } text && TimeSpan.TryParseExact(text, "c", System.Globalization.CultureInfo.InvariantCulture, out var eta)
            ? eta.TotalSeconds
            : null;
    }

    /// <summary>
    /// The name of an event: its {Event} property, else, for the command's own lines in a log written before they
    /// carried one, the name their message template stands for; null for anything else (Akka's own events).
    /// </summary>
    internal static string? NameOf(ClefEvent e)
    {
        if (e.Name is { } name) return name;
        var template = e.Template;
        if (template.StartsWith("Progress {PercentDone}", StringComparison.Ordinal)) return LogEvents.ProgressReported;
        if (template.StartsWith("Sweep {SweepName} started", StringComparison.Ordinal)) return LogEvents.RunStarted;
        if (template.StartsWith("Sweep {SweepName} {Outcome}", StringComparison.Ordinal)) return LogEvents.RunEnded;
        if (template.StartsWith("Sweep {SweepName} failed", StringComparison.Ordinal)) return LogEvents.RunFailed;
        return null;
    }

    private void OnProgress(ClefEvent e, DateTimeOffset at)
    {
        if (e.Long("TrialCount") is { } trials) MergedTotal(at, trials);
        if (e.Int("PointsDone") is { } done) _progressPointsDone = Math.Max(_progressPointsDone, done);
        if (_loggedEta is not { } previous || at >= previous.At) _loggedEta = LoggedEta(e) is { } seconds ? (at, seconds) : null;
    }

    private void CountLevel(ClefEvent e, string? name, NodeTrack node)
    {
        var sweepFailure = name is LogEvents.SweepFailing or LogEvents.SnapshotFailed;
        if (e.Level == ClefLevel.Warning && !sweepFailure)
        {
            _warnings++;
            return;
        }
        if (e.Level < ClefLevel.Error && !sweepFailure) return;
        // The project's own events name themselves; errors without {Event} come from Akka (e.g. a transport error
        // when a node dies) or from `ntk run` ("Sweep … failed").
        var ours = name is not null;
        if (ours) _failures++;
        else _otherErrors++;
        node.Errors++;
        _recentFailures.Enqueue(new FailureView(e.Timestamp, node.NodeId, e.Level, name, e.RenderMessage()));
        while (_recentFailures.Count > RecentFailuresKept) _recentFailures.Dequeue();
    }

    private void OnLeased(ClefEvent e, NodeTrack node)
    {
        var worker = e.String("WorkerId");
        if (worker is not null) node.Workers.Add(worker);
        node.FirstActive = Earlier(node.FirstActive, e.Timestamp);
        if (Shard(e) is not { } shard) return;
        NoteShardSize(shard.Shard, e.Long("TrialCount"));
        if (!_inFlight.TryGetValue(shard, out var leases)) _inFlight[shard] = leases = [];
        if (!leases.Exists(l => l.NodeId == node.NodeId && l.WorkerId == worker))
            leases.Add(new Lease(node.NodeId, worker, e.Timestamp));
    }

    private void OnCompleted(ClefEvent e, NodeTrack node)
    {
        var worker = e.String("WorkerId");
        if (worker is not null) node.Workers.Add(worker);
        var trials = Math.Max(0, e.Long("TrialCount") ?? 0);
        var elapsed = TimeSpan.FromMilliseconds(Math.Max(0, e.Double("ElapsedMs") ?? 0));
        var at = e.Timestamp;
        node.ShardsCompleted++;
        node.Trials += trials;
        node.FirstActive = Earlier(node.FirstActive, at - elapsed);
        if (node.LastCompleted is not { } last || at > last) node.LastCompleted = at;
        node.Recent.Add(new CompletedShard(at, elapsed, trials));
        if (node.Recent.Count > node.PruneAbove && _latest is { } latest)
        {
            var horizon = latest - _window;
            node.Recent.RemoveAll(s => s.End < horizon);
            // Amortised: the list may hold a window's worth of shards, so prune again only once it has doubled.
            node.PruneAbove = Math.Max(RecentShardsBeforePruning, 2 * node.Recent.Count);
        }

        if (Shard(e) is not { } shard) return;
        NoteShardSize(shard.Shard, trials);
        var point = Point(shard.Point);
        if (point.Shards.Add(shard.Shard)) point.ShardTrials += trials;
        ReleaseLease(shard, node.NodeId, worker);
        if (_reissuedByShard.TryGetValue(shard, out var reissues))
            foreach (var reissue in reissues)
                if (reissue.CompletedBy is null && at >= reissue.At)
                    reissue.CompletedBy = Holder(node.NodeId, worker);
    }

    private void OnReissued(ClefEvent e)
    {
        if (Shard(e) is not { } shard) return;
        var at = e.Timestamp;
        var reissue = new ReissueTrack(at, shard.Point, shard.Shard, e.String("WorkerId"));
        // The leases granted before the re-issue are the expired ones: their workers are slow or gone.
        if (_inFlight.TryGetValue(shard, out var leases))
        {
            var expired = leases.Where(l => l.At <= at).ToList();
            foreach (var lease in expired)
            {
                Node(lease.NodeId).LeasesExpired++;
                leases.Remove(lease);
            }
            if (leases.Count == 0) _inFlight.Remove(shard);
            if (expired.Count > 0) reissue.HeldBy = string.Join(", ", expired.Select(l => Holder(l.NodeId, l.WorkerId)));
        }
        _reissued.Add(reissue);
        if (!_reissuedByShard.TryGetValue(shard, out var list)) _reissuedByShard[shard] = list = [];
        list.Add(reissue);
    }

    private void OnMember(ClefEvent e, string status)
    {
        var address = e.String("MemberAddress");
        if (address is null) return;
        if (!_members.TryGetValue(address, out var member))
            _members[address] = member = new MemberTrack { Since = DateTimeOffset.MinValue };
        if (status == "Downed") member.WasDowned = true;
        if (e.Timestamp < member.Since) return;
        member.Since = e.Timestamp;
        member.Status = status;
        member.Roles = e.String("Roles") ?? member.Roles;
    }

    private void ReleaseLease((int Point, int Shard) shard, string nodeId, string? worker)
    {
        if (!_inFlight.TryGetValue(shard, out var leases)) return;
        leases.RemoveAll(l => l.NodeId == nodeId && l.WorkerId == worker);
        if (leases.Count == 0) _inFlight.Remove(shard);
    }

    private void NoteShardSize(int shardIndex, long? trials)
    {
        if (trials is not { } count || shardIndex < _largestShardIndex) return;
        _largestShardIndex = shardIndex;
        _largestShardTrials = count;
    }

    private void MergedTotal(DateTimeOffset at, long trials)
    {
        if (_mergedTotal is not { } previous || at >= previous.At) _mergedTotal = (at, trials);
    }

    /// <summary>
    /// The table's numbers at <paramref name="now"/> (default: the latest event's timestamp, which is what a finished
    /// run or `--once` wants; a live follower passes the wall clock so a silent node's recent rate decays to zero).
    /// </summary>
    public MonitorView View(DateTimeOffset? now = null)
    {
        var at = now ?? _latest ?? DateTimeOffset.UnixEpoch;
        var cap = TrialCapPerPoint();
        var finished = IsFinished;
        var phase = finished ? SweepPhase.Finished : _lastStart is not null || _nodes.Values.Any(n => n.ShardsCompleted > 0)
            ? SweepPhase.Running : SweepPhase.Waiting;

        long pointTrials = 0;
        var doneCount = 0;
        var inProgress = ImmutableArray.CreateBuilder<PointView>();
        foreach (var (index, point) in _points.OrderBy(p => p.Key))
        {
            var trials = PointTrials(point, cap);
            pointTrials += trials;
            if (point.Done) doneCount++;
            else if (trials > 0) inProgress.Add(new PointView(index, trials, cap, point.Shards.Count));
        }
        var trialsDone = Math.Max(pointTrials, _mergedTotal?.Trials ?? 0);

        // A worker node whose own log is read shows its own row; the coordinator's report of it only otherwise.
        foreach (var (hostPort, reported) in _reported)
            reported.Address ??= _members.Keys.FirstOrDefault(a => a.EndsWith("@" + hostPort, StringComparison.Ordinal));
        var ownLogs = _nodes.Values.Where(n => n.ShardsCompleted > 0).Select(n => n.Address).OfType<string>()
            .Select(a => a[(a.IndexOf('@', StringComparison.Ordinal) + 1)..]).ToHashSet(StringComparer.Ordinal);
        var nodes = _nodes.Values.Concat(_reported.Values.Where(r => !ownLogs.Contains(r.NodeId)))
            .OrderBy(n => n.NodeId, StringComparer.Ordinal)
            .Select(n => new NodeView(n.NodeId, n.Role, MemberStatusOf(n), n.Workers.Count, n.ShardsCompleted, n.Trials,
                RecentRate(n, at), TotalRate(n), InFlight(n.NodeId), n.LeasesExpired, n.Errors, n.LastSeen))
            .ToImmutableArray();
        var recentRate = nodes.Sum(n => n.RecentTrialsPerSecond);

        long? total = _pointCount is { } count && cap is { } c ? count * c : null;
        TimeSpan? eta = null;
        if (finished)
        {
            eta = TimeSpan.Zero;
        }
        else if (_loggedEta is { } logged && logged.Seconds - (at - logged.At).TotalSeconds > 0)
        {
            // The run's own ETA, weighted by each point's estimated cost (what its progress bar and lines show),
            // counted down since it was logged; once it has run out, the trial count below takes over.
            eta = TimeSpan.FromSeconds(Math.Round(logged.Seconds - (at - logged.At).TotalSeconds));
        }
        else if (_pointCount is { } pointCount && cap is { } perPoint)
        {
            long remaining = 0;
            for (var p = 0; p < pointCount; p++)
            {
                if (!_points.TryGetValue(p, out var point)) remaining += perPoint;
                else if (!point.Done) remaining += Math.Max(0, perPoint - PointTrials(point, cap));
            }
            if (remaining == 0) eta = TimeSpan.Zero;
            else if (recentRate > 0) eta = TimeSpan.FromSeconds(Math.Min(remaining / recentRate, TimeSpan.MaxValue.TotalSeconds / 2));
        }

        var members = _members
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => new MemberView(m.Key, m.Value.Roles, m.Value.Status, m.Value.WasDowned, m.Value.Since))
            .ToImmutableArray();

        return new MonitorView(
            at, _sweepName, phase, finished ? _outcome : null, _lastStart, _latest,
            _pointCount, Math.Max(doneCount, _progressPointsDone), inProgress.ToImmutable(), cap,
            trialsDone, total, recentRate, _window,
            _worst?.StdErr, _worst?.Point, eta,
            nodes, members,
            members.Count(m => m.Status == "Up"), members.Count(m => m.Status == "Unreachable"), members.Count(m => m.WasDowned),
            _reissued.Select(r => new ReissueView(r.At, r.PointIndex, r.ShardIndex, r.OfferedTo, r.HeldBy, r.CompletedBy))
                .OrderBy(r => r.At).ToImmutableArray(),
            _failures, _otherErrors, _warnings, [.. _recentFailures.OrderBy(f => f.At)],
            _events, _unreadable, _discarded.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// A point's cap: ShardCount × ShardTrials from SweepStarted, or exactly (ShardCount − 1) × ShardTrials + the last
    /// shard's size once the last shard was seen. Null before SweepStarted.
    /// </summary>
    private long? TrialCapPerPoint()
    {
        if (_shardCount is not { } shards || _shardTrials is not { } size || shards <= 0) return null;
        return _largestShardIndex == shards - 1 ? (shards - 1) * size + _largestShardTrials : shards * size;
    }

    private static long PointTrials(PointTrack point, long? cap)
    {
        if (point.Done && point.FinalTrials is { } final) return final;
        return cap is { } c ? Math.Min(point.ShardTrials, c) : point.ShardTrials;
    }

    private double RecentRate(NodeTrack node, DateTimeOffset now)
    {
        if (node.FirstActive is not { } first || now <= first) return 0;
        var windowStart = now - _window;
        double trials = 0;
        foreach (var shard in node.Recent)
        {
            var start = shard.End - shard.Elapsed;
            var end = shard.End <= now ? shard.End : now;
            var from = start >= windowStart ? start : windowStart;
            if (shard.Elapsed <= TimeSpan.Zero)
            {
                if (shard.End > windowStart && shard.End <= now) trials += shard.Trials;
                continue;
            }
            if (end <= from) continue;
            // A shard's trials are spread evenly over its ElapsedMs; the part inside the window counts.
            trials += shard.Trials * ((end - from).TotalSeconds / shard.Elapsed.TotalSeconds);
        }
        var span = now - first < _window ? now - first : _window;
        return trials / span.TotalSeconds;
    }

    private static double? TotalRate(NodeTrack node)
    {
        if (node.FirstActive is not { } first || node.LastCompleted is not { } last || last <= first) return null;
        return node.Trials / (last - first).TotalSeconds;
    }

    /// <summary>
    /// "akka.tcp://ntk@127.0.0.1:4054" from an actor path such as "akka.tcp://ntk@127.0.0.1:4054/user/worker-1": the
    /// node's cluster address, as MemberAddress spells it. Null for local paths ("akka://ntk/user/…") and non-paths.
    /// </summary>
    internal static string? MemberAddressOf(string? actorPath)
    {
        if (actorPath is null) return null;
        var scheme = actorPath.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return null;
        var end = actorPath.IndexOf('/', scheme + 3);
        var address = end < 0 ? actorPath : actorPath[..end];
        return address.IndexOf('@', scheme) > 0 ? address : null;
    }

    /// <summary>The node's member status (Up, Unreachable, Downed, Left, Removed), Downed for a member removed after
    /// being downed; null when its address or its member events are not logged.</summary>
    private string? MemberStatusOf(NodeTrack node)
    {
        if (node.Address is null || !_members.TryGetValue(node.Address, out var member)) return null;
        return member.WasDowned && member.Status == "Removed" ? "Downed" : member.Status;
    }

    private int InFlight(string nodeId) => _inFlight.Values.Sum(leases => leases.Count(l => l.NodeId == nodeId));

    private NodeTrack Node(string nodeId)
    {
        if (!_nodes.TryGetValue(nodeId, out var node)) _nodes[nodeId] = node = new NodeTrack(nodeId);
        return node;
    }

    private PointTrack Point(int pointIndex)
    {
        if (!_points.TryGetValue(pointIndex, out var point)) _points[pointIndex] = point = new PointTrack();
        return point;
    }

    private static (int Point, int Shard)? Shard(ClefEvent e) =>
        e.Int("PointIndex") is { } point && e.Int("ShardIndex") is { } shard ? (point, shard) : null;

    private static string Holder(string nodeId, string? worker) => worker is null ? nodeId : $"{worker}@{nodeId}";

    private static void Later(ref DateTimeOffset? field, DateTimeOffset at)
    {
        if (field is not { } current || at > current) field = at;
    }

    private static DateTimeOffset Earlier(DateTimeOffset? current, DateTimeOffset at) =>
        current is { } c && c <= at ? c : at;

    private sealed class PointTrack
    {
        public HashSet<int> Shards { get; } = [];
        public long ShardTrials { get; set; }
        public bool Done { get; set; }
        public long? FinalTrials { get; set; }
    }

    private sealed class NodeTrack(string nodeId)
    {
        public string NodeId { get; } = nodeId;
        public string? Role { get; set; }
        public string? Address { get; set; }
        public HashSet<string> Workers { get; } = new(StringComparer.Ordinal);
        public int ShardsCompleted { get; set; }
        public long Trials { get; set; }
        public DateTimeOffset? FirstActive { get; set; }
        public DateTimeOffset? LastCompleted { get; set; }
        public DateTimeOffset LastSeen { get; set; } = DateTimeOffset.MinValue;
        public int LeasesExpired { get; set; }
        public int Errors { get; set; }
        public List<CompletedShard> Recent { get; } = [];
        public int PruneAbove { get; set; } = RecentShardsBeforePruning;
    }

    private sealed class MemberTrack
    {
        public string Status { get; set; } = "";
        public string Roles { get; set; } = "";
        public bool WasDowned { get; set; }
        public DateTimeOffset Since { get; set; }
    }

    private sealed class ReissueTrack(DateTimeOffset at, int pointIndex, int shardIndex, string? offeredTo)
    {
        public DateTimeOffset At { get; } = at;
        public int PointIndex { get; } = pointIndex;
        public int ShardIndex { get; } = shardIndex;
        public string? OfferedTo { get; } = offeredTo;
        public string? HeldBy { get; set; }
        public string? CompletedBy { get; set; }
    }

    private readonly record struct Lease(string NodeId, string? WorkerId, DateTimeOffset At);

    private readonly record struct CompletedShard(DateTimeOffset End, TimeSpan Elapsed, long Trials);
}
