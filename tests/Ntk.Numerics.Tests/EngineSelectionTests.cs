using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class EngineSelectionTests
{
    [Theory]
    // The five `ntk bench` configurations and the engine measured faster there (docs/performance.md §1).
    [InlineData(10, 1, 64, 2, EngineKind.Conditional)]
    [InlineData(10, 3, 256, 2, EngineKind.Conditional)]
    [InlineData(10, 5, 1024, 2, EngineKind.Conditional)]
    [InlineData(32, 3, 256, 32, EngineKind.Dense)]
    [InlineData(784, 2, 512, 128, EngineKind.Dense)]
    public void Auto_picks_the_engine_measured_faster(int inputDim, int depth, int width, int inputs, EngineKind expected)
    {
        var network = NetworkSpec.Uniform(inputDim, depth, width, WeightLaw.Gaussian);
        Assert.Equal(expected, EngineChoice.Resolve(EngineKind.Auto, network, inputs));
    }

    [Fact]
    public void Auto_uses_the_dense_engine_for_non_gaussian_laws()
    {
        var network = NetworkSpec.Uniform(10, 3, 256, WeightLaw.Uniform);
        Assert.Equal(EngineKind.Dense, EngineChoice.Resolve(EngineKind.Auto, network, 2));
    }

    [Fact]
    public void Conditional_with_a_non_gaussian_law_is_refused_naming_the_law()
    {
        var network = NetworkSpec.Uniform(10, 1, 8, WeightLaw.Laplace);
        var error = Assert.Throws<ArgumentException>(() => EngineChoice.Resolve(EngineKind.Conditional, network, 2));
        Assert.Contains("laplace", error.Message);
    }
}
