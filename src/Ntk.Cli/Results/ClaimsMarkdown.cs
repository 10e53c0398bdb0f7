using System.Globalization;
using System.Text;
using Ntk.Cluster;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Claims;

namespace Ntk.Cli.Results;

/// <summary>
/// claims.md: for each claim of the source paper (SCIENCE.md §6), one table with a row per point and statistic:
/// predicted, measured ± standard error, z = (measured − predicted)/SE, and the verdict.
/// </summary>
internal static class ClaimsMarkdown
{
    public static string Render(SweepSnapshot snapshot, IReadOnlyDictionary<int, IReadOnlyList<ClaimResult>> claims)
    {
        var text = new StringBuilder();
        text.Append("# Claims of the paper, measured: ").Append(snapshot.Plan.Name).Append("\n\n");
        text.Append("The paper: ").Append(PaperClaims.Citation).Append(".\n\n");
        text.Append(snapshot.Complete
            ? "All points finished.\n\n"
            : "**Partial results**: the run has not finished; numbers will change.\n\n");
        text.Append(
            "Each row compares the paper's prediction with the Monte Carlo mean over sampled networks. " +
            "z = (measured − predicted) / SE; the verdict is *holds* when |z| ≤ 3, *fails* when |z| ≥ 5 " +
            "(for Theorem 2.2's bound: when the measured |E K_ab| exceeds the bound by 5 SE), otherwise *inconclusive*; " +
            "*unreliable* when the SE cannot be trusted (heavy tails), *degenerate* when both sides are identically the " +
            "same constant (no evidence), *not-applicable* when the point violates an assumption of the paper. " +
            "The reason column says which (the same rows are in claims.csv).\n\n");

        var all = claims.OrderBy(p => p.Key).SelectMany(p => p.Value.Select(c => (Point: p.Key, Claim: c))).ToList();
        foreach (var group in all.GroupBy(x => x.Claim.ClaimId))
        {
            var first = group.First().Claim;
            var counts = group.GroupBy(x => x.Claim.Verdict).ToDictionary(g => g.Key, g => g.Count());
            text.Append("## ").Append(Title(group.Key)).Append("\n\n");
            text.Append("Statement: ").Append(first.Statement).Append("\n\n");
            text.Append("Verdict: ").Append(string.Join(", ", counts.OrderBy(c => c.Key)
                .Select(c => $"{ClaimVerdicts.Name(c.Key)} at {c.Value} of {group.Count()}"))).Append("\n\n");
            text.Append("| point | depth | widths | n0 | weights | θ (deg) | statistic | predicted | measured ± SE | z | verdict | reason |\n");
            text.Append("|---:|---:|---|---:|---|---:|---|---:|---:|---:|---|---|\n");
            foreach (var (pointIndex, claim) in group)
            {
                var point = snapshot.Plan.Points[pointIndex];
                var network = point.Definition.Network;
                text.Append("| ").Append(pointIndex)
                    .Append(" | ").Append(network.Depth)
                    .Append(" | ").Append(network.WidthsLabel)
                    .Append(" | ").Append(network.InputDim)
                    .Append(" | ").Append(network.Law.Name)
                    .Append(" | ").Append(point.ThetaDegrees is { } t ? Format(t, 4) : "–")
                    .Append(" | ").Append(Statistic(claim))
                    .Append(" | ").Append(Format(claim.Predicted, 6))
                    .Append(" | ").Append(Format(claim.Measured, 6)).Append(" ± ").Append(Format(claim.StandardError, 2))
                    .Append(" | ").Append(Format(claim.Z, 3))
                    .Append(" | ").Append(Verdict(claim.Verdict))
                    .Append(" | ").Append(claim.Reason.Replace("|", "\\|"))
                    .Append(" |\n");
            }
            text.Append('\n');
        }
        if (all.Count == 0) text.Append("No claim applies to the points measured so far.\n");
        return text.ToString();
    }

    /// <summary>The heading of a claim in claims.md and report.md.</summary>
    internal static string Title(string claimId) => claimId switch
    {
        "theorem-1.1" => "Theorem 1.1 (mean of the off-diagonal NTK)",
        "corollary-1.1" => "Corollary 1.1 (mean of the diagonal NTK)",
        "theorem-2.1" => "Theorem 2.1 (first-layer correlator, hypercap formula)",
        "theorem-2.2" => "Theorem 2.2 (bound on the off-diagonal NTK)",
        "remark-2.2" => "Remark, §2.2 (deep correlators tend to 1/4)",
        "independence" => "Independence step (E[Π ξξ] = Π E[ξξ])",
        _ => claimId,
    };

    private static string Statistic(ClaimResult claim)
    {
        var key = claim.Statistic;
        var name = Ntk.Numerics.Measurement.StatisticNames.Of(key.Kind);
        var parts = new List<string>();
        if (key.Layer > 0) parts.Add("l=" + key.Layer);
        if (key.A >= 0) parts.Add(key.B >= 0 ? $"{key.A},{key.B}" : key.A.ToString(CultureInfo.InvariantCulture));
        return parts.Count == 0 ? name : $"{name}({string.Join("; ", parts)})";
    }

    private static string Verdict(ClaimVerdict verdict) =>
        verdict == ClaimVerdict.Fails ? "**fails**" : ClaimVerdicts.Name(verdict);

    internal static string Format(double value, int significant) =>
        double.IsNaN(value) ? "NaN"
        : double.IsInfinity(value) ? (value > 0 ? "∞" : "−∞")
        : value.ToString("G" + significant, CultureInfo.InvariantCulture);
}
