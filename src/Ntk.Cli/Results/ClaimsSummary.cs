using System.Text;

namespace Ntk.Cli.Results;

/// <summary>A few lines for the terminal: each claim's verdicts counted over the points (details in claims.md).</summary>
internal static class ClaimsSummary
{
    /// <summary>From the summary in results.json (never from the per-point files).</summary>
    public static string Render(string directory)
    {
        var file = ResultsJson.Read(Path.Combine(directory, ResultsJson.FileName));
        var text = new StringBuilder("claims (details in claims.md):");
        foreach (var claim in file.Summary.Claims)
        {
            var verdicts = claim.Verdicts.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}");
            text.Append('\n').Append("  ").Append(claim.Claim.PadRight(Math.Max(14, claim.Claim.Length + 2))).Append(string.Join(", ", verdicts));
            if (claim.LargestAbsZ is { } z) text.Append($"  (largest |z| = {z:G3})");
        }
        return text.ToString();
    }
}
