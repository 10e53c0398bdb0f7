using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Engines;

/// <summary>How a point's networks are sampled.</summary>
public enum EngineKind
{
    /// <summary>Pick the fastest engine valid for the point (see <see cref="EngineChoice.Resolve"/>).</summary>
    Auto,
    /// <summary>Materialize every weight; any law. Cost O(m Σ n_l n_{l−1}) per network.</summary>
    Dense,
    /// <summary>Gaussian weights only: sample pre-activations and the backward pass conditionally (docs/science.md §3).</summary>
    Conditional,
}

public static class EngineChoice
{
    public static string Name(EngineKind kind) => kind switch
    {
        EngineKind.Auto => "auto",
        EngineKind.Dense => "dense",
        EngineKind.Conditional => "conditional",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses auto | dense | conditional; throws <see cref="FormatException"/> naming the accepted values.</summary>
    public static EngineKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => EngineKind.Auto,
        "dense" => EngineKind.Dense,
        "conditional" => EngineKind.Conditional,
        _ => throw new FormatException($"engine: unknown engine \"{text}\"; expected auto, dense or conditional"),
    };

    /// <summary>
    /// The concrete engine for a point. Conditional needs Gaussian weights. Auto picks, for Gaussian weights, conditional
    /// only where its estimated time per trial is at least <see cref="ConditionalMargin"/> times below the dense engine's
    /// (<see cref="DenseSecondsPerTrial"/>, <see cref="ConditionalSecondsPerTrial"/>), dense otherwise.
    /// </summary>
    /// <remarks>
    /// Both engines are exact, so the choice changes only which random numbers a point uses, never its law; it is made
    /// for speed. The estimates are linear in each engine's work counts with coefficients fitted to an `ntk bench` grid
    /// of 289 configurations (benchmarks/engine-grid.csv, docs/performance.md §3b). They are within about ±30% of the
    /// measured times, and the measurements themselves move by 10–20% between runs on a shared machine, hence the margin:
    /// the smallest with which auto never picks conditional where dense was faster on that grid. Where it picks dense
    /// although conditional was faster, conditional was at most 1.9× faster (wide layers at m ≥ 48, where the dense
    /// engine's weights outgrow the cache, which a linear estimate does not see). Narrow layers (n ≲ 16) favour dense at
    /// every m: the conditional engine's fixed cost per layer (factorizations, complement draws, bookkeeping) outweighs
    /// the n² draws it saves.
    /// </remarks>
    public static EngineKind Resolve(EngineKind requested, NetworkSpec network, int inputCount)
    {
        var gaussian = network.Law.Kind == WeightLawKind.Gaussian;
        switch (requested)
        {
            case EngineKind.Dense:
                return EngineKind.Dense;
            case EngineKind.Conditional:
                if (!gaussian)
                    throw new ArgumentException(
                        $"engine: conditional requires gaussian weights, but the law is {network.Law.Name}");
                return EngineKind.Conditional;
            case EngineKind.Auto:
                if (!gaussian) return EngineKind.Dense;
                return ConditionalSecondsPerTrial(network, inputCount) * ConditionalMargin < DenseSecondsPerTrial(network, inputCount)
                    ? EngineKind.Conditional
                    : EngineKind.Dense;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested));
        }
    }

    /// <summary>How much faster the conditional engine must be estimated to be before auto picks it.</summary>
    internal const double ConditionalMargin = 1.3;

    /// <summary>
    /// The dense engine's estimated seconds per trial on one core of the development machine (docs/performance.md §3b):
    /// 2.0e-7 (L+1) + 1.6e-9 P + (1.5e-10 or 7.6e-11) m P + 4.5e-9 m H + 2.2e-8 (L+1) m², with P = Σ n_l n_{l−1} the
    /// weights drawn, the m P multiply-adds costing less per FMA on the panel path (m ≥ 8), H = Σ_{l≤L} n_l the hidden
    /// units (elementwise passes), and a per-layer m × m term (Gram matrices, kernel assembly).
    /// </summary>
    internal static double DenseSecondsPerTrial(NetworkSpec network, int inputCount)
    {
        double m = inputCount, layers = network.Depth + 1, hidden = 0;
        for (var layer = 1; layer <= network.Depth; layer++) hidden += network.LayerSize(layer);
        double weights = network.ParameterCount;
        var perMultiplyAdd = inputCount >= DenseSampler.PanelFromInputCount ? 7.6e-11 : 1.5e-10;
        return 2.0e-7 * layers + 1.6e-9 * weights + perMultiplyAdd * m * weights + 4.5e-9 * m * hidden
            + 2.2e-8 * layers * m * m;
    }

    /// <summary>
    /// The conditional engine's estimated seconds per trial (docs/performance.md §3b), with D every Gaussian it draws and
    /// N = Σ_{l≤L+1} n_l (the n_l × m products and Gram matrices). For m ≤ 4 (the fused kernels, and the Gram path where
    /// h^{l−1} is well conditioned; docs/numerics.md §13): 7.2e-8 (L+1) + 3.3e-7 (L+1) m + 1.1e-10 m² N + 2.7e-9 D;
    /// for m > 4 (a Householder QR per layer): 2.0e-6 (L+1) + 1.6e-8 (L+1) m + 3.6e-8 (L+1) m² + 8.9e-10 m² N + 2.7e-9 D.
    /// D counts forward r_l n_l with r_l = min(m, n_{l−1}) and backward ρ_l n_{l−1} on the Gram path, ρ_l (n_{l−1} − r_l)
    /// on the QR path (docs/science.md §3), as `ntk bench` does. Layer 1's factorization of the inputs is made once per
    /// point, so n_0 does not enter.
    /// </summary>
    internal static double ConditionalSecondsPerTrial(NetworkSpec network, int inputCount)
    {
        double m = inputCount, layers = network.Depth + 1, units = 0, draws = 0;
        var fused = inputCount <= ConditionalGaussianSampler.FusedUpTo;
        for (var layer = 1; layer <= network.Depth + 1; layer++)
        {
            units += network.LayerSize(layer);
            var rows = network.LayerSize(layer - 1);
            var rank = Math.Min(inputCount, rows);
            draws += (double)rank * network.LayerSize(layer);
            if (layer < 2) continue;
            var deltaRank = layer == network.Depth + 1 ? 1 : Math.Min(inputCount, network.LayerSize(layer));
            var viaGram = fused && rows >= inputCount; // assumes well-separated inputs, as on the grid
            draws += (double)deltaRank * (viaGram ? rows : rows - rank);
        }
        return fused
            ? 7.2e-8 * layers + 3.3e-7 * layers * m + 1.1e-10 * m * m * units + 2.7e-9 * draws
            : 2.0e-6 * layers + 1.6e-8 * layers * m + 3.6e-8 * layers * m * m + 8.9e-10 * m * m * units + 2.7e-9 * draws;
    }
}
