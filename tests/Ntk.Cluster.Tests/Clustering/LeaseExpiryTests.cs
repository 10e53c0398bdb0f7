using Ntk.Cluster.Actors;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Messages;
using Xunit;

namespace Ntk.Cluster.Tests.Clustering;

/// <summary>CoordinatorState.ExpireLeases: the leases of a downed worker node are re-issued at once.</summary>
public sealed class LeaseExpiryTests
{
    private static readonly TimeSpan LeaseTimeout = TimeSpan.FromMinutes(10);
    private static readonly WorkerId Lost = new("10.0.0.7:4100/worker-1");
    private static readonly WorkerId LostToo = new("10.0.0.7:4100/worker-2");
    private static readonly WorkerId Alive = new("10.0.0.8:4100/worker-1");
    private static readonly WorkerId SamePrefixOtherPort = new("10.0.0.7:41000/worker-1");

    [Fact]
    public void Leases_of_the_lost_node_are_reissued_at_once_and_others_are_kept()
    {
        var state = new CoordinatorState(pointCount: 1, maxShardCount: 10, window: 8, LeaseTimeout);
        state.PointRestored(0, 0, 0, false);
        var now = TimeSpan.FromSeconds(1);
        var lostShards = new[] { state.RequestWork(Lost, now).Shard, state.RequestWork(LostToo, now).Shard };
        var kept = new[] { state.RequestWork(Alive, now).Shard, state.RequestWork(SamePrefixOtherPort, now).Shard };

        var lost = WorkerNodeLost.For(new Akka.Actor.Address("akka.tcp", "ntk", "10.0.0.7", 4100));
        Assert.Equal("10.0.0.7:4100/", lost.WorkerIdPrefix);
        var later = now + TimeSpan.FromSeconds(2);
        Assert.Equal(2, state.ExpireLeases(w => w.Value.StartsWith(lost.WorkerIdPrefix, StringComparison.Ordinal), later));

        // The next requests get the lost node's shards back (as re-issues), in shard order, before any new shard.
        var first = state.RequestWork(Alive, later);
        var second = state.RequestWork(Alive, later);
        Assert.True(first.Reissue && second.Reissue);
        Assert.Equal(lostShards, new[] { first.Shard, second.Shard });
        var fresh = state.RequestWork(Alive, later);
        Assert.False(fresh.Reissue);
        Assert.DoesNotContain(fresh.Shard, kept);
        // Expiring again finds nothing: the re-issued leases belong to a live worker.
        Assert.Equal(0, state.ExpireLeases(w => w.Value.StartsWith(lost.WorkerIdPrefix, StringComparison.Ordinal), later));
    }
}
