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
/// <item>jensen-spectrum (m ≥ 2, kernel and spectrum recorded; a check, every law): E[λ_max] ≥ λ_max(E K), one-sided.</item>
/// <item>offdiag-variance (m ≥ 2, kernel recorded; every law): Var[K_01] against its exact L = 1 value (Gaussian), or
/// inconclusive next to the infinite-width limit 0.</item>
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
        // Checks of the measurement (docs/numerics.md §7.5, §11), not claims of the paper: they hold for every law.
        if (kernel && layout.Has(StatisticGroups.Spectrum)) results.Add(JensenSpectrum(point, merged));
        if (kernel) results.Add(OffDiagonalVariance(point, merged, pa, pb));
        return results.ToImmutable();
    }

    /// <summary>
    /// Jensen's inequality for the convex function λ_max: E[λ_max(K)] ≥ λ_max(E[K]). Predicted: λ_max of the matrix of
    /// measured means K̄ (computed once, here); measured: the mean of the per-network λ_max. One-sided: holds when
    /// z = (measured − predicted)/σ ≥ −5, fails otherwise (a failure would mean the spectrum or the kernel is measured
    /// wrongly). σ = SE(λ̄_max) + √(Σ_{a,b} SE(K̄_ab)²) over the full matrix: by Weyl's inequality
    /// |λ_max(K̄) − λ_max(E K)| ≤ ‖K̄ − E K‖_2 ≤ ‖K̄ − E K‖_F, whose root mean square is that square root, and the SD of a
    /// difference is at most the sum of the SDs (Minkowski); so σ is an upper bound, the safe direction for a check
    /// that must hold (docs/numerics.md §7.5).
    /// </summary>
    private static ClaimResult JensenSpectrum(PointDefinition point, PointAccumulator merged)
    {
        var layout = point.Layout;
        var m = point.Inputs.Count;
        var matrix = new double[m * m];
        var squaredErrors = 0.0;
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++)
            {
                var index = layout.Ntk(a, b);
                matrix[a * m + b] = merged.Mean(index);
                var error = merged.StandardError(index);
                squaredErrors += error * error;
            }
        var eigenvalues = new double[m];
        LinearAlgebra.SymmetricEigensolver.SymmetricEigenvalues(matrix, m, eigenvalues);
        var predicted = eigenvalues.Max();
        var lambda = layout.LambdaMaxIndex;
        var measured = merged.Mean(lambda);
        var standardError = merged.Count >= 2 ? merged.StandardError(lambda) + Math.Sqrt(squaredErrors) : double.NaN;
        var z = ClaimVerdicts.ZScore(measured, predicted, standardError);
        var byZ = double.IsNaN(z) ? ClaimVerdict.Inconclusive
            : z >= -ClaimVerdicts.FailsThreshold ? ClaimVerdict.Holds : ClaimVerdict.Fails;
        var (verdict, reason) = Guard(point, merged, [lambda], measured, predicted, notApplicable: null, ntkTail: true, byZ);
        if (reason.Length == 0 && !double.IsNaN(z))
            reason = string.Create(CultureInfo.InvariantCulture,
                $"E[λ_max] − λ_max(E K) = {measured - predicted:G4} (one-sided: holds when z ≥ −{ClaimVerdicts.FailsThreshold:G})");
        return new ClaimResult(ClaimIds.JensenSpectrum,
            $"E[λ_max(K)] ≥ λ_max(E[K]) (Jensen, λ_max convex; m = {m})",
            layout.Keys[lambda], predicted, measured, standardError, z, verdict, reason);
    }

    /// <summary>
    /// The variance over networks of the off-diagonal entry K_ab (a question the paper leaves open). Measured: the sample
    /// variance s², SE ≈ s²√((G2 + 2 + 2/(n − 1))/n) (G2 the sample excess kurtosis; Var s² = (μ4 − σ⁴(n−3)/(n−1))/n).
    /// Predicted, where exact (Gaussian weights, L = 1): [(16/n0²)(3s²c_1 + 2sJ_1 + J_2) − Θ_ab²]/n1 (docs/numerics.md
    /// §10), judged by the equality rule. Elsewhere only the infinite-width limit is known: Var K_ab → 0 (K → Θ), so the
    /// predicted column holds 0, z is not computed and the verdict is inconclusive; the reason gives the normalized
    /// variance Var/β, β = Σ_l 1/n_l, which at L = 1 is exactly the width-independent Var T (docs/science.md §7).
    /// </summary>
    private static ClaimResult OffDiagonalVariance(PointDefinition point, PointAccumulator merged, int a, int b)
    {
        var layout = point.Layout;
        var index = layout.Ntk(a, b);
        var key = layout.Keys[index];
        var n = merged.Count;
        var measured = merged.Variance(index);
        var standardError = double.NaN;
        if (n >= 2 && measured == 0) standardError = 0;
        else if (n >= 4)
        {
            var excess = merged.Kurtosis(index);
            standardError = measured * Math.Sqrt(Math.Max(excess + 2 + 2.0 / (n - 1), 0) / n);
        }
        var beta = point.Network.Widths.Sum(w => 1.0 / w);
        var exact = ExactMoments.For(point, key).Variance;
        var statement = $"Var[K_{a}{b}] = exact L = 1 value; infinite-width limit 0 (L = {point.Network.Depth}, widths {point.Network.WidthsLabel})";
        var normalized = string.Create(CultureInfo.InvariantCulture, $"Var/β = {measured / beta:G4} (β = Σ 1/n_l = {beta:G3})");

        // K_ab the same number in every network (θ = 180° at L = 1: no unit is active for both inputs, and the second
        // layer's Gram is 0) and an exact value that vanishes up to rounding: no evidence either way.
        var scale = Math.Abs(merged.Mean(layout.Ntk(a, a)) * merged.Mean(layout.Ntk(b, b)));
        if (n >= 2 && merged.Minimum(index) == merged.Maximum(index) &&
            (exact is null || Math.Abs(exact.Value) <= ClaimVerdicts.RelativeNoiseFloor * scale))
            return new ClaimResult(ClaimIds.OffDiagonalVariance, statement, key, exact ?? 0, measured, standardError,
                0, ClaimVerdict.Degenerate,
                string.Create(CultureInfo.InvariantCulture,
                    $"K_{a}{b} = {merged.Minimum(index):G6} in every network: both sides are identically 0, no evidence"));

        if (exact is { } predicted)
        {
            var z = ClaimVerdicts.ZScore(measured, predicted, standardError);
            var (verdict, reason) = Guard(point, merged, [index], measured, predicted, notApplicable: null, ntkTail: true,
                ClaimVerdicts.ForEquality(z));
            if (reason.Length == 0)
                reason = "exact at L = 1 (Gaussian); infinite-width limit 0; " + normalized +
                         string.Create(CultureInfo.InvariantCulture, $", exact n1·Var = {predicted * point.Network.Widths[0]:G4} at every width");
            return new ClaimResult(ClaimIds.OffDiagonalVariance, statement, key, predicted, measured, standardError, z, verdict, reason);
        }
        return new ClaimResult(ClaimIds.OffDiagonalVariance, statement, key, 0, measured, standardError, double.NaN,
            ClaimVerdict.Inconclusive,
            "no exact finite-width value here (known at L = 1, Gaussian weights); only the infinite-width limit 0 is known; " + normalized);
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
