using Ntk.Numerics.LinearAlgebra;
using System.Collections.Immutable;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Analytic;

/// <summary>
/// The infinite-width (analytic) NTK of a bias-free ReLU network in NTK parameterization, by the arc-cosine recursion
/// (Cho &amp; Saul 2009; Jacot et al. 2018; Arora et al. 2019; docs/science.md §4):
/// <code>
/// Σ^1(a,b)     = (2/n0) x_a·x_b
/// Σ^{l+1}(a,b) = √(Σ^l_aa Σ^l_bb) κ1(ρ_l),  ρ_l = Σ^l_ab / √(Σ^l_aa Σ^l_bb)
/// c_l          = κ0(ρ_l)/2                                    (l = 1..L)
/// Θ_ab         = Σ_{l=1}^{L+1} Σ^l(a,b) Π_{k=l}^{L} 2c_k
/// κ0(ρ) = 1 − arccos(ρ)/π,  κ1(ρ) = (√(1−ρ²) + (π − arccos ρ) ρ)/π
/// </code>
/// The recursion depends only on L and the inputs, not on the hidden widths: it is the limit of every width profile.
/// </summary>
/// <remarks>
/// Since κ1(1) = 1 the diagonal is constant, Σ^l_aa = (2/n0)‖x_a‖², so ρ_{l+1} = κ1(ρ_l) with ρ_1 = cos θ_ab; the code
/// iterates ρ directly, which keeps ρ = 1 exact for identical inputs (arccos is ill-conditioned at 1: an ulp of error in
/// ρ would move c_l by ~1e-8). ρ is clamped to [−1, 1] against rounding. arccos is <see cref="PortableMath.Acos"/>, not
/// the C runtime's, so the predictions have the same bits on every machine.
/// </remarks>
public static class AnalyticNtk
{
    /// <summary>κ0(ρ) = 1 − arccos(ρ)/π = 2·P(u &gt; 0, v &gt; 0) for standard normals of correlation ρ; ρ clamped to [−1, 1].</summary>
    public static double Kappa0(double rho) => 1.0 - PortableMath.Acos(Math.Clamp(rho, -1.0, 1.0)) / Math.PI;

    /// <summary>κ1(ρ) = (√(1−ρ²) + (π − arccos ρ) ρ)/π = 2·E[relu(u) relu(v)] for standard normals of correlation ρ; ρ clamped.</summary>
    public static double Kappa1(double rho)
    {
        rho = Math.Clamp(rho, -1.0, 1.0);
        return (Math.Sqrt(1.0 - rho * rho) + (Math.PI - PortableMath.Acos(rho)) * rho) / Math.PI;
    }

    /// <summary>cos θ_ab = x_a·x_b / (‖x_a‖‖x_b‖), clamped to [−1, 1]; exactly 1 for bitwise-identical inputs.</summary>
    public static double Cosine(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb)
    {
        CheckPair(xa, xb);
        var normA = Dot(xa, xa);
        var normB = Dot(xb, xb);
        if (!(normA > 0) || !(normB > 0)) throw new ArgumentException("inputs must be non-zero vectors");
        return Math.Clamp(Dot(xa, xb) / Math.Sqrt(normA * normB), -1.0, 1.0);
    }

    /// <summary>θ_ab in radians, in [0, π].</summary>
    public static double Angle(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb) => PortableMath.Acos(Cosine(xa, xb));

    /// <summary>Σ^l, ρ_l, c_l and Θ_ab of one pair of inputs for depth L (see the class summary).</summary>
    public static AnalyticPair Pair(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, int depth)
    {
        CheckDepth(depth);
        CheckPair(xa, xb);
        double n0 = xa.Length;
        var diagonalA = 2.0 / n0 * Dot(xa, xa);
        var diagonalB = 2.0 / n0 * Dot(xb, xb);
        if (!(diagonalA > 0) || !(diagonalB > 0)) throw new ArgumentException("inputs must be non-zero vectors");
        var scale = Math.Sqrt(diagonalA * diagonalB);
        var rho = Cosine(xa, xb);

        var sigma = new double[depth + 1];
        var rhos = new double[depth + 1];
        var correlators = new double[depth];
        sigma[0] = 2.0 / n0 * Dot(xa, xb);
        rhos[0] = rho;
        for (var l = 1; l <= depth; l++)
        {
            correlators[l - 1] = Kappa0(rho) / 2.0;
            rho = rho == 1.0 ? 1.0 : Math.Clamp(Kappa1(rho), -1.0, 1.0);
            rhos[l] = rho;
            sigma[l] = scale * rho;
        }

        // Θ = (…((Σ^1·2c_1 + Σ^2)·2c_2 + Σ^3)…)·2c_L + Σ^{L+1}
        var theta = sigma[0];
        for (var l = 1; l <= depth; l++) theta = theta * (2.0 * correlators[l - 1]) + sigma[l];

        return new AnalyticPair(
            ImmutableArray.Create(sigma), ImmutableArray.Create(rhos), ImmutableArray.Create(correlators), theta);
    }

    /// <summary>Θ_ab at infinite width for depth L.</summary>
    public static double Theta(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, int depth) => Pair(xa, xb, depth).Theta;

    /// <summary>The analytic quantities of every pair of a point's inputs.</summary>
    public static AnalyticKernel Compute(InputSet inputs, int depth)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckDepth(depth);
        var m = inputs.Count;
        var pairs = new AnalyticPair[m * m];
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++)
                pairs[a * m + b] = pairs[b * m + a] = Pair(inputs.Input(a), inputs.Input(b), depth);
        return new AnalyticKernel(m, depth, pairs);
    }

    /// <summary>
    /// E[K_aa] = 2(L+1)‖x_a‖²/n0, exact at every width for Gaussian weights (docs/science.md §5) and equal to Θ_aa.
    /// </summary>
    public static double ExactDiagonal(ReadOnlySpan<double> x, int depth)
    {
        CheckDepth(depth);
        if (x.IsEmpty) throw new ArgumentException("input must have at least one coordinate", nameof(x));
        return 2.0 * (depth + 1) * Dot(x, x) / x.Length;
    }

    /// <summary>
    /// L = 1 closed form Θ_ab = (2/n0)‖x_a‖‖x_b‖ [2(π−θ) cos θ + sin θ]/π (docs/science.md §4), which is also the exact
    /// finite-width E[K_ab] for L = 1 and Gaussian weights (§5).
    /// </summary>
    public static double DepthOneTheta(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb)
    {
        CheckPair(xa, xb);
        var cosine = Cosine(xa, xb);
        var angle = PortableMath.Acos(cosine);
        var sine = Math.Sqrt(Math.Max(0.0, 1.0 - cosine * cosine));
        return 2.0 / xa.Length * Math.Sqrt(Dot(xa, xa) * Dot(xb, xb)) *
               (2.0 * (Math.PI - angle) * cosine + sine) / Math.PI;
    }

    /// <summary>c_1 = (π − θ)/(2π): the first-layer correlator, exact at every width for Gaussian weights (docs/science.md §5).</summary>
    public static double FirstLayerCorrelator(double thetaRadians)
    {
        if (!(thetaRadians >= 0 && thetaRadians <= Math.PI))
            throw new ArgumentOutOfRangeException(nameof(thetaRadians), thetaRadians, "angle must be in [0, π]");
        return (Math.PI - thetaRadians) / (2.0 * Math.PI);
    }

    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    private static void CheckPair(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb)
    {
        if (xa.IsEmpty || xa.Length != xb.Length)
            throw new ArgumentException($"inputs must have the same, positive dimension (got {xa.Length} and {xb.Length})");
    }

    private static void CheckDepth(int depth)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be at least 1");
    }
}

/// <summary>Infinite-width quantities of one pair of inputs (a, b) at depth L.</summary>
/// <param name="Sigma">Σ^l(a,b) for l = 1..L+1, at index l − 1.</param>
/// <param name="Rho">ρ_l for l = 1..L+1, at index l − 1 (ρ_1 = cos θ_ab).</param>
/// <param name="Correlators">c_l(a,b) = κ0(ρ_l)/2 for l = 1..L, at index l − 1.</param>
/// <param name="Theta">Θ_ab.</param>
public sealed record AnalyticPair(
    ImmutableArray<double> Sigma, ImmutableArray<double> Rho, ImmutableArray<double> Correlators, double Theta)
{
    /// <summary>L.</summary>
    public int Depth => Correlators.Length;

    /// <summary>c_l for 1-based <paramref name="layer"/>.</summary>
    public double Correlator(int layer) => Correlators[layer - 1];

    /// <summary>Π_{l=1}^{L} c_l, the infinite-width path product (layers are independent in the limit).</summary>
    public double PathProduct
    {
        get
        {
            var product = 1.0;
            foreach (var c in Correlators) product *= c;
            return product;
        }
    }
}

/// <summary>The infinite-width quantities of all pairs of a point's m inputs (see <see cref="AnalyticNtk"/>).</summary>
public sealed class AnalyticKernel
{
    private readonly AnalyticPair[] _pairs;

    internal AnalyticKernel(int inputCount, int depth, AnalyticPair[] pairs)
    {
        InputCount = inputCount;
        Depth = depth;
        _pairs = pairs;
    }

    /// <summary>m.</summary>
    public int InputCount { get; }

    /// <summary>L.</summary>
    public int Depth { get; }

    /// <summary>The quantities of pair (a, b) (symmetric; a = b gives the diagonal, with c_l = 1/2).</summary>
    public AnalyticPair Pair(int a, int b)
    {
        if ((uint)a >= (uint)InputCount || (uint)b >= (uint)InputCount)
            throw new ArgumentOutOfRangeException(nameof(a), $"input indices must be in 0..{InputCount - 1}");
        return _pairs[a * InputCount + b];
    }

    /// <summary>Θ_ab.</summary>
    public double Theta(int a, int b) => Pair(a, b).Theta;

    /// <summary>c_l(a,b) for 1-based <paramref name="layer"/>.</summary>
    public double Correlator(int layer, int a, int b)
    {
        if (layer < 1 || layer > Depth) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in 1..{Depth}");
        return Pair(a, b).Correlator(layer);
    }

    /// <summary>Σ^l(a,b) for 1-based <paramref name="layer"/> in 1..L+1.</summary>
    public double Sigma(int layer, int a, int b)
    {
        if (layer < 1 || layer > Depth + 1) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in 1..{Depth + 1}");
        return Pair(a, b).Sigma[layer - 1];
    }

    /// <summary>Π_l c_l(a,b).</summary>
    public double PathProduct(int a, int b) => Pair(a, b).PathProduct;

    /// <summary>Θ as a row-major m × m matrix.</summary>
    public ImmutableArray<double> ThetaMatrix()
    {
        var builder = ImmutableArray.CreateBuilder<double>(InputCount * InputCount);
        for (var k = 0; k < InputCount * InputCount; k++) builder.Add(_pairs[k].Theta);
        return builder.MoveToImmutable();
    }
}
