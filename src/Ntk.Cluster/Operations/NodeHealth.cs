using Akka.Cluster;
using Ntk.Cluster.Clustering;

namespace Ntk.Cluster.Operations;

/// <summary>What a health probe answers: the verdict and the checks behind it, for the response body.</summary>
/// <param name="Healthy">True: HTTP 200; false: 503.</param>
/// <param name="Checks">Each check by name: "ok", or what is missing.</param>
public sealed record HealthReport(bool Healthy, IReadOnlyList<KeyValuePair<string, string>> Checks);

/// <summary>
/// The health of one node, as its probes see it (docs/cluster.md, "Observe"). Live: the process answers (a node
/// whose actor system died exits by itself, so liveness needs nothing more). Ready: this node's actor system is a
/// cluster member with status Up, and on a worker node the plan was received; on the coordinator node the journal
/// was opened (tables created, run registered). <see cref="ClusterSweep"/> reports each step; the node's HTTP
/// endpoint reads it from its own threads, hence the lock.
/// </summary>
public sealed class NodeHealth(NodeRole role)
{
    private readonly Lock _gate = new();
    private Akka.Cluster.Cluster? _cluster;
    private bool _planReceived;
    private bool _journalOpened;
    private string? _finished;

    public NodeRole Role { get; } = role;

    /// <summary>A new actor system of this node (a worker starts one per incarnation): its cluster is watched, and the
    /// plan must be received again.</summary>
    internal void Attach(Akka.Cluster.Cluster cluster)
    {
        lock (_gate)
        {
            _cluster = cluster;
            _planReceived = false;
        }
    }

    internal void PlanReceived()
    {
        lock (_gate) _planReceived = true;
    }

    internal void JournalOpened()
    {
        lock (_gate) _journalOpened = true;
    }

    /// <summary>The node's work is over (<paramref name="outcome"/>): still live, no longer ready.</summary>
    public void Finished(string outcome)
    {
        lock (_gate) _finished = outcome;
    }

    public static HealthReport Live() => new(true, [new("process", "ok")]);

    public HealthReport Ready()
    {
        lock (_gate)
        {
            var checks = new List<KeyValuePair<string, string>>();
            var status = _cluster is { IsTerminated: false } cluster ? cluster.SelfMember.Status : (MemberStatus?)null;
            // Before it has joined, a node's own member status reads Removed.
            checks.Add(new("member", status switch
            {
                MemberStatus.Up => "ok",
                null => "no actor system",
                MemberStatus.Removed when _cluster!.State.Members.Count == 0 => "not joined yet",
                var s => $"status {s}",
            }));
            if (Role == NodeRole.Worker) checks.Add(new("plan", _planReceived ? "ok" : "not received"));
            else checks.Add(new("journal", _journalOpened ? "ok" : "not opened"));
            if (_finished is not null) checks.Add(new("sweep", _finished));
            return new HealthReport(_finished is null && checks.All(c => c.Value == "ok"), checks);
        }
    }

    /// <summary>The answer to a bootstrapping node's <c>GET /bootstrap/seed-nodes</c>; null while this node has no
    /// actor system (it is not a contact point then).</summary>
    public string? SeedNodesJson()
    {
        Akka.Cluster.Cluster? cluster;
        lock (_gate) cluster = _cluster;
        return cluster is null || cluster.IsTerminated ? null : ClusterDiscovery.SeedNodesJson(cluster);
    }

    /// <summary>Members of the cluster as this node sees them, counted by status and role (for a gauge); empty while
    /// the node has no actor system.</summary>
    public IReadOnlyList<(string Status, string Role, int Count)> Members()
    {
        Akka.Cluster.Cluster? cluster;
        lock (_gate) cluster = _cluster;
        if (cluster is null || cluster.IsTerminated) return [];
        var state = cluster.State;
        return state.Members
            .Select(m => (Status: state.Unreachable.Contains(m) ? "Unreachable" : m.Status.ToString(),
                Role: m.HasRole(ClusterHocon.CoordinatorRole) ? ClusterHocon.CoordinatorRole : ClusterHocon.WorkerRole))
            .GroupBy(m => m)
            .Select(g => (g.Key.Status, g.Key.Role, g.Count()))
            .ToList();
    }
}
