using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Kernels;

/// <summary>How a point's networks are sampled.</summary>
public enum EngineKind
{
    /// <summary>Pick the fastest engine valid for the point (see <see cref="Engines.Resolve"/>).</summary>
    Auto,
    /// <summary>Materialize every weight; any law. Cost O(m Σ n_l n_{l−1}) per network.</summary>
    Dense,
    /// <summary>Gaussian weights only: sample pre-activations and the backward pass conditionally (SCIENCE.md §3).</summary>
    Conditional,
}

public static class Engines
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
    /// The concrete engine for a point. Conditional needs Gaussian weights. Auto picks conditional for Gaussian
    /// weights when its per-network cost L·n·m² + L·m³ is below the dense cost Σ n_l n_{l−1} m (roughly m &lt; n), else dense.
    /// </summary>
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
                double m = inputCount;
                double dense = 0, conditional = 0;
                for (var l = 1; l <= network.Depth + 1; l++)
                {
                    dense += (double)network.LayerSize(l) * network.LayerSize(l - 1) * m;
                    conditional += (double)network.LayerSize(l) * m * m + m * m * m;
                }
                return conditional < dense ? EngineKind.Conditional : EngineKind.Dense;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested));
        }
    }
}
