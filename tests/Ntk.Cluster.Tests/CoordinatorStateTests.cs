using Ntk.Cluster.Actors;
using Ntk.Cluster.Messages;
using Xunit;

namespace Ntk.Cluster.Tests;

public class CoordinatorStateTests
{
    private static readonly TimeSpan LeaseTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);
    private static readonly WorkerId A = new("a");
    private static readonly WorkerId B = new("b");

    private static CoordinatorState Open(int points, int maxShards, int window)
    {
        var state = new CoordinatorState(points, maxShards, window, LeaseTimeout);
        for (var p = 0; p < points; p++) state.PointRestored(p, 0, 0, false);
        return state;
    }

    private static ShardId Leased(CoordinatorState state, WorkerId worker, TimeSpan now)
    {
        var decision = state.RequestWork(worker, now);
        Assert.Equal(WorkDecisionKind.Lease, decision.Kind);
        return decision.Shard;
    }

    [Fact]
    public void Nothing_is_leased_before_the_point_is_opened()
    {
        var state = new CoordinatorState(1, 4, 4, LeaseTimeout);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);
        state.PointRestored(0, 0, 0, false);
        Assert.Equal(new ShardId(0, 0), Leased(state, A, T0));
    }

    [Fact]
    public void Shards_are_leased_in_order_lowest_point_first_within_the_window()
    {
        var state = Open(points: 2, maxShards: 10, window: 3);
        var leased = Enumerable.Range(0, 6).Select(_ => Leased(state, A, T0)).ToList();
        Assert.Equal([new(0, 0), new(0, 1), new(0, 2), new(1, 0), new(1, 1), new(1, 2)], leased);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);
    }

    [Fact]
    public void Every_lease_gets_a_new_id()
    {
        var state = Open(1, 10, 5);
        var ids = Enumerable.Range(0, 5).Select(_ => state.RequestWork(A, T0).Lease).ToList();
        Assert.Equal(5, ids.Distinct().Count());
    }

    [Fact]
    public void A_fixed_count_point_leases_exactly_its_max_shard_count()
    {
        var state = Open(1, maxShards: 3, window: 10);
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(_ => Leased(state, A, T0).ShardIndex));
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);
    }

    [Fact]
    public void An_expired_lease_is_reissued_to_the_next_worker_that_asks()
    {
        var state = Open(1, maxShards: 2, window: 2);
        Leased(state, A, T0);
        Leased(state, A, T0);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(B, T0 + LeaseTimeout - TimeSpan.FromTicks(1)).Kind);

        var reissued = state.RequestWork(B, T0 + LeaseTimeout);
        Assert.Equal(WorkDecisionKind.Lease, reissued.Kind);
        Assert.True(reissued.Reissue);
        Assert.Equal(new ShardId(0, 0), reissued.Shard);
    }

    [Fact]
    public void A_merged_shard_is_never_leased_again_even_after_its_lease_time()
    {
        var state = Open(1, maxShards: 3, window: 3);
        var first = state.RequestWork(A, T0);
        state.ShardMerged(first.Shard, 1, 10, false);
        var later = T0 + 10 * LeaseTimeout;
        Assert.Equal([1, 2], Enumerable.Range(0, 2).Select(_ => Leased(state, B, later).ShardIndex));
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(B, later).Kind);
    }

    [Fact]
    public void A_shard_held_past_the_prefix_is_not_leased_again()
    {
        var state = Open(1, maxShards: 3, window: 3);
        Leased(state, A, T0); // shard 0 stays out
        var second = state.RequestWork(A, T0);
        state.ShardMerged(second.Shard, shardsMerged: 0, mergedTrials: 0, pointDone: false); // held by the aggregator
        var later = T0 + 2 * LeaseTimeout;
        Assert.Equal(0, Leased(state, B, later).ShardIndex); // expired
        Assert.Equal(2, Leased(state, B, later).ShardIndex); // 1 is held
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(B, later).Kind);
    }

    [Fact]
    public void The_window_slides_with_the_merged_prefix()
    {
        var state = Open(1, maxShards: 10, window: 2);
        var s0 = state.RequestWork(A, T0);
        Leased(state, A, T0);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);
        state.ShardMerged(s0.Shard, 1, 10, false);
        Assert.Equal(2, Leased(state, A, T0).ShardIndex);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);
    }

    [Fact]
    public void A_done_point_leases_nothing_more_and_its_late_results_change_nothing()
    {
        var state = Open(2, maxShards: 10, window: 2);
        var s0 = state.RequestWork(A, T0);
        var s1 = state.RequestWork(A, T0);
        Assert.True(state.ShardMerged(s0.Shard, 1, 10, pointDone: true));
        Assert.True(state.IsDone(0));
        Assert.Equal(new ShardId(1, 0), Leased(state, A, T0));
        Assert.False(state.ShardDiscarded(s1.Shard, s1.Lease, 1, 10, true));
        Assert.Equal(10, state.MergedTrials(0));
        Assert.Equal(1, state.ShardsMerged(0));
    }

    [Fact]
    public void The_sweep_finishes_when_every_point_is_done()
    {
        var state = Open(2, maxShards: 1, window: 1);
        var a = state.RequestWork(A, T0);
        var b = state.RequestWork(B, T0);
        state.ShardMerged(a.Shard, 1, 5, true);
        Assert.False(state.IsFinished);
        state.ShardMerged(b.Shard, 1, 5, true);
        Assert.True(state.AllPointsDone);
        Assert.Equal(WorkDecisionKind.SweepFinished, state.RequestWork(A, T0).Kind);
    }

    [Fact]
    public void Stop_ends_leasing_but_still_records_results()
    {
        var state = Open(1, maxShards: 4, window: 4);
        var s0 = state.RequestWork(A, T0);
        state.Stop();
        Assert.True(state.IsFinished);
        Assert.False(state.AllPointsDone);
        Assert.Equal(WorkDecisionKind.SweepFinished, state.RequestWork(B, T0).Kind);
        state.ShardMerged(s0.Shard, 1, 7, false);
        Assert.Equal(7, state.MergedTrials(0));
    }

    [Fact]
    public void A_restored_point_starts_at_its_prefix_and_counts_only_new_trials_as_this_run()
    {
        var state = new CoordinatorState(2, maxShardCount: 5, window: 2, LeaseTimeout);
        state.PointRestored(0, shardsMerged: 3, mergedTrials: 30, pointDone: false);
        state.PointRestored(1, shardsMerged: 5, mergedTrials: 50, pointDone: true);
        var next = state.RequestWork(A, T0);
        Assert.Equal(new ShardId(0, 3), next.Shard);
        state.ShardMerged(next.Shard, 4, 40, false);
        Assert.Equal(10, state.TrialsThisRun);
        Assert.Equal([new PointTrials(0, 40, false), new PointTrials(1, 50, true)], state.Progress().ToArray());
    }

    [Fact]
    public void An_invalid_result_releases_its_lease_at_once_but_a_stale_lease_id_does_not()
    {
        var state = Open(1, maxShards: 2, window: 1);
        var first = state.RequestWork(A, T0);
        state.ShardDiscarded(first.Shard, new LeaseId(first.Lease.Value + 100), 0, 0, false);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(B, T0).Kind);
        state.ShardDiscarded(first.Shard, first.Lease, 0, 0, false);
        Assert.Equal(0, Leased(state, B, T0).ShardIndex);
    }

    [Fact]
    public void A_declined_lease_is_offered_again_at_once()
    {
        var state = Open(1, maxShards: 1, window: 1);
        var first = state.RequestWork(A, T0);
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(B, T0).Kind);
        state.LeaseDeclined(first.Shard, first.Lease);
        var again = state.RequestWork(B, T0);
        Assert.Equal(first.Shard, again.Shard);
        state.LeaseDeclined(first.Shard, first.Lease); // stale: the newer lease stays
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);
    }

    [Fact]
    public void Only_points_within_the_point_window_are_opened_and_the_window_moves_as_points_finish()
    {
        var state = new CoordinatorState(pointCount: 10, maxShardCount: 1, window: 4, LeaseTimeout, pointWindow: 3);
        Assert.Equal([0, 1, 2], state.TakeAdmitted());
        Assert.Empty(state.TakeAdmitted());
        foreach (var p in new[] { 0, 1, 2 }) state.PointRestored(p, 0, 0, false);
        var leased = Enumerable.Range(0, 3).Select(_ => Leased(state, A, T0)).ToList();
        Assert.Equal([new(0, 0), new(1, 0), new(2, 0)], leased);
        // Point 3 is outside the window: nothing to lease although workers are idle.
        Assert.Equal(WorkDecisionKind.NoWorkAvailable, state.RequestWork(A, T0).Kind);

        // A later point finishing does not move the window: the first point not done bounds it.
        Assert.True(state.ShardMerged(new ShardId(2, 0), 1, 10, pointDone: true));
        Assert.Empty(state.TakeAdmitted());
        Assert.True(state.ShardMerged(new ShardId(0, 0), 1, 10, pointDone: true));
        Assert.Equal([3], state.TakeAdmitted());
        Assert.True(state.ShardMerged(new ShardId(1, 0), 1, 10, pointDone: true));
        Assert.Equal([4, 5], state.TakeAdmitted());
        Assert.Equal([3, 4, 5], state.UnopenedPoints());
        Assert.False(state.AllOpened);
    }

    [Fact]
    public void Points_finished_by_a_previous_run_are_done_without_being_opened_and_count_no_trials_of_this_run()
    {
        var state = new CoordinatorState(pointCount: 4, maxShardCount: 2, window: 2, LeaseTimeout, pointWindow: 2);
        state.PointFinishedBefore(0, 2, 20);
        state.PointFinishedBefore(1, 2, 20);
        Assert.Equal([2, 3], state.TakeAdmitted());
        Assert.True(state.IsDone(0));
        Assert.Equal(0, state.TrialsThisRun);
        state.PointRestored(2, 0, 0, false);
        state.PointRestored(3, 0, 0, false);
        Assert.True(state.AllOpened);
        Assert.Equal(new ShardId(2, 0), Leased(state, A, T0));
    }
}
