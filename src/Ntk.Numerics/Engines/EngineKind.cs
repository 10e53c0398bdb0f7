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
    /// of 289 configurations (benchmarks/engine-grid.csv, docs/performance.md §3b). They are within about ±30% of the measured times, hence the
    /// margin: on that grid auto never picks conditional where dense was faster, and where it picks dense although
    /// conditional was faster, conditional was at most 1.7× faster. Narrow layers (n ≲ 16) favour dense at every m: the
    /// conditional engine's fixed cost per layer (a QR of h^{l−1}, complement draws, bookkeeping) outweighs the n² draws
    /// it saves.
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
    internal const double ConditionalMargin = 1.2;

    /// <summary>
    /// The dense engine's estimated seconds per trial on one core of the development machine (docs/performance.md §3b):
    /// 6.3e-9 + 2.0e-7 (L+1) + 1.3e-9 P + (9.4e-11 or 4.7e-11) m P + 2.9e-9 m H + 1.9e-8 (L+1) m², with P = Σ n_l n_{l−1}
    /// the weights drawn, the m P multiply-adds costing less per FMA on the panel path (m ≥ 8), H = Σ_{l≤L} n_l the hidden
    /// units (elementwise passes), and a per-layer m × m term (Gram matrices, kernel assembly).
    /// </summary>
    internal static double DenseSecondsPerTrial(NetworkSpec network, int inputCount)
    {
        double m = inputCount, layers = network.Depth + 1, hidden = 0;
        for (var layer = 1; layer <= network.Depth; layer++) hidden += network.LayerSize(layer);
        double weights = network.ParameterCount;
        var perMultiplyAdd = inputCount >= DenseSampler.PanelFromInputCount ? 4.7e-11 : 9.4e-11;
        return 6.3e-9 + 2.0e-7 * layers + 1.3e-9 * weights + perMultiplyAdd * m * weights + 2.9e-9 * m * hidden
            + 1.9e-8 * layers * m * m;
    }

    /// <summary>
    /// The conditional engine's estimated seconds per trial (docs/performance.md §3b): 7.8e-8 (L+1) + 2.2e-9 D
    /// + 7.5e-10 m² N + 4.0e-10 n_0 m² + 1.8e-8 (L+1) m² + 3.0e-7 (L+1) m, with D every Gaussian it draws (forward
    /// r_l n_l with r_l = min(m, n_{l−1}), backward ρ_l (n_{l−1} − r_l); docs/science.md §3), N = Σ_{l≤L+1} n_l (the
    /// n_l × m products and Gram matrices), the inputs' projection (n_0 m²) and per-layer m × m and m-wide work (the
    /// small QR factorizations and their bookkeeping).
    /// </summary>
    internal static double ConditionalSecondsPerTrial(NetworkSpec network, int inputCount)
    {
        double m = inputCount, layers = network.Depth + 1, units = 0, draws = 0;
        for (var layer = 1; layer <= network.Depth + 1; layer++)
        {
            units += network.LayerSize(layer);
            var rank = Math.Min(inputCount, network.LayerSize(layer - 1));
            draws += (double)rank * network.LayerSize(layer);
            if (layer < 2) continue;
            var deltaRank = layer == network.Depth + 1 ? 1 : Math.Min(inputCount, network.LayerSize(layer));
            draws += (double)deltaRank * (network.LayerSize(layer - 1) - rank);
        }
        return 7.8e-8 * layers + 2.2e-9 * draws + 7.5e-10 * m * m * units + 4.0e-10 * network.InputDim * m * m
            + 1.8e-8 * layers * m * m + 3.0e-7 * layers * m;
    }
}
