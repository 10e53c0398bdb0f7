using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.MonteCarlo;

namespace Ntk.Cli.Sweeps;

/// <summary>How the inputs of a sweep's points were given (docs/contract.md §5).</summary>
internal enum SweepInputKind
{
    /// <summary>Two unit vectors at angle θ; one point per angle (m = 2).</summary>
    Pair,
    /// <summary>count points uniform on the unit sphere; one point per network (m = count).</summary>
    Sphere,
    /// <summary>The rows of a CSV file; one point per network (m = rows).</summary>
    Csv,
}

/// <summary>What the file asked for at one point, next to what <see cref="SweepPoint"/> resolved.</summary>
/// <param name="RequestedEngine">The engine as written (may be <see cref="EngineKind.Auto"/>).</param>
internal sealed record SweepPointSource(EngineKind RequestedEngine);

/// <summary>
/// A sweep file read and checked: the plan to run, the same sweep as canonical JSON (every default filled in, every
/// axis written as a list; stored in results.json and readable again by <see cref="SweepReader"/>), and the warnings
/// the file deserves (e.g. a law with atoms). Points are numbered 0..P−1 in the order documented on
/// <see cref="SweepReader"/>.
/// </summary>
internal sealed record SweepDocument(
    string SourcePath,
    SimulationPlan Plan,
    SweepInputKind InputKind,
    ImmutableArray<SweepPointSource> Sources,
    string NormalizedJson,
    ImmutableArray<string> Warnings)
{
    public string Name => Plan.Name;
}
