using Ntk.Cluster.Actors;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;
using Xunit;

namespace Ntk.Cluster.Tests;

public class PointAggregateTests
{
    private static readonly SimulationPlan Plan = TestPlans.Fixed(points: 1, trials: 200, shardTrials: 40);

    private static PointAccumulator Shard(SimulationPlan plan, int shardIndex)
    {
        var spec = plan.Shard(0, shardIndex);
        return ShardRunner.Run(new FakeSampler(plan.Points[0].Definition), spec.FirstTrial, spec.TrialCount);
    }

    private static PointAggregate NewAggregate(SimulationPlan plan) =>
        new(plan.Points[0].Definition.Layout, plan.Stopping, plan.MaxShardCount);

    [Fact]
    public void Results_in_any_arrival_order_give_the_bytes_of_the_in_order_merge()
    {
        var (expected, _) = Reference.Point(Plan, 0, p => new FakeSampler(p));
        var aggregate = NewAggregate(Plan);
        foreach (var s in new[] { 3, 1, 4, 0, 2 }) aggregate.Add(s, Shard(Plan, s));
        Assert.True(aggregate.Done);
        Assert.Equal(5, aggregate.ShardsMerged);
        Assert.Equal(expected.ToBytes(), aggregate.Merged.ToBytes());
    }

    [Fact]
    public void Early_results_are_held_until_the_gap_closes()
    {
        var aggregate = NewAggregate(Plan);
        Assert.Equal(ShardOutcomeKind.Accepted, aggregate.Add(2, Shard(Plan, 2)).Kind);
        Assert.Equal(ShardOutcomeKind.Accepted, aggregate.Add(1, Shard(Plan, 1)).Kind);
        Assert.Equal(0, aggregate.ShardsMerged);
        Assert.Equal(0, aggregate.Trials);
        Assert.Equal(2, aggregate.HeldCount);
        aggregate.Add(0, Shard(Plan, 0));
        Assert.Equal(3, aggregate.ShardsMerged);
        Assert.Equal(120, aggregate.Trials);
        Assert.Equal(0, aggregate.HeldCount);
    }

    [Fact]
    public void Duplicates_below_the_prefix_and_among_held_shards_are_ignored()
    {
        var aggregate = NewAggregate(Plan);
        aggregate.Add(0, Shard(Plan, 0));
        aggregate.Add(2, Shard(Plan, 2));
        var before = aggregate.Merged.ToBytes();
        Assert.Equal(ShardOutcomeKind.Duplicate, aggregate.Add(0, Shard(Plan, 0)).Kind);
        Assert.Equal(ShardOutcomeKind.Duplicate, aggregate.Add(2, Shard(Plan, 2)).Kind);
        Assert.False(aggregate.Needs(0));
        Assert.False(aggregate.Needs(2));
        Assert.True(aggregate.Needs(1));
        Assert.Equal(before, aggregate.Merged.ToBytes());
        Assert.Equal(1, aggregate.HeldCount);
    }

    [Fact]
    public void A_target_point_stops_at_the_first_prefix_that_meets_it_and_discards_the_rest()
    {
        // Fake statistics are uniform on [0,1): SE ≈ 0.29/√n, so 0.02 needs n ≈ 210 trials, i.e. shard 11 of 20 each.
        var plan = TestPlans.Target(points: 1, targetStdErr: 0.02, maxTrials: 2000, shardTrials: 20);
        var (expected, expectedShards) = Reference.Point(plan, 0, p => new FakeSampler(p));
        Assert.InRange(expectedShards, 5, plan.MaxShardCount - 5); // the test needs shards past the stopping point

        var aggregate = NewAggregate(plan);
        // Shards past the stopping point arrive first and are held; they must not be merged.
        for (var s = expectedShards + 3; s >= 0; s--) aggregate.Add(s, Shard(plan, s));
        Assert.True(aggregate.Done);
        Assert.Equal(expectedShards, aggregate.ShardsMerged);
        Assert.Equal(expected.ToBytes(), aggregate.Merged.ToBytes());
        Assert.Equal(0, aggregate.HeldCount);
        Assert.Equal(ShardOutcomeKind.PointDone, aggregate.Add(expectedShards + 5, Shard(plan, expectedShards + 5)).Kind);
        Assert.True(plan.Stopping.IsMet(aggregate.Merged));
    }

    [Fact]
    public void Restoring_a_prefix_then_merging_the_rest_gives_the_uninterrupted_bytes()
    {
        var (expected, _) = Reference.Point(Plan, 0, p => new FakeSampler(p));
        var first = NewAggregate(Plan);
        first.Add(0, Shard(Plan, 0));
        first.Add(1, Shard(Plan, 1));
        var saved = first.Merged.ToBytes();

        var resumed = NewAggregate(Plan);
        resumed.Add(3, Shard(Plan, 3)); // a held shard past the seed survives it
        resumed.Add(1, Shard(Plan, 1)); // a held shard the seed covers is dropped
        resumed.Restore(2, PointAccumulator.FromBytes(Plan.Points[0].Definition.Layout, saved));
        Assert.Equal(2, resumed.ShardsMerged);
        Assert.Equal(1, resumed.HeldCount);
        resumed.Add(2, Shard(Plan, 2));
        resumed.Add(4, Shard(Plan, 4));
        Assert.True(resumed.Done);
        Assert.Equal(expected.ToBytes(), resumed.Merged.ToBytes());
    }

    [Fact]
    public void A_seed_that_is_not_ahead_of_the_merged_prefix_is_ignored()
    {
        var aggregate = NewAggregate(Plan);
        aggregate.Add(0, Shard(Plan, 0));
        aggregate.Add(1, Shard(Plan, 1));
        var before = aggregate.Merged.ToBytes();
        var older = NewAggregate(Plan);
        older.Add(0, Shard(Plan, 0));
        Assert.False(aggregate.Restore(1, older.Merged));
        Assert.Equal(2, aggregate.ShardsMerged);
        Assert.Equal(before, aggregate.Merged.ToBytes());
    }

    [Fact]
    public void A_seed_that_already_meets_the_rule_makes_the_point_done()
    {
        var (expected, shards) = Reference.Point(Plan, 0, p => new FakeSampler(p));
        var aggregate = NewAggregate(Plan);
        Assert.True(aggregate.Restore(shards, expected));
        Assert.True(aggregate.Done);
        Assert.Equal(ShardOutcomeKind.PointDone, aggregate.Add(0, Shard(Plan, 0)).Kind);
    }
}
