using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Bench;

/// <summary>
/// One benchmarked point: n0 inputs dimensions, L hidden layers of width n, m inputs, Gaussian weights (so both engines
/// are valid). The inputs are a fixed pair at θ = π/3 for m = 2, else m fixed random unit vectors.
/// </summary>
internal sealed record BenchConfiguration(int InputDim, int Depth, int Width, int InputCount)
{
    /// <summary>Master seed of the benchmark points (any fixed value: the figures do not depend on it).</summary>
    public const ulong Seed = 20261129;

    /// <summary>The configurations of issue 6 / docs/contract.md §4: small to large widths at m = 2, then the product-bound m = 32, 128.</summary>
    public static ImmutableArray<BenchConfiguration> Standard { get; } =
    [
        new(10, 1, 64, 2),
        new(10, 3, 256, 2),
        new(10, 5, 1024, 2),
        new(32, 3, 256, 32),
        new(784, 2, 512, 128),
    ];

    public string Label => $"n0={InputDim} L={Depth} n={Width} m={InputCount}";

    public NetworkSpec Network => NetworkSpec.Uniform(InputDim, Depth, Width, WeightLaw.Gaussian);

    /// <summary>The point for <paramref name="engine"/> (dense or conditional).</summary>
    public PointDefinition Point(EngineKind engine) => new(0, Network, Inputs(), engine, Seed);

    private InputSet Inputs()
    {
        if (InputCount == 2) return InputSet.Pair(InputDim, Math.PI / 3);
        var values = new double[InputCount * InputDim];
        var stream = RandomStream.For(Seed, 1_000_000, 0);
        stream.FillGaussian(values);
        for (var a = 0; a < InputCount; a++)
        {
            var input = values.AsSpan(a * InputDim, InputDim);
            var norm = 0.0;
            foreach (var v in input) norm += v * v;
            norm = Math.Sqrt(norm);
            for (var i = 0; i < input.Length; i++) input[i] /= norm;
        }
        return new InputSet(InputDim, ImmutableArray.Create(values));
    }
}
