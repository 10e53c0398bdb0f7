using System.Globalization;
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
        // One column for the verdicts, one space past the longest claim name of this run.
        var width = file.Summary.Claims.Select(c => c.Claim.Length + 1).DefaultIfEmpty(0).Max();
        foreach (var claim in file.Summary.Claims)
        {
            var verdicts = claim.Verdicts.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key} {v.Value}");
            text.Append('\n').Append("  ").Append(claim.Claim.PadRight(width)).Append(string.Join(", ", verdicts));
            if (claim.LargestAbsZ is { } z) text.Append("  (largest |z| = ").Append(z < 1000
                ? z.ToString("G3", CultureInfo.InvariantCulture)
                : z.ToString("F0", CultureInfo.InvariantCulture)).Append(')'); // 2650, not 2.65E+03
        }
        return text.ToString();
    }
}
