using Ntk.Numerics.Analytic;
using Ntk.Numerics.Networks;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class PaperClaimsTests
{
    /// <summary>The brief's acceptance level for the literal hypercap formula (observed: ≤ 2e-13).</summary>
    private const double HypercapTolerance = 1e-10;

    /// <summary>Algebraic identities between closed forms: a few roundings, ~1e-16 relative.</summary>
    private const double IdentityTolerance = 1e-13;

    public static TheoryData<int> HypercapDimensions => new() { 2, 3, 5, 10, 50 };

    [Theory]
    [MemberData(nameof(HypercapDimensions))]
    public void Theorem_2_1_equals_pi_minus_theta_over_two_pi_for_Gaussian_weights(int inputDim)
    {
        var angles = Enumerable.Range(0, 91).Select(k => Math.PI * k / 90)
            .Concat([1e-9, 0.123456789, Math.PI / 2 - 1e-9, Math.PI / 2 + 1e-9, 2.71828, Math.PI - 1e-7]);
        foreach (var theta in angles)
        {
            var literal = PaperClaims.Theorem21(inputDim, theta);
            var gaussian = (Math.PI - theta) / (2 * Math.PI);
            Assert.True(Math.Abs(literal - gaussian) <= HypercapTolerance,
                $"n0 = {inputDim}, θ = {theta:R}: hypercap {literal:R}, (π−θ)/(2π) = {gaussian:R}");
        }
    }

    [Theory]
    [InlineData(784)]
    [InlineData(3072)]
    public void Theorem_2_1_stays_accurate_in_high_dimension_where_the_sphere_area_underflows(int inputDim)
    {
        Assert.Equal(0.0, PaperClaims.SphereArea(inputDim * 2));
        foreach (var degrees in new[] { 0.0, 10, 60, 89, 90, 91, 135, 179, 180 })
        {
            var theta = degrees * Math.PI / 180;
            Assert.True(Math.Abs(PaperClaims.Theorem21(inputDim, theta) - (Math.PI - theta) / (2 * Math.PI)) <= HypercapTolerance,
                $"n0 = {inputDim}, θ = {degrees}°");
        }
    }

    [Theory]
    [InlineData(2, 2 * Math.PI)]
    [InlineData(3, 4 * Math.PI)]
    [InlineData(4, 2 * Math.PI * Math.PI)]
    [InlineData(5, 8.0 / 3 * Math.PI * Math.PI)]
    public void Sphere_area_has_its_known_values(int n, double expected)
    {
        Assert.True(Math.Abs(PaperClaims.SphereArea(n) - expected) <= IdentityTolerance * expected);
    }

    [Theory]
    [MemberData(nameof(HypercapDimensions))]
    public void The_hypercap_integral_over_the_sphere_area_is_one_quarter_minus_phi_over_two_pi(int n)
    {
        foreach (var phi in new[] { 0.0, 0.2, 0.7, 1.2, 1.5, Math.PI / 2, 2.0 })
        {
            var expected = phi >= Math.PI / 2 ? 0 : 0.25 - phi / (2 * Math.PI);
            Assert.True(Math.Abs(PaperClaims.HypercapFraction(n, phi) - expected) <= HypercapTolerance, $"n = {n}, φ = {phi}");
            var literal = PaperClaims.HypercapIntegral(n, phi) / PaperClaims.SphereArea(n);
            Assert.True(Math.Abs(literal - expected) <= HypercapTolerance, $"n = {n}, φ = {phi}: J/A = {literal:R}");
        }
    }

    [Fact]
    public void For_two_inputs_dimensions_the_hypercap_integral_uses_the_limit_I_x_of_0_and_half_equal_1()
    {
        // n = 2: the "caps" are points of S^0 (A_1 = 2), so J_2^φ = ∫_φ^{π/2} 1 dψ = π/2 − φ.
        foreach (var phi in new[] { 0.0, 0.3, 1.0, 1.5 })
            Assert.True(Math.Abs(PaperClaims.HypercapIntegral(2, phi) - (Math.PI / 2 - phi)) <= HypercapTolerance);
        Assert.Equal(0.0, PaperClaims.HypercapIntegral(1, Math.PI / 2));
        Assert.Equal(0.5, PaperClaims.Theorem21(1, 0));
        Assert.Equal(0.0, PaperClaims.Theorem21(1, Math.PI));
        Assert.Throws<ArgumentOutOfRangeException>(() => PaperClaims.Theorem21(3, -0.1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Theorem_1_1_is_L_times_the_first_term_of_Theta_and_drops_the_deeper_sigma_terms(int depth)
    {
        for (var k = 0; k <= 12; k++)
        {
            var theta = Math.PI * k / 12;
            var (xa, xb) = AnalyticNtkTests.ScaledPair(5, theta, 1.3, 0.8);
            var pair = AnalyticNtk.Pair(xa, xb, depth);
            var firstTerm = pair.Sigma[0];
            foreach (var c in pair.Correlators) firstTerm *= 2 * c;
            var claim = PaperClaims.Theorem11(xa, xb, depth);
            Assert.True(Math.Abs(claim - depth * firstTerm) <= IdentityTolerance * 2, $"θ = {15 * k}°");
            if (depth == 1) // Θ = Σ^1·2c_1 + Σ^2 at L = 1: the claim misses exactly Σ^2
                Assert.True(Math.Abs(pair.Theta - claim - pair.Sigma[1]) <= IdentityTolerance * 2, $"θ = {15 * k}°");
        }
        // Zero at θ = π/2, where Θ is not.
        var (ua, ub) = AnalyticNtkTests.ScaledPair(5, Math.PI / 2, 1, 1);
        Assert.True(Math.Abs(PaperClaims.Theorem11(ua, ub, depth)) <= 1e-16);
        Assert.True(AnalyticNtk.Theta(ua, ub, depth) > 0.05);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(784)]
    public void Claims_proportional_to_the_inner_product_are_exactly_zero_for_orthogonal_pair_inputs(int inputDim)
    {
        // The sweep's pair at 90° is exactly orthogonal (its cosine is that of a quarter turn, exactly 0).
        var sweepPair = InputSet.PairDegrees(inputDim, 90);
        Assert.Equal(0.0, AnalyticNtk.Dot(sweepPair.Input(0), sweepPair.Input(1)));
        // A pair built with the runtime's cos π/2 = 6.1e-17, as a data file may hold it, is not.
        var xb = new double[inputDim];
        xb[0] = Math.Cos(Math.PI / 2);
        xb[1] = Math.Sin(Math.PI / 2);
        var xa = new double[inputDim];
        xa[0] = 1;
        Assert.NotEqual(0.0, AnalyticNtk.Dot(xa, xb));
        Assert.Equal(0.0, PaperClaims.Theorem11(xa, xb, 3));
        Assert.Equal(0.0, PaperClaims.Theorem22Bound(xa, xb, 3));
        // The smallest angle away from 90° that a sweep file can name (printed to 8 digits) keeps its value.
        var near = InputSet.Pair(inputDim, (90 - 1e-6) * Math.PI / 180);
        Assert.NotEqual(0.0, PaperClaims.Theorem11(near.Input(0), near.Input(1), 3));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Corollary_1_1_is_Theorem_1_1_on_the_diagonal_and_one_layer_short_of_the_exact_value(int depth)
    {
        double[] x = [0.5, -1.5, 2.0];
        var claim = PaperClaims.Corollary11(x, depth);
        var normSquared = x.Sum(v => v * v);
        Assert.True(Math.Abs(claim - 2.0 * depth * normSquared / 3) <= IdentityTolerance * claim);
        Assert.True(Math.Abs(claim - PaperClaims.Theorem11(x, x, depth)) <= IdentityTolerance * claim);
        Assert.True(Math.Abs(AnalyticNtk.ExactDiagonal(x, depth) - claim - 2.0 * normSquared / 3) <= IdentityTolerance * claim);
    }

    [Fact]
    public void Theorem_2_2_bound_is_four_L_over_n0_times_the_dot_product_times_c_1_and_is_below_Theta_at_right_angles()
    {
        const int depth = 3;
        var (xa, xb) = AnalyticNtkTests.ScaledPair(4, 2.0, 1.5, 0.5);
        var dot = xa.Zip(xb).Sum(p => p.First * p.Second);
        var expected = Math.Abs(dot) * 4.0 * depth / 4 * (Math.PI - 2.0) / (2 * Math.PI);
        Assert.True(Math.Abs(PaperClaims.Theorem22Bound(xa, xb, depth) - expected) <= 1e-10 * Math.Abs(expected));

        var (ua, ub) = AnalyticNtkTests.ScaledPair(4, Math.PI / 2, 1, 1);
        Assert.True(Math.Abs(PaperClaims.Theorem22Bound(ua, ub, depth)) <= 1e-16);
        Assert.True(AnalyticNtk.Theta(ua, ub, depth) > PaperClaims.Theorem22Bound(ua, ub, depth));
        // At θ = 0 the bound is 2L‖x‖²/n0·… = Corollary 1.1, below the exact diagonal 2(L+1)‖x‖²/n0.
        Assert.True(AnalyticNtk.Theta(ua, ua, depth) > PaperClaims.Theorem22Bound(ua, ua, depth));
    }

    [Fact]
    public void The_Remark_limit_is_one_quarter_while_the_analytic_correlators_approach_one_half()
    {
        Assert.Equal(0.25, PaperClaims.RemarkDeepCorrelatorLimit);
        var (xa, xb) = AnalyticNtkTests.ScaledPair(3, Math.PI / 2, 1, 1);
        var deep = AnalyticNtk.Pair(xa, xb, 50).Correlator(50);
        Assert.InRange(deep, 0.45, 0.5);
    }

    [Fact]
    public void The_independence_product_multiplies_the_layer_correlators()
    {
        Assert.Equal(1.0, PaperClaims.IndependenceProduct([]));
        Assert.Equal(0.25 * 0.3 * 0.4, PaperClaims.IndependenceProduct([0.25, 0.3, 0.4]));
        var (xa, xb) = AnalyticNtkTests.ScaledPair(3, 1.0, 1, 1);
        var pair = AnalyticNtk.Pair(xa, xb, 6);
        Assert.Equal(pair.PathProduct, PaperClaims.IndependenceProduct(pair.Correlators.AsSpan()));
    }
}
