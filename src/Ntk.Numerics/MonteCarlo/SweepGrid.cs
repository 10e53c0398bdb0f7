using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;

namespace Ntk.Numerics.MonteCarlo;

/// <summary>How the inputs of every point of a grid are made.</summary>
public abstract record GridInputs
{
    private GridInputs() { }

    /// <summary>Number of inputs m of every point.</summary>
    public abstract int Count { get; }

    /// <summary>
    /// Two unit vectors at angle θ, in the plane turned by the phase φ (<see cref="InputSet.Pair"/>): one point per
    /// (φ, θ), θ varying fastest. Angles in degrees, each axis in the order given.
    /// </summary>
    public sealed record Pair(ImmutableArray<double> PhasesDegrees, ImmutableArray<double> ThetasDegrees) : GridInputs
    {
        public override int Count => 2;
    }

    /// <summary><paramref name="Points"/> inputs uniform on the unit sphere (<see cref="InputSets.Sphere"/>), one set per input dimension.</summary>
    public sealed record Sphere(int Points, ulong Seed) : GridInputs
    {
        public override int Count => Points;
    }

    /// <summary>Inputs listed value by value: <paramref name="Rows"/> rows of equal length (e.g. a CSV file).</summary>
    public sealed record Listed(ImmutableArray<ImmutableArray<double>> Rows) : GridInputs
    {
        public override int Count => Rows.Length;
    }
}

/// <summary>
/// The Cartesian product of a sweep's typed axes, expanded into numbered points. The numbering is part of every
/// trial's random stream (the point index keys <see cref="RandomStream.For"/>), so the order below is part of the
/// results' contract (docs/contract.md): input dimension, then network shape, then weight law, then engine, then
/// phase, then θ — the last varying fastest, each axis in the order given. Sphere and listed inputs have no phase or θ
/// axis: one point per (dimension, shape, law, engine).
/// </summary>
/// <param name="InputDims">The input dimensions n0.</param>
/// <param name="Shapes">The hidden-layer widths of each network shape (n_1..n_L).</param>
/// <param name="Laws">The weight laws.</param>
/// <param name="Engines">The engines as requested (<see cref="EngineKind.Auto"/> is resolved per point).</param>
/// <param name="Inputs">How each point's inputs are made.</param>
/// <param name="Statistics">The statistic groups every point records; null: <see cref="StatisticSelection.Default"/> for m inputs.</param>
/// <param name="LearningRates">The learning rates η of the instability indicators 1[λ_max &gt; 2/η] (docs/science.md §7); null: none.</param>
public sealed record SweepGrid(
    ImmutableArray<int> InputDims,
    ImmutableArray<ImmutableArray<int>> Shapes,
    ImmutableArray<WeightLaw> Laws,
    ImmutableArray<EngineKind> Engines,
    GridInputs Inputs,
    StatisticGroups? Statistics = null,
    IReadOnlyList<double>? LearningRates = null)
{
    /// <summary>The statistic groups every point records (<see cref="Statistics"/> or the default for m inputs).</summary>
    public StatisticGroups Groups => Statistics ?? StatisticSelection.Default(Inputs.Count);

    /// <summary>Number of points: the product of the axes' lengths (as a long: a typo can make it huge).</summary>
    public long PointCount =>
        (long)InputDims.Length * Shapes.Length * Laws.Length * Engines.Length *
        (Inputs is GridInputs.Pair pair ? (long)pair.PhasesDegrees.Length * pair.ThetasDegrees.Length : 1);

    /// <summary>The deepest network shape's number of hidden layers.</summary>
    public int MaxDepth => Shapes.Max(shape => shape.Length);

    /// <summary>
    /// An upper bound on the statistics of one point: <see cref="StatisticSelection.StatisticCount"/> at m inputs, the
    /// deepest shape, the selected groups, with the conditional statistics (the largest layout any point of the grid can have).
    /// </summary>
    public long MaxStatisticsPerPoint => StatisticSelection.StatisticCount(Inputs.Count, MaxDepth, conditional: true, Groups, LearningRates?.Count ?? 0);

    /// <summary>
    /// The points, numbered 0..P−1 in the grid's order, with master seed <paramref name="masterSeed"/>, and the engine
    /// each asked for (before <see cref="EngineKind.Auto"/> was resolved). Sphere inputs are drawn once per input
    /// dimension and shared by the points of that dimension.
    /// </summary>
    public (ImmutableArray<SweepPoint> Points, ImmutableArray<EngineKind> RequestedEngines) Expand(ulong masterSeed)
    {
        var count = checked((int)PointCount);
        var points = ImmutableArray.CreateBuilder<SweepPoint>(count);
        var engines = ImmutableArray.CreateBuilder<EngineKind>(count);
        foreach (var cell in Cells())
        {
            points.Add(new SweepPoint(
                new PointDefinition(points.Count, cell.Network, cell.Inputs, cell.Engine, masterSeed, Groups, LearningRates),
                cell.ThetaDegrees, cell.PhaseDegrees));
            engines.Add(cell.Engine);
        }
        return (points.MoveToImmutable(), engines.MoveToImmutable());
    }

    /// <summary>One point's coordinates.</summary>
    private readonly record struct Cell(
        NetworkSpec Network, InputSet Inputs, EngineKind Engine, double? ThetaDegrees, double? PhaseDegrees);

    /// <summary>The one place that fixes the order of the points (see the type's summary).</summary>
    private IEnumerable<Cell> Cells()
    {
        foreach (var inputDim in InputDims)
        {
            InputSet? shared = Inputs switch
            {
                GridInputs.Sphere sphere => InputSets.Sphere(inputDim, sphere.Points, sphere.Seed),
                GridInputs.Listed listed => new InputSet(inputDim, [.. listed.Rows.SelectMany(row => row)]),
                _ => null,
            };
            foreach (var widths in Shapes)
            foreach (var law in Laws)
            {
                var network = new NetworkSpec(inputDim, widths, law);
                foreach (var engine in Engines)
                {
                    if (shared is not null)
                    {
                        yield return new Cell(network, shared, engine, null, null);
                        continue;
                    }
                    var pair = (GridInputs.Pair)Inputs;
                    foreach (var phase in pair.PhasesDegrees)
                    foreach (var theta in pair.ThetasDegrees)
                        yield return new Cell(network, InputSet.PairDegrees(inputDim, theta, phase),
                            engine, theta, phase);
                }
            }
        }
    }
}
