using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;

namespace Ntk.Numerics.Tests.Support;

/// <summary>A point of two unit inputs at an angle on a uniform-width network, and its trials sampled in one shard:
/// what the verdict and measurement-check tests sample.</summary>
internal static class PairPoints
{
    public static PointDefinition Point(int inputDim, int depth, int width, double thetaDegrees, ulong seed, WeightLaw? law = null) =>
        new(0, NetworkSpec.Uniform(inputDim, depth, width, law ?? WeightLaw.Gaussian),
            InputSet.Pair(inputDim, thetaDegrees * Math.PI / 180), EngineKind.Auto, seed);

    public static PointAccumulator Sample(PointDefinition point, int trials) =>
        ShardRunner.Run(point.CreateSampler(), 0, trials);
}
