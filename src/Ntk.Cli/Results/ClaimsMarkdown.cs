using System.Globalization;
using System.Text;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Claims;

namespace Ntk.Cli.Results;

/// <summary>
/// claims.md: for each claim of the source paper (docs/science.md §6), its verdict counts, then either one table row per
/// point and statistic (predicted, measured ± standard error, z = (measured − predicted)/SE, verdict, reason) or, when a claim
/// has more than <see cref="ClaimDigest.FullTableRows"/> rows, the verdict counts along each sweep axis and the cases of
/// largest |z| (the full detail of every point is in results.csv). Rendered from a <see cref="ClaimDigest"/>, so its
/// size does not grow with the number of points past that.
/// </summary>
internal static class ClaimsMarkdown
{
    public static string Render(string sweepName, bool complete, ClaimDigest claims)
    {
        var text = new StringBuilder();
        text.Append("# Claims of the paper, measured: ").Append(sweepName).Append("\n\n");
        text.Append("The paper: ").Append(PaperClaims.Citation).Append(".\n\n");
        text.Append(complete
            ? "All points finished.\n\n"
            : "**Partial results**: the run has not finished; numbers will change.\n\n");
        text.Append(
            "Each row compares the paper's prediction with the Monte Carlo mean over sampled networks. " +
            "z = (measured − predicted) / SE; the verdict is *holds* when |z| ≤ 3, *fails* when |z| ≥ 5 " +
            "(for Theorem 2.2's bound: when the measured |E K_ab| exceeds the bound by 5 SE), otherwise *inconclusive*; " +
            "*unreliable* when the SE cannot be trusted (heavy tails), *degenerate* when both sides are identically the " +
            "same constant (no evidence), *not-applicable* when the point violates an assumption of the paper. " +
            "The reason column says which (the same rows are in claims.csv).\n\n");

        foreach (var group in claims.Groups)
        {
            text.Append("## ").Append(Title(group.ClaimId)).Append("\n\n");
            text.Append("Statement: ").Append(group.FirstStatement).Append("\n\n");
            text.Append("Verdict: ").Append(string.Join(", ", group.Counts.OrderBy(c => VerdictOrder(c.Key))
                .Select(c => $"{c.Key} at {c.Value} of {group.Total}"))).Append("\n\n");
            if (group.AllRows is { } rows)
            {
                AppendRows(text, rows);
                continue;
            }
            text.Append($"{group.Total} rows: the verdicts along each axis of the sweep, then the {group.Worst.Count} cases of largest |z|. " +
                        "Every point's measurements are in results.csv.\n\n");
            foreach (var axis in group.Axes.Keys)
            {
                var axisRows = group.AxisRows(axis);
                if (axisRows.Count == 0) continue;
                // One column per verdict this claim has, in the order of ClaimVerdict.
                var verdicts = group.Counts.Keys.OrderBy(VerdictOrder).ToList();
                text.Append("| ").Append(axis);
                foreach (var verdict in verdicts) text.Append(" | ").Append(verdict);
                text.Append(" |\n|---").Append(string.Concat(Enumerable.Repeat("|---:", verdicts.Count))).Append("|\n");
                foreach (var (label, counts) in axisRows)
                {
                    text.Append("| ").Append(label);
                    foreach (var verdict in verdicts) text.Append(" | ").Append(counts.GetValueOrDefault(verdict));
                    text.Append(" |\n");
                }
                text.Append('\n');
            }
            text.Append("Largest |z|:\n\n");
            AppendRows(text, group.Worst);
        }
        if (claims.Groups.Count == 0) text.Append("No claim applies to the points measured so far.\n");
        return text.ToString();
    }

    private static void AppendRows(StringBuilder text, IEnumerable<ClaimRow> rows)
    {
        text.Append("| point | depth | widths | n0 | weights | θ (deg) | statistic | predicted | measured ± SE | z | verdict | reason |\n");
        text.Append("|---:|---:|---|---:|---|---:|---|---:|---:|---:|---|---|\n");
        foreach (var row in rows)
        {
            var claim = row.Claim;
            text.Append("| ").Append(row.Point.ToString(CultureInfo.InvariantCulture))
                .Append(" | ").Append(row.Depth.ToString(CultureInfo.InvariantCulture))
                .Append(" | ").Append(string.Join("x", row.Widths))
                .Append(" | ").Append(row.InputDim.ToString(CultureInfo.InvariantCulture))
                .Append(" | ").Append(row.Weights)
                .Append(" | ").Append(row.ThetaDeg is { } t ? Format(t, 4) : "–")
                .Append(" | ").Append(Statistic(claim))
                .Append(" | ").Append(Format(claim.Predicted, 6))
                .Append(" | ").Append(Format(claim.Measured, 6)).Append(" ± ").Append(Format(claim.StdErr, 2))
                .Append(" | ").Append(Format(claim.Z, 3))
                .Append(" | ").Append(claim.Verdict == "fails" ? "**fails**" : claim.Verdict)
                .Append(" | ").Append(claim.Reason.Replace("|", "\\|"))
                .Append(" |\n");
        }
        text.Append('\n');
    }

    /// <summary>Verdicts in the order of <see cref="ClaimVerdict"/> (<see cref="ClaimVerdicts.All"/>); unknown names last.</summary>
    internal static int VerdictOrder(string verdict)
    {
        for (var i = 0; i < ClaimVerdicts.All.Count; i++)
            if (ClaimVerdicts.Name(ClaimVerdicts.All[i]) == verdict) return i;
        return ClaimVerdicts.All.Count;
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
        "jensen-spectrum" => "Check: Jensen on the spectrum (E[λ_max] ≥ λ_max(E K))",
        "offdiag-variance" => "Check: variance of the off-diagonal NTK (exact at L = 1, limit 0)",
        _ => claimId,
    };

    /// <summary>"ntk(0,1)", "corr(l=2; 0,1)": the statistic a claim row is about.</summary>
    internal static string Statistic(ClaimEntry claim)
    {
        var parts = new List<string>();
        if (claim.Layer is { } layer) parts.Add("l=" + layer.ToString(CultureInfo.InvariantCulture));
        if (claim.A is { } a) parts.Add(claim.B is { } b ? $"{a},{b}" : a.ToString(CultureInfo.InvariantCulture));
        return parts.Count == 0 ? claim.Stat : $"{claim.Stat}({string.Join("; ", parts)})";
    }

    internal static string Format(double value, int significant) =>
        double.IsNaN(value) ? "NaN"
        : double.IsInfinity(value) ? (value > 0 ? "∞" : "−∞")
        : value.ToString("G" + significant, CultureInfo.InvariantCulture);
}
