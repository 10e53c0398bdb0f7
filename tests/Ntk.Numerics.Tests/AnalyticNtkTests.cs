using System.Collections.Immutable;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Networks;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class AnalyticNtkTests
{
    /// <summary>Closed forms vs the recursion: a handful of rounded operations each, ~1e-16 relative; 1e-13 leaves room.</summary>
    private const double FormulaTolerance = 1e-13;

    public static TheoryData<int> InputDims => new() { 2, 3, 5, 17 };

    [Theory]
    [MemberData(nameof(InputDims))]
    public void Depth_one_closed_form_equals_the_recursion_at_many_angles(int inputDim)
    {
        for (var k = 0; k <= 180; k++)
        {
            var theta = Math.PI * k / 180;
            var (xa, xb) = ScaledPair(inputDim, theta, 0.7, 2.3);
            var recursion = AnalyticNtk.Theta(xa, xb, depth: 1);
            var closedForm = AnalyticNtk.DepthOneTheta(xa, xb);
            var scale = 2.0 / inputDim * 0.7 * 2.3;
            Assert.True(Math.Abs(recursion - closedForm) <= FormulaTolerance * scale,
                $"θ = {k}°: recursion {recursion:R}, closed form {closedForm:R}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(40)]
    public void Diagonal_equals_two_L_plus_one_norm_squared_over_n0(int depth)
    {
        double[] x = [0.3, -1.7, 2.2, 0.05, 4.0];
        var expected = 2.0 * (depth + 1) * x.Sum(v => v * v) / x.Length;
        AssertRelative(expected, AnalyticNtk.ExactDiagonal(x, depth));
        var theta = AnalyticNtk.Theta(x, x, depth);
        Assert.True(Math.Abs(theta - expected) <= FormulaTolerance * expected, $"Θ_aa = {theta:R}, expected {expected:R}");
        var pair = AnalyticNtk.Pair(x, x, depth);
        Assert.All(pair.Correlators, c => Assert.Equal(0.5, c));
        Assert.All(pair.Rho, r => Assert.Equal(1.0, r));
    }

    [Theory]
    [MemberData(nameof(InputDims))]
    public void First_layer_correlator_is_pi_minus_theta_over_two_pi(int inputDim)
    {
        for (var k = 0; k <= 90; k++)
        {
            var theta = Math.PI * k / 90;
            var (xa, xb) = ScaledPair(inputDim, theta, 1.0, 3.0);
            var c1 = AnalyticNtk.Pair(xa, xb, depth: 3).Correlator(1);
            Assert.True(Math.Abs(c1 - (Math.PI - theta) / (2 * Math.PI)) <= 1e-14, $"θ = {2 * k}°: c_1 = {c1:R}");
            Assert.Equal(AnalyticNtk.FirstLayerCorrelator(theta), (Math.PI - theta) / (2 * Math.PI));
        }
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(Math.PI / 4)]
    [InlineData(Math.PI / 2)]
    [InlineData(Math.PI)]
    public void Correlators_increase_toward_one_half_like_one_half_minus_three_over_two_l(double theta)
    {
        const int depth = 10_000;
        var (xa, xb) = ScaledPair(4, theta, 1, 1);
        var correlators = AnalyticNtk.Pair(xa, xb, depth).Correlators;
        for (var l = 1; l < depth; l++)
        {
            Assert.True(correlators[l] >= correlators[l - 1], $"c_{l + 1} < c_{l}");
            Assert.True(correlators[l] < 0.5);
        }
        // c_l ≈ 1/2 − 3/(2l): l(1/2 − c_l) → 3/2 (docs/science.md §6); at l = 10⁴ it is within 0.02 from every start.
        Assert.InRange(depth * (0.5 - correlators[depth - 1]), 1.48, 1.52);
    }

    [Fact]
    public void Theta_is_the_sum_over_layers_of_sigma_times_the_product_of_two_c()
    {
        var (xa, xb) = ScaledPair(6, 1.1, 0.9, 1.4);
        const int depth = 6;
        var pair = AnalyticNtk.Pair(xa, xb, depth);
        var sum = 0.0;
        for (var l = 1; l <= depth + 1; l++)
        {
            var product = 1.0;
            for (var k = l; k <= depth; k++) product *= 2 * pair.Correlator(k);
            sum += pair.Sigma[l - 1] * product;
        }
        Assert.True(Math.Abs(sum - pair.Theta) <= FormulaTolerance * Math.Abs(sum));
        AssertRelative(2.0 / 6 * xa.Zip(xb).Sum(p => p.First * p.Second), pair.Sigma[0]);
        // Σ^{l+1} = √(Σ_aa Σ_bb) κ1(ρ_l)
        var diagonalScale = 2.0 / 6 * Math.Sqrt(xa.Sum(v => v * v) * xb.Sum(v => v * v));
        for (var l = 1; l <= depth; l++)
            Assert.True(Math.Abs(pair.Sigma[l] - diagonalScale * AnalyticNtk.Kappa1(pair.Rho[l - 1])) <= 1e-15 * diagonalScale);
    }

    [Fact]
    public void Kappa_functions_have_their_known_values_and_clamp_rho()
    {
        Assert.Equal(1.0, AnalyticNtk.Kappa0(1));
        Assert.Equal(0.0, AnalyticNtk.Kappa0(-1));
        Assert.Equal(0.5, AnalyticNtk.Kappa0(0));
        Assert.Equal(1.0, AnalyticNtk.Kappa1(1));
        Assert.Equal(0.0, AnalyticNtk.Kappa1(-1), 15);
        Assert.Equal(1 / Math.PI, AnalyticNtk.Kappa1(0), 15);
        Assert.Equal(1.0, AnalyticNtk.Kappa0(1 + 1e-12));
        Assert.Equal(1.0, AnalyticNtk.Kappa1(1 + 1e-12));
        Assert.Equal(0.0, AnalyticNtk.Kappa0(-1 - 1e-12));
    }

    [Fact]
    public void Compute_covers_every_pair_of_an_input_set_symmetrically()
    {
        var values = new[] { 1.0, 0, 0, 0.6, 0.8, 0, -1, 1, 1, 0, 0, 2 };
        var inputs = new InputSet(3, ImmutableArray.Create(values));
        var kernel = AnalyticNtk.Compute(inputs, depth: 4);
        Assert.Equal(4, kernel.InputCount);
        var matrix = kernel.ThetaMatrix();
        for (var a = 0; a < 4; a++)
        {
            for (var b = 0; b < 4; b++)
            {
                Assert.Equal(AnalyticNtk.Theta(inputs.Input(a), inputs.Input(b), 4), kernel.Theta(a, b));
                Assert.Equal(kernel.Theta(a, b), kernel.Theta(b, a));
                Assert.Equal(matrix[a * 4 + b], kernel.Theta(a, b));
                for (var l = 1; l <= 4; l++) Assert.Equal(kernel.Correlator(l, a, b), kernel.Correlator(l, b, a));
            }
            AssertRelative(AnalyticNtk.ExactDiagonal(inputs.Input(a), 4), kernel.Theta(a, a));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.Correlator(5, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnalyticNtk.Compute(inputs, 0));
    }

    private static void AssertRelative(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= FormulaTolerance * Math.Abs(expected), $"expected {expected:R}, got {actual:R}");

    /// <summary>x_a = r_a (1, 0, …), x_b = r_b (cos θ, sin θ, 0, …).</summary>
    internal static (double[] A, double[] B) ScaledPair(int inputDim, double theta, double normA, double normB)
    {
        var xa = new double[inputDim];
        var xb = new double[inputDim];
        xa[0] = normA;
        xb[0] = normB * Math.Cos(theta);
        xb[1] = normB * Math.Sin(theta);
        return (xa, xb);
    }
}
