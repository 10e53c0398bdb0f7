using MathNet.Numerics;
using Ntk.Numerics.Analytic;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The portable pieces of Theorem 2.1's hypercap integral (docs/numerics.md §14) against MathNet.Numerics' special
/// functions (which call the C runtime) and against known values.
/// </summary>
public sealed class PortableQuadratureTests(ITestOutputHelper output)
{
    [Fact]
    public void Incomplete_beta_against_half_agrees_with_MathNet()
    {
        foreach (var a in new[] { 0.5, 1, 1.5, 4, 12.5, 48, 391, 1535 })
            foreach (var x in new[] { 1e-300, 1e-12, 0.01, 0.3, 0.5, 0.7, 0.99, 0.999, 1 - 1e-9, 1 - 1e-15 })
            {
                var logBeta = Math.Log(PortableQuadrature.BetaHalf(a));
                foreach (var (p, q) in new[] { (a, 0.5), (0.5, a) })
                {
                    var expected = SpecialFunctions.BetaRegularized(p, q, x);
                    var actual = PortableQuadrature.RegularizedBeta(p, q, x, logBeta);
                    // 1e-12: at x = 1e-300 both sides carry a·ln x ≈ −345 into the exponential (~1e-13 each).
                    Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Max(Math.Abs(expected), 1e-290),
                        $"I_{x:R}({p}, {q}): MathNet {expected:R}, portable {actual:R}");
                }
            }
        Assert.Equal(0.0, PortableQuadrature.RegularizedBeta(2, 0.5, 0, 0));
        Assert.Equal(1.0, PortableQuadrature.RegularizedBeta(2, 0.5, 1, 0));
    }

    [Fact]
    public void Beta_against_half_and_the_sphere_area_ratio_have_their_known_values()
    {
        Assert.Equal(Math.PI, PortableQuadrature.BetaHalf(0.5));
        Assert.Equal(2.0, PortableQuadrature.BetaHalf(1));
        Assert.Equal(Math.PI / 2, PortableQuadrature.BetaHalf(1.5), 15);
        Assert.Equal(4.0 / 3, PortableQuadrature.BetaHalf(2), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => PortableQuadrature.BetaHalf(0.7));
        foreach (var a in new[] { 2.5, 10, 99.5, 1000 })
        {
            // MathNet's ln B = ln Γ(a) + ln Γ(½) − ln Γ(a + ½) cancels: |ln Γ(1000)| ≈ 5,900 leaves it ~1e-12 relative.
            var expected = Math.Exp(SpecialFunctions.BetaLn(a, 0.5));
            Assert.True(Math.Abs(PortableQuadrature.BetaHalf(a) - expected) <= 5e-12 * expected, $"B({a}, ½)");
        }
        Assert.Equal(1 / Math.PI, PortableQuadrature.SphereAreaRatio(2));
        Assert.Equal(0.5, PortableQuadrature.SphereAreaRatio(3));
        foreach (var n in new[] { 4, 5, 10, 101, 784, 3072 })
        {
            // A_{n−1}/A_n = Γ(n/2)/(√π Γ((n−1)/2))
            var expected = Math.Exp(SpecialFunctions.GammaLn(n / 2.0) - SpecialFunctions.GammaLn((n - 1) / 2.0)) / Math.Sqrt(Math.PI);
            Assert.True(Math.Abs(PortableQuadrature.SphereAreaRatio(n) - expected) <= 1e-12 * expected, $"n = {n}");
        }
    }

    [Fact]
    public void Integer_powers_and_the_tanh_sinh_rule_are_accurate()
    {
        foreach (var x in new[] { 0.0, 1e-3, 0.5, 0.999999, 1, 1.7 })
            foreach (var k in new[] { 0, 1, 2, 3, 17, 1000 })
            {
                var expected = Math.Pow(x, k);
                Assert.True(Math.Abs(PortableQuadrature.PowInteger(x, k) - expected) <= 1e-13 * expected, $"{x}^{k}");
            }
        // Smooth, and bounded with algebraic singularities at an end (the cap integrand's kind, which the rule is made for).
        Assert.Equal(1.0, PortableQuadrature.TanhSinh(Math.Sin, 0, Math.PI / 2, 1e-12), 13);
        Assert.Equal(2.0 / 3, PortableQuadrature.TanhSinh(Math.Sqrt, 0, 1, 1e-12), 13);
        Assert.Equal(1 / 1.3, PortableQuadrature.TanhSinh(x => Math.Pow(x, 0.3), 0, 1, 1e-12), 13);
        Assert.Equal(Math.PI / 2, PortableQuadrature.TanhSinh(x => Math.Sqrt(1 - x * x), -1, 1, 1e-12), 13);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(784)]
    [InlineData(3072)]
    [InlineData(30720)] // 10× the largest input dimension the other tests use
    public void Theorem_2_1_is_within_a_few_1e_14_of_the_Gaussian_value_at_every_degree(int inputDim)
    {
        var worst = 0.0;
        for (var degrees = 0; degrees <= 180; degrees++)
        {
            var theta = degrees * Math.PI / 180;
            var error = Math.Abs(PaperClaims.Theorem21(inputDim, theta) - (Math.PI - theta) / (2 * Math.PI));
            worst = Math.Max(worst, error);
            // The sphere-area ratio's recurrence takes n0/2 rounded steps: the bound grows with n0 (measured: 1e-14 at
            // 3,072, 1e-13 at 30,720).
            Assert.True(error <= 2e-14 * (1 + inputDim / 3072.0), $"n0 = {inputDim}, θ = {degrees}°: off by {error:E2}");
        }
        output.WriteLine($"n0 = {inputDim}: largest difference {worst:E2}");
    }
}
