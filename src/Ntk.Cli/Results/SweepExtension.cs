using System.Globalization;
using System.Text.Json;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cli.Results;

/// <summary>One field that differs between the sweep a run was started with and the one it is resumed with.</summary>
/// <param name="Path">The field in the normalized sweep ("trials", "network.widths").</param>
/// <param name="Extends">True when the change only asks for more of the same run (see <see cref="SweepExtension"/>).</param>
internal sealed record SweepChange(string Path, string Before, string After, bool Extends)
{
    public override string ToString() => $"{Path} {Before} → {After}";
}

/// <summary>
/// What changed between two sweeps, and which changes a resume can continue exactly. Trial t of point p samples a
/// network that is a pure function of (seed, p, t) (counter-based Philox streams, docs/numerics.md), and a point's
/// state is the in-order merge of its shards, so a run asked for more — a higher <c>trials</c>, a lower
/// <c>targetStdErr</c>, a higher <c>maxTrials</c> — continues from the saved prefix to the same bits as a fresh run of
/// the larger sweep. (A lower target cannot have stopped the old run earlier than the new one would: every prefix the
/// old run passed had a standard error above the old target, so above the new one.) Everything else (the seed, the
/// networks, the inputs, shardTrials, fewer trials, switching between trials and targetStdErr) makes different
/// points or a different order of merging, and is refused by the caller with the list of what changed.
/// </summary>
internal static class SweepExtension
{
    /// <summary>The fields of two normalized sweeps (as results.json stores them) that differ, in document order.</summary>
    public static IReadOnlyList<SweepChange> Compare(JsonElement before, JsonElement after)
    {
        var changes = new List<SweepChange>();
        Walk("", before, after, changes);
        return changes;
    }

    /// <summary>True when there are changes and every one of them extends the run.</summary>
    public static bool IsExtension(IReadOnlyList<SweepChange> changes) => changes.Count > 0 && changes.All(c => c.Extends);

    /// <summary>
    /// True when a saved prefix of <paramref name="shardsMerged"/> shards holding <paramref name="trials"/> trials is
    /// the same prefix in <paramref name="plan"/>: its shards have the same sizes there. Not so when the old run's last
    /// shard was cut short at the old trial cap and the new plan runs past it (that shard is full-size now); such a
    /// point is recomputed from its first trial.
    /// </summary>
    public static bool PrefixCarriesOver(SimulationPlan plan, int shardsMerged, long trials) =>
        Math.Min((long)shardsMerged * plan.ShardTrials, plan.Stopping.TrialCap) == trials;

    private static void Walk(string path, JsonElement before, JsonElement after, List<SweepChange> changes)
    {
        if (before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
        {
            var names = before.EnumerateObject().Select(p => p.Name)
                .Concat(after.EnumerateObject().Select(p => p.Name)).Distinct(StringComparer.Ordinal);
            foreach (var name in names)
            {
                var child = path.Length == 0 ? name : path + "." + name;
                var hasBefore = before.TryGetProperty(name, out var b);
                var hasAfter = after.TryGetProperty(name, out var a);
                if (hasBefore && hasAfter) Walk(child, b, a, changes);
                else changes.Add(new SweepChange(child, hasBefore ? Text(b) : "(absent)", hasAfter ? Text(a) : "(absent)", false));
            }
            return;
        }
        if (JsonElement.DeepEquals(before, after)) return;
        changes.Add(new SweepChange(path, Text(before), Text(after), Extends(path, before, after)));
    }

    /// <summary>More trials, a tighter target, a higher cap: the only changes that ask for more of the same run.</summary>
    private static bool Extends(string path, JsonElement before, JsonElement after)
    {
        if (before.ValueKind != JsonValueKind.Number || after.ValueKind != JsonValueKind.Number) return false;
        var (b, a) = (before.GetDouble(), after.GetDouble());
        return path switch
        {
            "trials" or "maxTrials" => a > b,
            "targetStdErr" => a < b,
            _ => false,
        };
    }

    /// <summary>A value as one short line (lists and objects in compact JSON).</summary>
    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetString()!,
        _ => JsonSerializer.Serialize(value),
    };
}
