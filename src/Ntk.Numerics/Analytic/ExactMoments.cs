using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Analytic;

/// <summary>
/// Exact finite-width mean and variance (over networks) of a statistic, where they are known: the
/// <c>exact_mean</c>, <c>exact_variance</c> columns of results.csv. Each formula is derived in docs/numerics.md §10 and
/// checked by Monte Carlo in ExactMomentsTests.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>ntk, a = b (Gaussian)</term><description>mean 2(L+1)‖x_a‖²/n0 at every width; variance at L = 1
/// (Var/E² = 3/n1)</description></item>
/// <item><term>ntk, a ≠ b, L = 1 (Gaussian)</term><description>mean Θ_ab; variance
/// [(16/n0²)(3s²c_1 + 2sJ_1 + J_2) − Θ_ab²]/n1, s = x_a·x_b</description></item>
/// <item><term>correlator l = 1, path_product at L = 1 (Gaussian)</term><description>c_1 = (π−θ)/(2π);
/// c_1(1 − c_1)/n1</description></item>
/// <item><term>correlator_cond l = 1</term><description>c_1; 0</description></item>
/// <item><term>pattern_agreement l = 1 (Gaussian)</term><description>1 − θ/π; (1 − θ/π)(θ/π)/n1</description></item>
/// <item><term>pattern_equal, pattern_equal_cond l = 1 (Gaussian)</term><description>(1 − θ/π)^n1; q(1 − q), resp. 0</description></item>
/// <item><term>active_fraction l (any law without atoms)</term><description>p_l/2 with p_l = Π_{j&lt;l}(1 − 2^−n_j);
/// p_l(1/(4n_l) + 1/4) − p_l²/4</description></item>
/// <item><term>dead_layer (any law without atoms)</term><description>q = 1 − Π_l(1 − 2^−n_l); q(1 − q)</description></item>
/// </list>
/// Everything else (and zero inputs): none.
/// </remarks>
public static class ExactMoments
{
    /// <summary>The exact (mean, variance) of statistic <paramref name="key"/> at <paramref name="point"/>; nulls where unknown.</summary>
    public static (double? Mean, double? Variance) For(PointDefinition point, StatisticKey key)
    {
        ArgumentNullException.ThrowIfNull(point);
        var network = point.Network;
        var law = network.Law;
        if (law.HasAtoms) return (null, null);
        var gaussian = law.Kind == WeightLawKind.Gaussian;
        var depth = network.Depth;
        var widths = network.Widths;
        switch (key.Kind)
        {
            case StatisticKind.Ntk when gaussian:
            {
                var xa = point.Inputs.Input(key.A);
                var xb = point.Inputs.Input(key.B);
                if (IsZero(xa) || IsZero(xb)) return (null, null);
                if (depth == 1) return DepthOneKernel(xa, xb, widths[0]);
                return key.A == key.B ? (AnalyticNtk.ExactDiagonal(xa, depth), null) : (null, null);
            }
            case StatisticKind.Correlator or StatisticKind.CorrelatorCond when gaussian && key.Layer == 1:
            case StatisticKind.PathProduct when gaussian && depth == 1:
            {
                var xa = point.Inputs.Input(key.A);
                var xb = point.Inputs.Input(key.B);
                if (IsZero(xa) || IsZero(xb)) return (null, null);
                var c1 = AnalyticNtk.FirstLayerCorrelator(AnalyticNtk.Angle(xa, xb));
                return (c1, key.Kind == StatisticKind.CorrelatorCond ? 0 : c1 * (1 - c1) / widths[0]);
            }
            case StatisticKind.PatternAgreement or StatisticKind.PatternEqual or StatisticKind.PatternEqualCond
                when gaussian && key.Layer == 1:
            {
                var xa = point.Inputs.Input(key.A);
                var xb = point.Inputs.Input(key.B);
                if (IsZero(xa) || IsZero(xb)) return (null, null);
                // Each row of W^1 puts x_a and x_b on the same side of its hyperplane with probability 1 − θ/π.
                var agree = 1 - AnalyticNtk.Angle(xa, xb) / Math.PI;
                var n = widths[0];
                if (key.Kind == StatisticKind.PatternAgreement) return (agree, agree * (1 - agree) / n);
                var equal = agree > 0 ? PortableMath.Exp(n * PortableMath.Log(agree)) : 0;
                return (equal, key.Kind == StatisticKind.PatternEqualCond ? 0 : equal * (1 - equal));
            }
            case StatisticKind.ActiveFraction:
            {
                if (IsZero(point.Inputs.Input(key.A))) return (null, null);
                var alive = AliveProbability(widths, key.Layer - 1);
                var n = widths[key.Layer - 1];
                return (alive / 2, alive * (1.0 / (4 * n) + 0.25) - alive * alive / 4);
            }
            case StatisticKind.DeadLayer:
            {
                if (IsZero(point.Inputs.Input(key.A))) return (null, null);
                var dead = 1 - AliveProbability(widths, depth);
                return (dead, dead * (1 - dead));
            }
            default:
                return (null, null);
        }
    }

    /// <summary>
    /// P(layers 1..<paramref name="layers"/> all have an active unit) = Π_{j ≤ layers}(1 − 2^−n_j): given a live
    /// previous layer every unit is active with probability 1/2, independently (symmetric law without atoms).
    /// </summary>
    public static double AliveProbability(IReadOnlyList<int> widths, int layers)
    {
        var p = 1.0;
        for (var j = 0; j < layers; j++) p *= 1 - Math.ScaleB(1.0, -widths[j]);
        return p;
    }

    /// <summary>
    /// L = 1, Gaussian weights: K_ab = (1/n1) Σ_i T_i with iid T = (4/n0)[s ξ_a ξ_b v² + relu(g_a) relu(g_b)]
    /// (docs/numerics.md §10), so E K = E T = Θ_ab and Var K = (E T² − Θ²)/n1 with
    /// E T² = (16/n0²)(3s²c_1 + 2sJ_1 + J_2), J_k = E[relu(g_a)^k relu(g_b)^k] = ‖x_a‖^k‖x_b‖^k J_k(θ)/(2π)
    /// (Cho &amp; Saul 2009: J_1(θ) = sin θ + (π−θ) cos θ, J_2(θ) = 3 sin θ cos θ + (π−θ)(1 + 2cos²θ)).
    /// </summary>
    public static (double Mean, double Variance) DepthOneKernel(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, int width)
    {
        var n0 = xa.Length;
        var normA = Math.Sqrt(Dot(xa, xa));
        var normB = Math.Sqrt(Dot(xb, xb));
        var s = Dot(xa, xb);
        // θ, cos θ and sin θ from the clamped cosine, not the C runtime's sin and cos of θ (docs/numerics.md §14); (1 − c)
        // is exact for c ≥ ½, so sin θ keeps its relative accuracy at small angles.
        var cos = AnalyticNtk.Cosine(xa, xb);
        var theta = PortableMath.Acos(cos); // AnalyticNtk.Angle
        var c1 = (Math.PI - theta) / (2 * Math.PI);
        var sin = Math.Sqrt(Math.Max(0.0, (1 - cos) * (1 + cos)));
        var j1 = normA * normB * (sin + (Math.PI - theta) * cos) / (2 * Math.PI);
        var j2 = normA * normA * normB * normB * (3 * sin * cos + (Math.PI - theta) * (1 + 2 * cos * cos)) / (2 * Math.PI);
        var mean = 4.0 / n0 * (s * c1 + j1);
        var second = 16.0 / ((double)n0 * n0) * (3 * s * s * c1 + 2 * s * j1 + j2);
        return (mean, Math.Max(second - mean * mean, 0) / width);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static bool IsZero(ReadOnlySpan<double> x)
    {
        foreach (var v in x)
            if (v != 0) return false;
        return true;
    }
}
