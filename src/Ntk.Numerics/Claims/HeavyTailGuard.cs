using System.Globalization;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;

namespace Ntk.Numerics.Claims;

/// <summary>
/// Decides when a mean's standard error cannot be trusted because the statistic is heavy-tailed (docs/numerics.md §7.3):
/// an analytic indicator for the NTK entries under Gaussian weights, and an empirical one for every statistic.
/// </summary>
/// <remarks>
/// <para>Analytic. The last term of K_aa is (2/n0)‖x‖² Π_l Y_l with Y_l = (2/n_l) Σ_i relu(g_i)² (g_i iid N(0,1),
/// independent across layers by rotational invariance). E[Y] = 1 and E[Y²] = 1 + 5/n, so E[T²]/E[T]² = Π(1 + 5/n_l);
/// the sample variance of n networks has relative standard deviation ≈ √(κ/n) with
/// κ = E[T⁴]/E[T²]² = Π_l E[Y_l⁴]/E[Y_l²]² (<see cref="FourthMomentRatio"/>). The SE is unreliable when
/// n &lt; <see cref="AnalyticTrialFactor"/>·κ (the variance estimate is then uncertain by more than ~30%).
/// |K_ab| ≤ √(K_aa K_bb) inherits the same tail.</para>
/// <para>Empirical. The largest single network's share of the sum of squared deviations,
/// max_t (x_t − x̄)² / Σ_t (x_t − x̄)², from the exact minimum and maximum: above <see cref="MaxLargestShare"/> fewer
/// than ~10 networks carry the variance, and the SE is an estimate from a handful of values.</para>
/// </remarks>
public static class HeavyTailGuard
{
    /// <summary>Trials needed per unit of κ for the analytic indicator to accept the SE.</summary>
    public const double AnalyticTrialFactor = 10;

    /// <summary>Largest share of the sum of squared deviations one network may carry.</summary>
    public const double MaxLargestShare = 0.1;

    /// <summary>E[Y²] = 1 + 5/n per layer: Π_l(1 + 5/n_l) = E[T²]/E[T]² of the last term of K_aa.</summary>
    public static double SecondMomentRatio(IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        var product = 1.0;
        foreach (var n in widths) product *= 1 + 5.0 / n;
        return product;
    }

    /// <summary>κ = Π_l E[Y_l⁴]/E[Y_l²]² (Gaussian weights), see the remarks.</summary>
    public static double FourthMomentRatio(IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        var product = 1.0;
        foreach (var n in widths)
        {
            var (second, fourth) = LayerFactorMoments(n);
            product *= fourth / (second * second);
        }
        return product;
    }

    /// <summary>
    /// E[Y²] and E[Y⁴] of Y = (2/n) Σ_{i=1}^n u_i with u = relu(g)², g ~ N(0,1): E[u^k] = ½(2k−1)!!
    /// (½·1, ½·3, ½·15, ½·105), raw moments of the sum by adding one unit at a time (binomial expansion).
    /// </summary>
    public static (double Second, double Fourth) LayerFactorMoments(int width)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width));
        ReadOnlySpan<double> u = [1, 0.5, 1.5, 7.5, 52.5];
        ReadOnlySpan<double> binomial = [1, 1, 1, 1, 2, 1, 1, 3, 3, 1, 1, 4, 6, 4, 1];
        Span<double> s = [1, 0, 0, 0, 0];
        Span<double> next = stackalloc double[5];
        for (var unit = 0; unit < width; unit++)
        {
            for (var j = 0; j <= 4; j++)
            {
                var sum = 0.0;
                for (var k = 0; k <= j; k++) sum += binomial[j * (j + 1) / 2 + k] * s[k] * u[j - k];
                next[j] = sum;
            }
            next.CopyTo(s);
        }
        var scale = 2.0 / width;
        return (s[2] * scale * scale, s[4] * scale * scale * scale * scale);
    }

    /// <summary>max_t (x_t − x̄)² / Σ_t (x_t − x̄)² for statistic <paramref name="index"/>; 0 for a constant statistic.</summary>
    public static double LargestShare(PointAccumulator merged, int index)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var n = merged.Count;
        if (n < 2) return double.NaN;
        var sum = merged.Variance(index) * (n - 1);
        if (!(sum > 0)) return 0;
        var mean = merged.Mean(index);
        var deviation = Math.Max(Math.Abs(merged.Maximum(index) - mean), Math.Abs(mean - merged.Minimum(index)));
        return deviation * deviation / sum;
    }

    /// <summary>
    /// Why the SE of statistic <paramref name="index"/> cannot be trusted, or null when it can.
    /// <paramref name="ntkTail"/>: the statistic is an NTK entry (the analytic indicator applies, Gaussian weights).
    /// </summary>
    public static string? Check(NetworkSpec network, PointAccumulator merged, int index, bool ntkTail)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(merged);
        var n = merged.Count;
        if (ntkTail && network.Law.Kind == WeightLawKind.Gaussian)
        {
            var kappa = FourthMomentRatio(network.Widths);
            if (n < AnalyticTrialFactor * kappa)
                return string.Create(CultureInfo.InvariantCulture,
                    $"heavy tail: κ = Π E[Y⁴]/E[Y²]² = {kappa:G3} needs ≥ {AnalyticTrialFactor:G}κ trials, have {n} " +
                    $"(E[T²]/E[T]² = Π(1 + 5/n_l) = {SecondMomentRatio(network.Widths):G3})");
        }
        var share = LargestShare(merged, index);
        if (share > MaxLargestShare)
            return string.Create(CultureInfo.InvariantCulture,
                $"heavy tail: one network carries {share:P0} of the sum of squared deviations (limit {MaxLargestShare:P0})");
        return null;
    }
}
