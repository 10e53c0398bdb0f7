using System.Collections.Immutable;
using System.Globalization;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Statistics;

namespace Ntk.Numerics.Claims;

/// <summary>
/// Puts each paper claim (SCIENCE.md §6) next to a point's merged measurements: predicted value, measured mean,
/// standard error, z and verdict (<see cref="ClaimVerdicts"/>). A pure function of (point, merged state).
/// </summary>
/// <remarks>
/// <para>Which claims and inputs. Off-diagonal claims are evaluated for the pairs a &lt; b and diagonal claims for each
/// input a, restricted for m &gt; 2 inputs to the pair (0, 1) and the diagonal of input 0 to keep reports readable:</para>
/// <list type="bullet">
/// <item>corollary-1.1 (per diagonal a): mean K_aa vs 2L‖x_a‖²/n0.</item>
/// <item>theorem-1.1 (per pair): mean K_ab vs (x_a·x_b)(L/n0) 2^{L+1} Π_l c_l^∞.</item>
/// <item>theorem-2.1 (per pair): mean of the direct correlator ĉ_1(a,b) vs the hypercap formula. (The conditional
/// estimator is deterministic at layer 1, so it cannot test anything there.)</item>
/// <item>theorem-2.2 (per pair): |mean K_ab| vs the bound |x_a·x_b| (4L/n0) c_1, one-sided.</item>
/// <item>remark-2.2 (per pair, L ≥ 2 only): mean ĉ_L(a,b) of the deepest layer vs 1/4.</item>
/// <item>independence (per pair, L ≥ 2 only; at L = 1 both sides are the same number): mean path product
/// E[Π_l ĉ_l] vs the product of the per-layer means Π_l E[ĉ_l], both measured. Its standard error is
/// √(SE_P² + Σ_l (Π_{k≠l} ĉ̄_k)² SE_l²): the path product's SE plus the delta-method SE of the product of means.
/// It ignores covariances; the dominant one, between the path product and the layer correlators (the same networks
/// drive both), is positive, so this SE tends to be conservative.</item>
/// </list>
/// </remarks>
public static class ClaimEvaluator
{
    /// <summary>
    /// All claims that apply to <paramref name="point"/>, in the order listed in the remarks, pair by pair. A claim whose
    /// statistics the point does not record (<see cref="StatisticGroups"/>) is left out.
    /// </summary>
    public static ImmutableArray<ClaimResult> Evaluate(PointDefinition point, PointAccumulator merged)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(merged);
        var layout = point.Layout;
        if (!PointAccumulator.SameLayout(layout, merged.Layout))
            throw new ArgumentException("the accumulator was not built for this point's layout", nameof(merged));

        var m = point.Inputs.Count;
        var depth = point.Network.Depth;
        var n0 = point.Network.InputDim;
        var results = ImmutableArray.CreateBuilder<ClaimResult>();

        var kernel = layout.Has(StatisticGroups.Kernel);
        var correlators = layout.Has(StatisticGroups.Correlators);
        var diagonals = kernel ? (m > 2 ? 1 : m) : 0;
        for (var a = 0; a < diagonals; a++)
        {
            var index = layout.Ntk(a, a);
            var predicted = PaperClaims.Corollary11(point.Inputs.Input(a), depth);
            results.Add(Equality(ClaimIds.Corollary11,
                $"E[K_{a}{a}] = 2L‖x_{a}‖²/n0 (L = {depth}, n0 = {n0})", layout, index, predicted, merged));
        }

        // For m = 2 the only pair is (0, 1); for m > 2 the report is restricted to it.
        (int A, int B)[] pairs = m >= 2 ? [(0, 1)] : [];
        foreach (var (a, b) in pairs)
        {
            var xa = point.Inputs.Input(a);
            var xb = point.Inputs.Input(b);
            var ntk = kernel ? layout.Ntk(a, b) : -1;

            if (kernel)
                results.Add(Equality(ClaimIds.Theorem11,
                    $"E[K_{a}{b}] = (x_{a}·x_{b})(L/n0) 2^(L+1) Π_l c_l with infinite-width c_l (L = {depth}, n0 = {n0})",
                    layout, ntk, PaperClaims.Theorem11(xa, xb, depth), merged));

            var theta = AnalyticNtk.Angle(xa, xb);
            if (correlators)
                results.Add(Equality(ClaimIds.Theorem21,
                $"c_1({a},{b}) = hypercap formula 1/2 − J_n^(π/2−θ)/A_n (θ ≤ π/2), J_n^(θ−π/2)/A_n (θ > π/2) " +
                $"at θ = {Degrees(theta)}°, n = n0 = {n0}",
                layout, layout.Correlator(1, a, b), PaperClaims.Theorem21(n0, theta), merged));

            if (kernel)
            {
                var bound = PaperClaims.Theorem22Bound(xa, xb, depth);
                var measuredAbs = Math.Abs(merged.Mean(ntk));
                var standardError = merged.StandardError(ntk);
                var zBound = ClaimVerdicts.ZScore(measuredAbs, bound, standardError);
                results.Add(new ClaimResult(ClaimIds.Theorem22,
                    $"|E[K_{a}{b}]| ≤ |x_{a}·x_{b}| (4L/n0) c_1 (L = {depth}, n0 = {n0})",
                    layout.Keys[ntk], bound, measuredAbs, standardError, zBound, ClaimVerdicts.ForUpperBound(zBound)));
            }

            if (depth >= 2 && correlators)
            {
                results.Add(Equality(ClaimIds.Remark22,
                    $"deep correlators tend to 1/4: c_{depth}({a},{b}) = 1/4 (deepest layer, L = {depth})",
                    layout, layout.Correlator(depth, a, b), PaperClaims.RemarkDeepCorrelatorLimit, merged));
                if (layout.Has(StatisticGroups.PathProduct)) results.Add(Independence(layout, a, b, depth, merged));
            }
        }
        return results.ToImmutable();
    }

    private static ClaimResult Equality(
        string claimId, string statement, MeasurementLayout layout, int index, double predicted, PointAccumulator merged)
    {
        var measured = merged.Mean(index);
        var standardError = merged.StandardError(index);
        var z = ClaimVerdicts.ZScore(measured, predicted, standardError);
        return new ClaimResult(claimId, statement, layout.Keys[index], predicted, measured, standardError, z,
            ClaimVerdicts.ForEquality(z));
    }

    private static ClaimResult Independence(MeasurementLayout layout, int a, int b, int depth, PointAccumulator merged)
    {
        var means = new double[depth];
        var errors = new double[depth];
        for (var l = 1; l <= depth; l++)
        {
            var index = layout.Correlator(l, a, b);
            means[l - 1] = merged.Mean(index);
            errors[l - 1] = merged.StandardError(index);
        }
        var predicted = PaperClaims.IndependenceProduct(means);

        var pathIndex = layout.PathProduct(a, b);
        var pathError = merged.StandardError(pathIndex);
        var variance = pathError * pathError;
        for (var l = 0; l < depth; l++)
        {
            // ∂(Π_k c̄_k)/∂c̄_l = Π_{k≠l} c̄_k, computed without dividing (a mean may be 0).
            var others = 1.0;
            for (var k = 0; k < depth; k++)
                if (k != l) others *= means[k];
            variance += others * others * errors[l] * errors[l];
        }
        var standardError = Math.Sqrt(variance);
        var measured = merged.Mean(pathIndex);
        var z = ClaimVerdicts.ZScore(measured, predicted, standardError);
        return new ClaimResult(ClaimIds.Independence,
            $"E[Π_l ξ^l_{a} ξ^l_{b}] = Π_l E[ξ^l_{a} ξ^l_{b}] (path product vs product of the measured layer correlators, L = {depth})",
            layout.Keys[pathIndex], predicted, measured, standardError, z, ClaimVerdicts.ForEquality(z));
    }

    private static string Degrees(double radians) =>
        (radians * 180.0 / Math.PI).ToString("0.###", CultureInfo.InvariantCulture);
}
