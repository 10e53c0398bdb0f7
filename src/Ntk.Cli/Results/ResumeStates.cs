using System.Collections.Immutable;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Numerics.MonteCarlo;

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
}
