using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The dense sampler's δ-factorized kernel (docs/science.md §2) against explicit per-weight gradients of the same sampled
/// network (Support/ReferenceNetwork) and against central finite differences.
/// </summary>
public sealed class BruteForceJacobianTests(ITestOutputHelper output)
{
    /// <summary>Both sides sum O(#weights) products of O(1) numbers in different orders: ~1e-15 relative, with margin.</summary>
    private const double LoopRelativeTolerance = 1e-12;

    /// <summary>
    /// Central differences of a function that is linear in each single weight (fixed activation pattern) have no
    /// truncation error; what is left is rounding, ~ε|z|/h = 1e-16/1e-6 per gradient entry.
    /// </summary>
    private const double FiniteDifferenceRelativeTolerance = 1e-7;

    private const double FiniteDifferenceStep = 1e-6;

    /// <summary>The writer scales counts by 1/n_l, which can differ from count/n_l in the last bit.</summary>
    private const double FractionTolerance = 1e-15;

    private const ulong MasterSeed = 20261129;

    private static readonly WeightLaw[] LawCycle =
        [WeightLaw.Gaussian, WeightLaw.Uniform, WeightLaw.Laplace, WeightLaw.StudentT(5), WeightLaw.Rademacher];

    public static TheoryData<int> NetIndices => new(Enumerable.Range(0, 25));

    [Theory]
    [MemberData(nameof(NetIndices))]
    public void Dense_kernel_equals_the_per_weight_gradient_kernel_on_random_tiny_nets(int netIndex)
    {
        var point = RandomTinyPoint(netIndex);
        var network = point.Network;
        output.WriteLine($"seed {MasterSeed}, net {netIndex}: n0 = {network.InputDim}, widths {network.WidthsLabel}, " +
                         $"law {network.Law.Name}, m = {point.Inputs.Count}");
        var sampler = new DenseSampler(point);
        var layout = sampler.Layout;
        var m = point.Inputs.Count;
        var measurement = new double[layout.Count];
        var weights = new double[sampler.WeightCount];
        Assert.Equal(network.ParameterCount, sampler.WeightCount);

        foreach (var trial in new long[] { 0, 1, 12345 })
        {
            sampler.Sample(trial, measurement);
            sampler.SampleWeights(trial, weights);
            var reference = new ReferenceNetwork(network, weights);
            var expected = reference.Kernel(point.Inputs);
            for (var a = 0; a < m; a++)
                for (var b = a; b < m; b++)
                {
                    var scale = Math.Sqrt(expected[a * m + a] * expected[b * m + b]);
                    var actual = measurement[layout.Ntk(a, b)];
                    Assert.True(Math.Abs(actual - expected[a * m + b]) <= LoopRelativeTolerance * scale,
                        $"trial {trial}, K[{a},{b}]: dense {actual:R}, per-weight {expected[a * m + b]:R}");
                }

            // The forward statistics come from the same network.
            var preactivations = Enumerable.Range(0, m).Select(a => reference.Preactivations(point.Inputs.Input(a))).ToArray();
            for (var layer = 1; layer <= network.Depth; layer++)
            {
                var width = network.LayerSize(layer);
                for (var a = 0; a < m; a++)
                {
                    var active = Enumerable.Range(0, width).Count(i => preactivations[a][layer][i] > 0);
                    Assert.Equal((double)active / width, measurement[layout.ActiveFraction(layer, a)], FractionTolerance);
                    for (var b = a + 1; b < m; b++)
                    {
                        var both = Enumerable.Range(0, width)
                            .Count(i => preactivations[a][layer][i] > 0 && preactivations[b][layer][i] > 0);
                        Assert.Equal((double)both / width, measurement[layout.Correlator(layer, a, b)], FractionTolerance);
                    }
                }
            }
        }
    }

    [Fact]
    public void Dense_kernel_equals_the_central_finite_difference_kernel()
    {
        var network = new NetworkSpec(3, [4, 3], WeightLaw.Gaussian);
        var inputs = new InputSet(3, [0.3, -1.1, 0.8, 1.2, 0.4, -0.5, -0.7, 0.2, 0.9]);
        var point = new PointDefinition(0, network, inputs, EngineKind.Dense, MasterSeed);
        var sampler = new DenseSampler(point);
        var layout = sampler.Layout;
        const long trial = 3;
        output.WriteLine($"seed {MasterSeed}, trial {trial}, step {FiniteDifferenceStep}");
        var measurement = new double[layout.Count];
        sampler.Sample(trial, measurement);
        var weights = new double[sampler.WeightCount];
        sampler.SampleWeights(trial, weights);
        var reference = new ReferenceNetwork(network, weights);

        var m = inputs.Count;
        var gradients = new double[m][];
        for (var a = 0; a < m; a++)
        {
            gradients[a] = new double[weights.Length];
            for (var p = 0; p < weights.Length; p++)
            {
                reference.SetWeight(p, weights[p] + FiniteDifferenceStep);
                var plus = reference.Output(inputs.Input(a));
                reference.SetWeight(p, weights[p] - FiniteDifferenceStep);
                var minus = reference.Output(inputs.Input(a));
                reference.SetWeight(p, weights[p]);
                gradients[a][p] = (plus - minus) / (2 * FiniteDifferenceStep);
            }
        }
        var expected = ReferenceNetwork.KernelFromGradients(gradients);
        Assert.True(expected[0] > 0, "the chosen net must not be dead for input 0");
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++)
            {
                var scale = Math.Sqrt(expected[a * m + a] * expected[b * m + b]);
                var actual = measurement[layout.Ntk(a, b)];
                output.WriteLine($"K[{a},{b}] dense {actual:R}, finite differences {expected[a * m + b]:R}");
                Assert.True(Math.Abs(actual - expected[a * m + b]) <= FiniteDifferenceRelativeTolerance * scale,
                    $"K[{a},{b}]: dense {actual:R}, finite differences {expected[a * m + b]:R}");
            }
    }

    /// <summary>n0 2–4, depth 1–3, widths 2–5, m = 2–4 Gaussian inputs, the law cycling through all five.</summary>
    private static PointDefinition RandomTinyPoint(int netIndex)
    {
        var stream = RandomStream.For(MasterSeed, 1000, netIndex);
        int Pick(int low, int high) => low + (int)(stream.NextUniform() * (high - low + 1));
        var inputDim = Pick(2, 4);
        var depth = Pick(1, 3);
        var widths = ImmutableArray.CreateRange(Enumerable.Range(0, depth).Select(_ => Pick(2, 5)));
        var m = Pick(2, 4);
        var values = new double[m * inputDim];
        stream.FillGaussian(values);
        var network = new NetworkSpec(inputDim, widths, LawCycle[netIndex % LawCycle.Length]);
        return new PointDefinition(netIndex, network, new InputSet(inputDim, ImmutableArray.Create(values)),
            EngineKind.Dense, MasterSeed);
    }
}
