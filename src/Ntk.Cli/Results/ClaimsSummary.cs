using System.Text;

namespace Ntk.Cli.Results;

/// <summary>A few lines for the terminal: each claim's verdicts counted over the points (details in claims.md).</summary>
internal static class ClaimsSummary
{
    public static string Render(string directory)
    {
        var file = ResultsJson.Read(Path.Combine(directory, "results.json"));
        var text = new StringBuilder("claims (details in claims.md):");
        foreach (var claim in file.Points.SelectMany(p => p.Claims).GroupBy(c => c.Claim))
        {
            var verdicts = claim.GroupBy(c => c.Verdict).OrderBy(g => g.Key)
                .Select(g => $"{g.Key} {g.Count()}");
            var worst = claim.MaxBy(c => Math.Abs(c.Z))!;
            text.Append('\n').Append("  ").Append(claim.Key.PadRight(14)).Append(string.Join(", ", verdicts))
                .Append($"  (largest |z| = {Math.Abs(worst.Z):G3})");
        }
        return text.ToString();
    }
}
