using Ntk.Numerics.Engines;
using Ntk.Numerics.Statistics;

namespace Ntk.Numerics.MonteCarlo;

/// <summary>
/// Runs the trials of one shard in trial order on the calling thread. The result depends only on
/// (point, first trial, count): shard-level parallelism (one shard per thread) keeps every run bitwise reproducible.
/// </summary>
public static class ShardRunner
{
    /// <summary>Samples trials [firstTrial, firstTrial + trialCount) and returns their accumulated statistics.</summary>
    /// <param name="cancellation">Checked between trials; a cancelled shard throws and returns nothing.</param>
    public static PointAccumulator Run(
        ITrialSampler sampler, long firstTrial, int trialCount, CancellationToken cancellation = default)
    {
        var accumulator = new PointAccumulator(sampler.Layout);
        var measurement = new double[sampler.Layout.Count];
        for (var t = 0; t < trialCount; t++)
        {
            if ((t & 63) == 0) cancellation.ThrowIfCancellationRequested();
            sampler.Sample(firstTrial + t, measurement);
            accumulator.Push(measurement);
        }
        return accumulator;
    }
}
