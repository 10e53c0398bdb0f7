using System.Collections.Immutable;
using System.Globalization;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;

namespace Ntk.Numerics.Claims;

/// <summary>
/// Puts each paper claim (docs/numerics.md §6) next to a point's merged measurements: predicted value, measured mean,
/// standard error, z, verdict and reason (docs/numerics.md §7). A pure function of (point, merged state, whether the
/// point is its group's limit point).
/// </summary>
/// <remarks>
/// <para>Which claims and inputs. Off-diagonal claims use the pair (0, 1) and diagonal claims each input a (input 0
/// only for m &gt; 2, to keep reports readable):</para>
/// <list type="bullet">
/// <item>corollary-1.1 (per diagonal a): mean K_aa vs 2L‖x_a‖²/n0.</item>
/// <item>theorem-1.1: mean K_01 vs (x_0·x_1)(L/n0) 2^{L+1} Π_l c_l^∞.</item>
/// <item>theorem-2.1: mean of the direct correlator ĉ_1(0,1) vs the hypercap formula (Gaussian weights only).</item>
/// <item>theorem-2.2: |mean K_01| vs the bound |x_0·x_1| (4L/n0) c_1, one-sided (Gaussian weights only).</item>
/// <item>remark-2.2 (a limit statement; only at the limit point of its group, see <see cref="LimitPoints"/>, L ≥ 2):
/// the deepest correlator ĉ_L vs 1/4, and its trend from layer ⌈L/2⌉ to L: does it approach 1/4 or move away?</item>
/// <item>independence (L ≥ 2): mean path product E[Π_l ĉ_l] vs Π_l E[ĉ_l], with the delta-method SE of the
/// difference from the full covariance matrix of (path product, ĉ_1 … ĉ_L).</item>
/// </list>
/// <para>Guards, in order: not-applicable (a law with atoms; a non-Gaussian law for §2's theorems), degenerate (both
/// sides the same constant), unreliable (<see cref="HeavyTailGuard"/>), then the z rule of <see cref="ClaimVerdicts"/>.</para>
/// </remarks>
public static class ClaimEvaluator
{
    /// <summary>All claims at <paramref name="point"/>, treating it as the limit point of its group (for the Remark).</summary>
    public static ImmutableArray<ClaimResult> Evaluate(PointDefinition point, PointAccumulator merged) =>
        Evaluate(point, merged, limitPoint: true);

    /// <summary>
    /// All claims that apply to <paramref name="point"/>, in the order listed in the remarks. A claim whose statistics
    /// the point does not record (<see cref="StatisticGroups"/>) is left out.
    /// </summary>
    /// <param name="limitPoint">The point is the deepest and widest of its group (<see cref="LimitPoints"/>): the
    /// Remark's limit statement is evaluated here and nowhere else.</param>
    public static ImmutableArray<ClaimResult> Evaluate(PointDefinition point, PointAccumulator merged, bool limitPoint)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(merged);
        var layout = point.Layout;
        if (!PointAccumulator.SameLayout(layout, merged.Layout))
            throw new ArgumentException("the accumulator was not built for this point's layout", nameof(merged));

        var m = point.Inputs.Count;
        var depth = point.Network.Depth;
        var n0 = point.Network.InputDim;
        var law = point.Network.Law;
        var results = ImmutableArray.CreateBuilder<ClaimResult>();

        var kernel = layout.Has(StatisticGroups.Kernel);
        var correlators = layout.Has(StatisticGroups.Correlators);

        // Section 1 of the paper: a symmetric law with mean 0, variance 1 and no atoms; §2: Gaussian weights.
        var atoms = law.HasAtoms
            ? $"the {law.Name} law has atoms; the paper's setting assumes a law without atoms"
            : null;
        var gaussianOnly = atoms ?? (law.Kind == WeightLawKind.Gaussian
            ? null
            : $"the paper's §2 assumes Gaussian weights; this point uses {law.Name}");

        var diagonals = kernel ? (m > 2 ? 1 : m) : 0;
        for (var a = 0; a < diagonals; a++)
        {
            var index = layout.Ntk(a, a);
            var predicted = PaperClaims.Corollary11(point.Inputs.Input(a), depth);
            results.Add(Equality(ClaimIds.Corollary11,
                $"E[K_{a}{a}] = 2L‖x_{a}‖²/n0 (L = {depth}, n0 = {n0})", point, merged, index, predicted, atoms, ntkTail: true));
        }

        if (m < 2) return results.ToImmutable();
        const int pa = 0, pb = 1;
        var xa = point.Inputs.Input(pa);
        var xb = point.Inputs.Input(pb);

        if (kernel)
            results.Add(Equality(ClaimIds.Theorem11,
                $"E[K_{pa}{pb}] = (x_{pa}·x_{pb})(L/n0) 2^(L+1) Π_l c_l with infinite-width c_l (L = {depth}, n0 = {n0})",
                point, merged, layout.Ntk(pa, pb), PaperClaims.Theorem11(xa, xb, depth), atoms, ntkTail: true));

        var theta = AnalyticNtk.Angle(xa, xb);
        if (correlators)
            results.Add(Equality(ClaimIds.Theorem21,
                $"c_1({pa},{pb}) = hypercap formula 1/2 − J_n^(π/2−θ)/A_n (θ ≤ π/2), J_n^(θ−π/2)/A_n (θ > π/2) " +
                $"at θ = {Degrees(theta)}°, n = n0 = {n0}",
                point, merged, layout.Correlator(1, pa, pb), PaperClaims.Theorem21(n0, theta), gaussianOnly, ntkTail: false));

        if (kernel) results.Add(Bound(point, merged, pa, pb, gaussianOnly));

        if (depth >= 2)
        {
            // The Remark speaks of two different inputs becoming uncorrelated; identical inputs (θ = 0) are outside it.
            var identical = atoms ?? (theta == 0 ? "the Remark concerns two different inputs; here θ = 0" : null);
            if (limitPoint && correlators) results.Add(RemarkLimit(point, merged, pa, pb, identical));
            if (correlators && layout.Has(StatisticGroups.PathProduct)) results.Add(Independence(point, merged, pa, pb, atoms));
        }
        return results.ToImmutable();
    }

    private static ClaimResult Equality(
        string claimId, string statement, PointDefinition point, PointAccumulator merged, int index, double predicted,
        string? notApplicable, bool ntkTail)
    {
        var measured = merged.Mean(index);
        var standardError = merged.StandardError(index);
        var z = ClaimVerdicts.ZScore(measured, predicted, standardError);
        var (verdict, reason) = Guard(point, merged, [index], measured, predicted, notApplicable, ntkTail, ClaimVerdicts.ForEquality(z));
        return new ClaimResult(claimId, statement, point.Layout.Keys[index], predicted, measured, standardError, z, verdict, reason);
    }

    private static ClaimResult Bound(PointDefinition point, PointAccumulator merged, int a, int b, string? notApplicable)
    {
        var layout = point.Layout;
        var ntk = layout.Ntk(a, b);
        var bound = PaperClaims.Theorem22Bound(point.Inputs.Input(a), point.Inputs.Input(b), point.Network.Depth);
        var measuredAbs = Math.Abs(merged.Mean(ntk));
        var standardError = merged.StandardError(ntk);
        var z = ClaimVerdicts.ZScore(measuredAbs, bound, standardError);
        var (verdict, reason) = Guard(point, merged, [ntk], measuredAbs, bound, notApplicable, ntkTail: true, ClaimVerdicts.ForUpperBound(z));
        return new ClaimResult(ClaimIds.Theorem22,
            $"|E[K_{a}{b}]| ≤ |x_{a}·x_{b}| (4L/n0) c_1 (L = {point.Network.Depth}, n0 = {point.Network.InputDim})",
            layout.Keys[ntk], bound, measuredAbs, standardError, z, verdict, reason);
    }

    /// <summary>
    /// The guards of the class remarks, then <paramref name="byZ"/>. Degenerate: every statistic in
    /// <paramref name="indices"/> was the same number in every network and measured equals predicted to rounding.
    /// </summary>
    private static (ClaimVerdict, string) Guard(
        PointDefinition point, PointAccumulator merged, int[] indices, double measured, double predicted,
        string? notApplicable, bool ntkTail, ClaimVerdict byZ)
    {
        if (notApplicable is not null) return (ClaimVerdict.NotApplicable, notApplicable);
        if (merged.Count < 2) return (byZ, "no standard error below 2 trials");
        if ( indices.All(i => merged.Minimum(i) == merged.Maximum(i)) &&
            Math.Abs(measured - predicted) <= ClaimVerdicts.RelativeNoiseFloor * Math.Max(Math.Abs(measured), Math.Abs(predicted)))
            return (ClaimVerdict.Degenerate,
                string.Create(CultureInfo.InvariantCulture,
                    $"both sides are identically {predicted:G6} (the statistic is the same in every network): no evidence"));
        foreach (var index in indices)
        {
            var heavy = HeavyTailGuard.Check(point.Network, merged, index, ntkTail);
            if (heavy is not null) return (ClaimVerdict.Unreliable, heavy);
        }
        return (byZ, "");
    }

    private static ClaimResult Independence(PointDefinition point, PointAccumulator merged, int a, int b, string? notApplicable)
    {
        var layout = point.Layout;
        var depth = point.Network.Depth;
        var indices = new int[depth + 1];
        indices[0] = layout.PathProduct(a, b);
        var means = new double[depth];
        for (var l = 1; l <= depth; l++)
        {
            indices[l] = layout.Correlator(l, a, b);
            means[l - 1] = merged.Mean(indices[l]);
        }
        var predicted = PaperClaims.IndependenceProduct(means);
        var measured = merged.Mean(indices[0]);

        // D = P̄ − Π_l c̄_l. Delta method: Var D ≈ gᵀ Σ g / n with g = (1, −g_1, …, −g_L), g_l = ∂(Π_k c̄_k)/∂c̄_l =
        // Π_{k≠l} c̄_k (computed without dividing: a mean may be 0), Σ the sample covariance of (P, ĉ_1, …, ĉ_L) in
        // one network. The covariances matter: P and the ĉ_l are driven by the same networks, and dropping them made
        // this SE 6–25× too large.
        var gradient = new double[depth + 1];
        gradient[0] = 1;
        for (var l = 0; l < depth; l++)
        {
            var others = 1.0;
            for (var k = 0; k < depth; k++)
                if (k != l) others *= means[k];
            gradient[l + 1] = -others;
        }
        var variance = 0.0;
        for (var i = 0; i <= depth; i++)
            for (var j = 0; j <= depth; j++)
                variance += gradient[i] * gradient[j] * merged.Covariance(indices[i], indices[j]);
        var standardError = merged.Count >= 2 ? Math.Sqrt(Math.Max(variance, 0) / merged.Count) : double.NaN;
        var z = ClaimVerdicts.ZScore(measured, predicted, standardError);
        // Degenerate and heavy-tail checks look at the path product: when it is identically 0 and the product of the
        // means is exactly 0, some layer's ĉ_l is identically 0 too (ĉ ≥ 0), so both sides vanish in every network
        // (θ = 180°: no unit is ever active for both inputs in layer 1). The ĉ_l are bounded averages of many units.
        var (verdict, reason) = Guard(point, merged, [indices[0]], measured, predicted, notApplicable, ntkTail: false, ClaimVerdicts.ForEquality(z));
        return new ClaimResult(ClaimIds.Independence,
            $"E[Π_l ξ^l_{a} ξ^l_{b}] = Π_l E[ξ^l_{a} ξ^l_{b}] (path product vs product of the measured layer correlators, L = {depth})",
            layout.Keys[indices[0]], predicted, measured, standardError, z, verdict, reason);
    }

    /// <summary>
    /// The Remark as a limit statement: at the deepest, widest point of its group, the deepest correlator against 1/4
    /// and against the infinite-width c_L^∞ (which tends to 1/2), and the direction of its trend over the second half of
    /// the network, ĉ_L − ĉ_{⌈L/2⌉} (SE from the covariance of the two layers). Holds when ĉ_L = 1/4 within 3 SE; fails
    /// when it is ≥ 5 SE from 1/4 and the trend moves away from 1/4 by ≥ 5 SE of the trend; inconclusive otherwise
    /// (far from 1/4, but approaching it or flat).
    /// </summary>
    private static ClaimResult RemarkLimit(PointDefinition point, PointAccumulator merged, int a, int b, string? notApplicable)
    {
        var layout = point.Layout;
        var depth = point.Network.Depth;
        var middle = (depth + 1) / 2;
        var last = layout.Correlator(depth, a, b);
        var earlier = layout.Correlator(middle, a, b);
        var predicted = PaperClaims.RemarkDeepCorrelatorLimit;
        var measured = merged.Mean(last);
        var standardError = merged.StandardError(last);
        var z = ClaimVerdicts.ZScore(measured, predicted, standardError);

        var trend = measured - merged.Mean(earlier);
        var trendVariance = merged.Variance(last) + merged.Variance(earlier) - 2 * merged.Covariance(last, earlier);
        var trendError = Math.Sqrt(Math.Max(trendVariance, 0) / merged.Count);
        var trendZ = ClaimVerdicts.ZScore(trend, 0, trendError);
        var away = Math.Sign(trend) == Math.Sign(measured - predicted);
        var infinite = AnalyticNtk.Pair(point.Inputs.Input(a), point.Inputs.Input(b), depth).Correlator(depth);
        var byZ = Math.Abs(z) <= ClaimVerdicts.HoldsThreshold ? ClaimVerdict.Holds
            : Math.Abs(z) >= ClaimVerdicts.FailsThreshold && away && Math.Abs(trendZ) >= ClaimVerdicts.FailsThreshold ? ClaimVerdict.Fails
            : ClaimVerdict.Inconclusive;
        var (verdict, reason) = Guard(point, merged, [last, earlier], measured, predicted, notApplicable, ntkTail: false, byZ);
        if (reason.Length == 0)
            reason = string.Create(CultureInfo.InvariantCulture,
                $"limit, evaluated at the deepest, widest point (L = {depth}, widths {point.Network.WidthsLabel}): " +
                $"ĉ_L − 1/4 = {measured - predicted:G4}; from layer {middle} to {depth} ĉ moved " +
                $"{trend:G3} (z = {trendZ:F1}) {(away ? "away from" : "toward")} 1/4; " +
                $"infinite width c_L = {infinite:0.####}, tending to 1/2");
        return new ClaimResult(ClaimIds.Remark22,
            $"deep correlators tend to 1/4 with increasing width and depth: c_L(0,1) → 1/4 (L = {depth})",
            layout.Keys[last], predicted, measured, standardError, z, verdict, reason);
    }

    private static string Degrees(double radians) =>
        (radians * 180.0 / Math.PI).ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// The points at which a limit statement (the Remark of §2.2: "with increasing width and depth") is evaluated: in each
/// group of points with the same input dimension, weight law and inputs, the deepest one, and among those the widest
/// (largest smallest width), the first in point order on ties.
/// </summary>
public static class LimitPoints
{
    /// <summary>The point indices (positions in <paramref name="points"/>) that are limit points.</summary>
    public static HashSet<int> Of(IReadOnlyList<PointDefinition> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var best = new Dictionary<(int, WeightLaw, InputSet), int>();
        for (var p = 0; p < points.Count; p++)
        {
            var network = points[p].Network;
            var key = (network.InputDim, network.Law, points[p].Inputs);
            if (!best.TryGetValue(key, out var current) || Deeper(network, points[current].Network)) best[key] = p;
        }
        return [.. best.Values];
    }

    private static bool Deeper(NetworkSpec candidate, NetworkSpec current) =>
        candidate.Depth > current.Depth || (candidate.Depth == current.Depth && candidate.Widths.Min() > current.Widths.Min());
}
