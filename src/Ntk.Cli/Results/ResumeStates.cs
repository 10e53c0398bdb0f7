using System.Collections.Immutable;
using Ntk.Cli.Terminal;
using Ntk.Cluster;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Randomness;

namespace Ntk.Cli.Results;

/// <summary>Turns a previous run's point-state store into the state the actors continue from.</summary>
internal static class ResumeStates
{
    /// <summary>
    /// One resume state per point that has merged shards: a finished point as Done without its state (the sink
    /// reads it back when results.csv reaches it), a point in flight with its latest checkpoint. The merged state is
    /// the exact in-order prefix of shards 0..ShardsMerged−1, so continuing from it reproduces the uninterrupted run
    /// bit for bit. Only the states of points in flight are read (bounded by the point window of the run that wrote
    /// them). A point whose prefix has other shard sizes in <paramref name="plan"/> (an extended sweep, see
    /// <see cref="SweepExtension"/>) gets none.
    /// </summary>
    public static ImmutableArray<PointResumeState> From(PointStateStore store, SimulationPlan plan)
    {
        var states = ImmutableArray.CreateBuilder<PointResumeState>();
        foreach (var point in store.Latest.Values.OrderBy(p => p.Point))
        {
            if (point.Point < 0 || point.Point >= plan.Points.Length)
                throw new InvalidInputException($"--resume: {PointStateStore.FileName} has point {point.Point}, the sweep has {plan.Points.Length} points");
            if (point.ShardsMerged == 0) continue;
            // Resuming a sweep with more trials: a point whose last shard was cut short at the old cap starts over.
            if (!SweepExtension.PrefixCarriesOver(plan, point.ShardsMerged, point.Trials)) continue;
            states.Add(point.Done
                ? new PointResumeState(point.Point, point.ShardsMerged, []) { Done = true }
                : new PointResumeState(point.Point, point.ShardsMerged, [.. store.ReadState(point)]));
        }
        return states.ToImmutable();
    }

    /// <summary>
    /// A saved state continues only under the random sequence that drew it and the engines that sampled it: shards of
    /// another generator or engine version would mix two sets of numbers into one result that no single run reproduces
    /// (docs/contract.md §7). Called by <see cref="ResultsDirectory.ReadForResume"/>, for ntk run and the coordinator
    /// alike, with results.json's <c>software.generator</c> and <c>software.engines</c> (null in older files).
    /// </summary>
    public static void CheckVersions(string? generator, string? engines)
    {
        Check("a generator", "generator", "drawn with", generator, RandomStream.GeneratorVersion);
        Check("engines", "engines", "sampled by", engines, EngineVersions.Current);

        static void Check(string older, string name, string verb, string? recorded, string current)
        {
            if (recorded == current) return;
            var made = recorded is null ? $"{older} older than the recorded versions" : $"{name} \"{recorded}\"";
            throw new InvalidInputException(
                $"--resume: results.json was {verb} {made}, this build uses {name} \"{current}\"; " +
                "its trials cannot be continued. Start a fresh run (--force, or another --out)");
        }
    }
}
