using Ntk.Numerics.Measurement;

namespace Ntk.Numerics.Claims;

/// <summary>
/// What the measurement says about a claim at one point: the project's one verdict vocabulary (docs/numerics.md §7),
/// spelled by <see cref="ClaimVerdicts.Name"/> in claims.csv, claims.md, results.json and the report.
/// </summary>
public enum ClaimVerdict
{
    /// <summary>The measurement agrees with the claim: |z| ≤ 3 (for the bound: z ≤ 3).</summary>
    Holds,
    /// <summary>The measurement contradicts the claim: |z| ≥ 5 (for the bound: z ≥ 5).</summary>
    Fails,
    /// <summary>Between the two thresholds, or no standard error yet (fewer than 2 trials).</summary>
    Inconclusive,
    /// <summary>The standard error cannot be trusted (heavy tails); the reason names the indicator.</summary>
    Unreliable,
    /// <summary>Both sides are identically the same constant (e.g. 0 = 0): the point carries no evidence.</summary>
    Degenerate,
    /// <summary>The point violates an assumption the paper states (named in the reason); z is still reported.</summary>
    NotApplicable,
}

/// <summary>
/// One paper claim evaluated at one point.
/// </summary>
/// <param name="ClaimId">One of <see cref="ClaimIds"/>.</param>
/// <param name="Statement">The claim in words, with the inputs it is applied to.</param>
/// <param name="Statistic">The measured statistic the claim is about.</param>
/// <param name="Predicted">The claim's value (for Theorem 2.2, the bound).</param>
/// <param name="Measured">The measured mean (for Theorem 2.2, |mean|).</param>
/// <param name="StandardError">The standard error used for <paramref name="Z"/>.</param>
/// <param name="Z">(Measured − Predicted)/SE; NaN without a standard error.</param>
/// <param name="Verdict">By the rule of <see cref="ClaimVerdicts"/> and the guards of <see cref="ClaimEvaluator"/>.</param>
/// <param name="Reason">One line saying why (the assumption violated, the indicator, the direction of a limit); may be empty.</param>
public sealed record ClaimResult(
    string ClaimId, string Statement, StatisticKey Statistic, double Predicted, double Measured,
    double StandardError, double Z, ClaimVerdict Verdict, string Reason = "");

/// <summary>The identifiers of the claims (docs/numerics.md §6), as they appear in claims.csv, claims.md and results.json.</summary>
public static class ClaimIds
{
    public const string Theorem11 = "theorem-1.1";
    public const string Corollary11 = "corollary-1.1";
    public const string Theorem21 = "theorem-2.1";
    public const string Theorem22 = "theorem-2.2";
    public const string Remark22 = "remark-2.2";
    public const string Independence = "independence";

    /// <summary>Jensen's inequality on the spectrum: E[λ_max(K)] ≥ λ_max(E[K]) (a check of the measurement, not a paper claim).</summary>
    public const string JensenSpectrum = "jensen-spectrum";

    /// <summary>Var[K_01] against its exact L = 1 value (Gaussian), or the infinite-width limit 0 where only that is known.</summary>
    public const string OffDiagonalVariance = "offdiag-variance";
}

/// <summary>
/// The verdict rule. For an equality claim z = (measured − predicted)/σ: Holds when |z| ≤ 3, Fails when |z| ≥ 5,
/// Inconclusive in between. For an upper bound (Theorem 2.2) z = (|measured| − bound)/σ: Holds when z ≤ 3 (below the
/// bound, or above it by at most 3σ), Fails when z ≥ 5, Inconclusive in between. σ is the standard error, floored at
/// 1e-12·max(|measured|, |predicted|) so that a statistic without sampling noise (e.g. the first-layer correlator at
/// θ = π, always 0) is compared to rounding, not to an exact zero; z = 0 when measured equals predicted exactly, and
/// z is NaN (Inconclusive) when the standard error is undefined.
/// </summary>
public static class ClaimVerdicts
{
    /// <summary>|z| at or below which a claim holds.</summary>
    public const double HoldsThreshold = 3.0;

    /// <summary>|z| at or above which a claim fails.</summary>
    public const double FailsThreshold = 5.0;

    /// <summary>Relative floor on σ: the rounding level of a mean of doubles and of the analytic formulas (~1e-13).</summary>
    public const double RelativeNoiseFloor = 1e-12;

    /// <summary>z = (measured − predicted)/σ with σ floored as described in the class summary.</summary>
    public static double ZScore(double measured, double predicted, double standardError)
    {
        if (double.IsNaN(standardError) || double.IsNaN(measured) || double.IsNaN(predicted)) return double.NaN;
        var difference = measured - predicted;
        if (difference == 0) return 0;
        var sigma = Math.Max(standardError, RelativeNoiseFloor * Math.Max(Math.Abs(measured), Math.Abs(predicted)));
        return difference / sigma;
    }

    /// <summary>The spelling of a verdict in every output: holds, fails, inconclusive, unreliable, degenerate, not-applicable.</summary>
    public static string Name(ClaimVerdict verdict) => verdict switch
    {
        ClaimVerdict.Holds => "holds",
        ClaimVerdict.Fails => "fails",
        ClaimVerdict.Inconclusive => "inconclusive",
        ClaimVerdict.Unreliable => "unreliable",
        ClaimVerdict.Degenerate => "degenerate",
        ClaimVerdict.NotApplicable => "not-applicable",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    /// <summary>Every verdict in the order outputs list them.</summary>
    public static readonly IReadOnlyList<ClaimVerdict> All =
    [
        ClaimVerdict.Fails, ClaimVerdict.Holds, ClaimVerdict.Inconclusive, ClaimVerdict.Unreliable,
        ClaimVerdict.Degenerate, ClaimVerdict.NotApplicable,
    ];

    /// <summary>Verdict of an equality claim from its z-score.</summary>
    public static ClaimVerdict ForEquality(double z) =>
        double.IsNaN(z) ? ClaimVerdict.Inconclusive
        : Math.Abs(z) <= HoldsThreshold ? ClaimVerdict.Holds
        : Math.Abs(z) >= FailsThreshold ? ClaimVerdict.Fails
        : ClaimVerdict.Inconclusive;

    /// <summary>Verdict of an upper bound from z = (|measured| − bound)/σ.</summary>
    public static ClaimVerdict ForUpperBound(double z) =>
        double.IsNaN(z) ? ClaimVerdict.Inconclusive
        : z <= HoldsThreshold ? ClaimVerdict.Holds
        : z >= FailsThreshold ? ClaimVerdict.Fails
        : ClaimVerdict.Inconclusive;
}
