using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Engines;

/// <summary>
/// Everything needed to sample the networks of one sweep point: its index (part of every trial's random stream),
/// the network, the m inputs, the resolved engine (never <see cref="EngineKind.Auto"/>), the master seed and the
/// statistic groups it records (default: <see cref="StatisticSelection.Default"/> for its m) and the learning rates of its
/// instability indicators (default none).
/// </summary>
public sealed record PointDefinition
{
    public PointDefinition(
        int pointIndex, NetworkSpec network, InputSet inputs, EngineKind engine, ulong masterSeed,
        StatisticGroups? statistics = null, IReadOnlyList<double>? learningRates = null)
    {
        if (pointIndex < 0) throw new ArgumentOutOfRangeException(nameof(pointIndex));
        if (inputs.InputDim != network.InputDim)
            throw new ArgumentException($"inputs: dimension {inputs.InputDim} does not match inputDim {network.InputDim}");
        PointIndex = pointIndex;
        Network = network;
        Inputs = inputs;
        Engine = EngineChoice.Resolve(engine, network, inputs.Count);
        MasterSeed = masterSeed;
        Statistics = statistics ?? StatisticSelection.Default(inputs.Count);
        Layout = MeasurementLayout.For(inputs.Count, network.Depth,
            hasConditionalCorrelator: network.Law.Kind == Networks.WeightLawKind.Gaussian, Statistics, learningRates);
        LearningRates = MeasurementLayout.ValidLearningRates(learningRates);
    }

    public int PointIndex { get; }
    public NetworkSpec Network { get; }
    public InputSet Inputs { get; }
    public EngineKind Engine { get; }
    public ulong MasterSeed { get; }
    /// <summary>The statistic groups recorded for this point.</summary>
    public StatisticGroups Statistics { get; }

    /// <summary>The learning rates η of the instability indicators (the sweep's <c>learningRates</c>; docs/science.md §7).</summary>
    public System.Collections.Immutable.ImmutableArray<double> LearningRates { get; }

    public MeasurementLayout Layout { get; }

    /// <summary>A new sampler (with its own buffers) for this point's engine.</summary>
    public ITrialSampler CreateSampler() => Engine switch
    {
        EngineKind.Dense => new DenseSampler(this),
        EngineKind.Conditional => new ConditionalGaussianSampler(this),
        _ => throw new InvalidOperationException("engine was not resolved"),
    };
}
