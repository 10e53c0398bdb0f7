using Ntk.Numerics.Analytic;
using Ntk.Numerics.Networks;

namespace Ntk.Cli.Report;

/// <summary>
/// The analytic predictions as smooth functions of the angle θ, for drawing: results.json holds them only at the
/// sampled angles (often four or five), and a straight segment between those is not the function. Same inputs as
/// the sweep's pair points: unit vectors at angle θ in the plane of the first two coordinates (docs/contract.md §5).
/// </summary>
internal static class TheoryCurves
{
    /// <summary>Angles of a curve: every half degree from 0 to 180.</summary>
    public static IReadOnlyList<double> Angles { get; } = [.. Enumerable.Range(0, 361).Select(k => k * 0.5)];

    /// <summary>The infinite-width NTK Θ_01(θ) (arc-cosine recursion, docs/numerics.md) at <see cref="Angles"/>.</summary>
    public static IReadOnlyList<double> InfiniteWidthKernel(int inputDim, int depth) =>
        Evaluate(inputDim, (xa, xb) => AnalyticNtk.Pair(xa, xb, depth).Theta);

    /// <summary>The paper's Theorem 1.1, E[K_ab] = (x_a·x_b)(L/n0) 2^{L+1} Π c_l, at <see cref="Angles"/>.</summary>
    public static IReadOnlyList<double> Theorem11(int inputDim, int depth) =>
        Evaluate(inputDim, (xa, xb) => PaperClaims.Theorem11(xa, xb, depth));

    private delegate double PairFunction(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb);

    private static double[] Evaluate(int inputDim, PairFunction function)
    {
        var values = new double[Angles.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var inputs = InputSet.PairDegrees(inputDim, Angles[i]);
            values[i] = function(inputs.Input(0), inputs.Input(1));
        }
        return values;
    }
}
