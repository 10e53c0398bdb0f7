using MathNet.Numerics;
using MathNet.Numerics.Distributions;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The laws of the generator's draws against their exact distributions (docs/numerics.md §12): moments, the
/// Kolmogorov–Smirnov and Anderson–Darling statistics of 10^7 Gaussians, tail frequencies beyond 4σ and 6σ, and the
/// same for every other weight law. Fixed seeds; every check is a z-score within ±5 (a p-value of a one-sided
/// statistic is turned into the z of the same upper-tail probability).
/// </summary>
public sealed class GaussianDistributionTests(ITestOutputHelper output)
{
    private const double MaxAbsZ = 5;

    /// <summary>E X^k of the standard normal for k = 1..8 (0, 1, 0, 3, 0, 15, 0, 105).</summary>
    private static readonly double[] NormalMoments = [1, 0, 1, 0, 3, 0, 15, 0, 105];

    [Fact]
    public void Ten_million_Gaussians_have_the_normal_moments_KS_and_AD_statistics_and_tail_frequencies()
    {
        const ulong seed = 20261202;
        const int trials = 10;
        const int perTrial = 1_000_000;
        var draws = new double[trials * perTrial];
        for (var t = 0; t < trials; t++)
        {
            var stream = RandomStream.For(seed, 3, t);
            stream.FillGaussian(draws.AsSpan(t * perTrial, perTrial));
        }
        output.WriteLine($"seed {seed}, point 3, trials 0..{trials - 1}, {draws.Length} draws");

        // Moments 1..4: the z-test of E X^k needs Var X^k = E X^2k − (E X^k)².
        var sums = new double[5];
        foreach (var x in draws)
        {
            var x2 = x * x;
            sums[1] += x;
            sums[2] += x2;
            sums[3] += x2 * x;
            sums[4] += x2 * x2;
        }
        for (var k = 1; k <= 4; k++)
        {
            var variance = NormalMoments[2 * k] - NormalMoments[k] * NormalMoments[k];
            AssertZ((sums[k] / draws.Length - NormalMoments[k]) / Math.Sqrt(variance / draws.Length), $"E X^{k}");
        }

        // Tails: beyond 4σ (both signs), and beyond r (the ziggurat's tail start: the tail path's total mass).
        AssertFrequency(draws.Count(x => Math.Abs(x) > 4), draws.Length, SpecialFunctions.Erfc(4 / Constants.Sqrt2), "P(|X| > 4)");
        AssertFrequency(draws.Count(x => Math.Abs(x) > ZigguratTables.TailStart), draws.Length,
            SpecialFunctions.Erfc(ZigguratTables.TailStart / Constants.Sqrt2), "P(|X| > r)");
        AssertFrequency(draws.Count(x => x > 0), draws.Length, 0.5, "P(X > 0)");

        Array.Sort(draws);
        AssertGoodnessOfFit(draws, x => Normal.CDF(0, 1, x), x => Normal.CDF(0, 1, -x), "N(0, 1)");
    }

    [Fact]
    public void The_tail_beyond_r_has_the_normal_conditional_law_and_frequencies_beyond_5_and_6_sigma()
    {
        // r ≈ 4.04: P(X > 6 | X > r) = 3.7e-5, so 10^6 tail draws hold ~37 of them (the whole generator would need
        // ~2·10^10 draws for as many); 4σ is below r (the 10^7-draw test counts it).
        const int count = 1_000_000;
        var r = ZigguratTables.TailStart;
        var stream = RandomStream.For(8128, 0, 0);
        var draws = new double[count];
        for (var i = 0; i < count; i++) draws[i] = ZigguratGaussian.TailFromOverflow(ref stream);
        Assert.All(draws, x => Assert.True(x > r));
        var tailMass = SpecialFunctions.Erfc(r / Constants.Sqrt2);
        AssertFrequency(draws.Count(x => x > 5), count, SpecialFunctions.Erfc(5 / Constants.Sqrt2) / tailMass, "P(X > 5 | X > r)");
        AssertFrequency(draws.Count(x => x > 6), count, SpecialFunctions.Erfc(6 / Constants.Sqrt2) / tailMass, "P(X > 6 | X > r)");
        // Sorted, against the conditional CDF 1 − Q(x)/Q(r) and its complement Q(x)/Q(r) (Q(x) = erfc(x/√2)/2).
        Array.Sort(draws);
        AssertGoodnessOfFit(draws, x => 1 - Upper(x) / Upper(r), x => Upper(x) / Upper(r), "N(0, 1) | X > r");

        static double Upper(double x) => 0.5 * SpecialFunctions.Erfc(x / Constants.Sqrt2);
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("laplace")]
    [InlineData("student-t:10")]
    [InlineData("student-t:5")]
    [InlineData("student-t:3")]
    public void Every_other_weight_law_has_its_KS_AD_statistics_and_tail_frequencies(string lawName)
    {
        const int count = 500_000; // Student-t's distribution function (an incomplete beta) costs ~2 µs a draw
        var law = WeightLaw.Parse(lawName);
        var stream = RandomStream.For(31337, 2, 5);
        var draws = new double[count];
        stream.Fill(law, draws);
        output.WriteLine($"law {law.Name}, seed 31337, point 2, trial 5, {count} draws");
        Func<double, double> cdf, upper;
        switch (law.Kind)
        {
            case WeightLawKind.Uniform:
                var half = Math.Sqrt(3);
                cdf = x => Math.Clamp((x + half) / (2 * half), 0, 1);
                upper = x => Math.Clamp((half - x) / (2 * half), 0, 1);
                break;
            case WeightLawKind.Laplace:
                var b = 1 / Math.Sqrt(2);
                cdf = x => x < 0 ? 0.5 * Math.Exp(x / b) : 1 - 0.5 * Math.Exp(-x / b);
                upper = x => cdf(-x);
                break;
            case WeightLawKind.StudentT:
                var nu = law.DegreesOfFreedom;
                var scale = Math.Sqrt((nu - 2) / nu);
                cdf = x => StudentT.CDF(0, 1, nu, x / scale);
                upper = x => StudentT.CDF(0, 1, nu, -x / scale);
                break;
            default:
                throw new InvalidOperationException(law.Name);
        }
        foreach (var t in new[] { 4.0, 6.0 })
        {
            var exact = 2 * upper(t);
            if (exact == 0) Assert.DoesNotContain(draws, x => Math.Abs(x) > t);
            else AssertFrequency(draws.Count(x => Math.Abs(x) > t), count, exact, $"P(|X| > {t})");
        }
        AssertFrequency(draws.Count(x => x > 0), count, 0.5, "P(X > 0)");
        Array.Sort(draws);
        AssertGoodnessOfFit(draws, cdf, upper, law.Name);
    }

    [Fact]
    public void Rademacher_draws_are_fair_signs()
    {
        const int count = 1_000_000;
        var stream = RandomStream.For(31337, 2, 6);
        var draws = new double[count];
        stream.Fill(WeightLaw.Rademacher, draws);
        Assert.All(draws, x => Assert.True(x is 1.0 or -1.0));
        AssertFrequency(draws.Count(x => x > 0), count, 0.5, "P(X = +1)");
    }

    /// <summary>
    /// Kolmogorov–Smirnov and Anderson–Darling statistics of sorted <paramref name="sorted"/> against a continuous law
    /// (<paramref name="cdf"/> F and its complement 1 − F, given separately for accuracy in the upper tail).
    /// </summary>
    private void AssertGoodnessOfFit(double[] sorted, Func<double, double> cdf, Func<double, double> upper, string law)
    {
        var n = sorted.Length;
        var d = 0.0;
        var logLower = new double[n];
        var logUpper = new double[n];
        for (var i = 0; i < n; i++)
        {
            var f = cdf(sorted[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
            logLower[i] = Math.Log(f);
            logUpper[i] = Math.Log(upper(sorted[i]));
        }
        // A² = −n − (1/n) Σ (2i − 1)[ln F(x_i) + ln(1 − F(x_(n+1−i)))] (Anderson & Darling 1954).
        var sum = 0.0;
        for (var i = 0; i < n; i++) sum += (2.0 * i + 1) * (logLower[i] + logUpper[n - 1 - i]);
        var a2 = -n - sum / n;
        var ks = Math.Sqrt(n) * d;
        var ksZ = UpperTailZ(KolmogorovUpperTail(ks));
        var adZ = UpperTailZ(AndersonDarlingUpperTail(a2));
        output.WriteLine($"{law}: √n·D = {ks:F3} (z {ksZ:F2}), A² = {a2:F3} (z {adZ:F2}), n = {n}");
        Assert.True(ksZ <= MaxAbsZ, $"{law}: Kolmogorov–Smirnov √n·D = {ks:R}, z = {ksZ:F2}");
        Assert.True(adZ <= MaxAbsZ, $"{law}: Anderson–Darling A² = {a2:R}, z = {adZ:F2}");
    }

    /// <summary>P(K &gt; t) of the Kolmogorov distribution: 2 Σ_k (−1)^(k−1) exp(−2k²t²) (asymptotic in n).</summary>
    internal static double KolmogorovUpperTail(double t)
    {
        if (t < 0.3) return 1;
        var sum = 0.0;
        for (var k = 1; k <= 100; k++) sum += (k % 2 == 1 ? 2 : -2) * Math.Exp(-2.0 * k * k * t * t);
        return Math.Clamp(sum, 0, 1);
    }

    /// <summary>
    /// P(A² &gt; z) of the asymptotic Anderson–Darling distribution, by Marsaglia &amp; Marsaglia's approximation
    /// ("Evaluating the Anderson–Darling Distribution", J. Stat. Softw. 9(2), 2004; absolute error &lt; 2e-6, and its
    /// upper branch is the exact tail's double-exponential form).
    /// </summary>
    internal static double AndersonDarlingUpperTail(double z)
    {
        if (z <= 0) return 1;
        if (z < 2)
            return 1 - Math.Exp(-1.2337141 / z) / Math.Sqrt(z)
                * (2.00012 + (.247105 - (.0649821 - (.0347962 - (.011672 - .00168691 * z) * z) * z) * z) * z);
        // 1 − exp(−e) for e = exp(…): −expm1(−e), and e itself once e < 1e-8 (where 1 − exp(−e) would lose digits).
        var e = Math.Exp(1.0776 - (2.30695 - (.43424 - (.082433 - (.008056 - .0003146 * z) * z) * z) * z) * z);
        return e < 1e-8 ? e - 0.5 * e * e : 1 - Math.Exp(-e);
    }

    /// <summary>The z of an upper-tail probability p: Φ⁻¹(1 − p).</summary>
    private static double UpperTailZ(double p) => p <= 0 ? double.PositiveInfinity : -Normal.InvCDF(0, 1, p);

    private void AssertFrequency(int observed, int count, double probability, string what)
    {
        var expected = count * probability;
        var z = (observed - expected) / Math.Sqrt(count * probability * (1 - probability));
        output.WriteLine($"{what}: {observed} of {count}, expected {expected:F1}, z = {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"{what}: {observed} of {count}, expected {expected:F1}, z = {z:F2}");
    }

    private void AssertZ(double z, string what)
    {
        output.WriteLine($"{what}: z = {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"{what}: z = {z:F2}");
    }
}
