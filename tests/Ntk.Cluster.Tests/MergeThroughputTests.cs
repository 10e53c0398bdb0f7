using System.Diagnostics;
using Ntk.Cluster.Actors;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Statistics;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests;

/// <summary>
/// The aggregator's merge work per shard (what one aggregator node spends per result, journal write excluded):
/// parse the shard's state (PointAccumulator.FromBytes) and merge it in order (PointAggregate.Add). Prints shards/s
/// for m = 2 and m = 128 states (docs/cluster.md, "How many workers one aggregator node feeds"); asserts only that
/// the merge is exact, never a time.
/// </summary>
public sealed class MergeThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(2, 3, 2000)]
    [InlineData(128, 1, 60)]
    public void Merge_throughput_of_one_aggregator(int inputs, int depth, int shards)
    {
        var network = NetworkSpec.Uniform(8, depth, 16, WeightLaw.Gaussian);
        var inputSet = inputs == 2 ? InputSet.Pair(8, 1.0) : InputSets.Sphere(8, inputs, 1);
        var point = new PointDefinition(0, network, inputSet, EngineKind.Dense, 3);
        var sampler = point.CreateSampler();
        // Distinct shard states of 2 trials each (their sampling is not timed).
        var states = Enumerable.Range(0, 8).Select(s => ShardRunner.Run(sampler, 2L * s, 2).ToBytes()).ToArray();
        var stopping = StoppingRule.Fixed(2L * shards);
        var aggregate = new PointAggregate(point.Layout, stopping, shards);
        var clock = Stopwatch.StartNew();
        for (var s = 0; s < shards; s++)
            aggregate.Add(s, PointAccumulator.FromBytes(point.Layout, states[s % states.Length]));
        clock.Stop();
        Assert.Equal(2L * shards, aggregate.Trials);
        Assert.True(aggregate.Done);
        var perSecond = shards / clock.Elapsed.TotalSeconds;
        output.WriteLine($"m = {inputs}, L = {depth}: {point.Layout.Count} statistics, state {states[0].Length} bytes; " +
                         $"{shards} shards parsed and merged in {clock.Elapsed.TotalMilliseconds:F0} ms: {perSecond:F0} shards/s, " +
                         $"{perSecond * states[0].Length / 1e6:F0} MB/s of state");
    }
}
