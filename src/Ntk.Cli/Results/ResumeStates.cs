using System.Collections.Immutable;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Results;

/// <summary>Turns a previous run's results.json into the state the actors continue from.</summary>
internal static class ResumeStates
{
    /// <summary>
    /// One resume state per point that has merged shards. The merged state is the exact in-order prefix of shards
    /// 0..ShardsMerged−1, so continuing from it reproduces the uninterrupted run bit for bit. A point whose prefix has
    /// other shard sizes in <paramref name="plan"/> (an extended sweep, see <see cref="SweepExtension"/>) gets none.
    /// </summary>
    public static ImmutableArray<PointResumeState> From(ResultsFile previous, SimulationPlan plan)
    {
        CheckGenerator(previous.Software.Generator);
        var states = ImmutableArray.CreateBuilder<PointResumeState>();
        foreach (var point in previous.Points)
        {
            if (point.Point < 0 || point.Point >= plan.Points.Length)
                throw new InvalidInputException($"--resume: results.json has point {point.Point}, the sweep has {plan.Points.Length} points");
            if (point.ShardsMerged == 0) continue;
            // Resuming a sweep with more trials: a point whose last shard was cut short at the old cap starts over.
            if (!SweepExtension.PrefixCarriesOver(plan, point.ShardsMerged, point.Trials)) continue;
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(point.State);
            }
            catch (FormatException)
            {
                throw new InvalidInputException($"--resume: the saved state of point {point.Point} in results.json is corrupt");
            }
            states.Add(new PointResumeState(point.Point, point.ShardsMerged, ImmutableArray.Create(bytes)));
        }
        return states.ToImmutable();
    }

    /// <summary>
    /// A saved state continues only under the random sequence that drew it: shards drawn with another generator would
    /// mix two sequences into one result that no single run reproduces (docs/contract.md §7).
    /// </summary>
    public static void CheckGenerator(string? generator)
    {
        if (generator == RandomStream.GeneratorVersion) return;
        var made = generator is null ? "a generator older than the recorded versions" : $"generator \"{generator}\"";
        throw new InvalidInputException(
            $"--resume: results.json was drawn with {made}, this build draws with \"{RandomStream.GeneratorVersion}\"; " +
            "its trials cannot be continued. Start a fresh run (--force, or another --out)");
    }
}
