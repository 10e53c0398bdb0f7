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
    /// The concrete engine for a point. Conditional needs Gaussian weights. Auto picks, for Gaussian weights, the engine
    /// measured faster: conditional when m² ≤ 2·n̄ (n̄ the mean hidden width), dense otherwise.
    /// </summary>
    /// <remarks>
    /// The conditional cost grows like L·n·m² with a large constant (small QR factorizations, one pass per input), the
    /// dense cost like L·n²·(draw + m), so their ratio is a function of m²/n; the threshold 2 is where the measured
    /// ratio crosses 1 (the `ntk bench` figures are in docs/performance.md §1 and §9).
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
                var meanWidth = 0.0;
                foreach (var width in network.Widths) meanWidth += width;
                meanWidth /= network.Depth;
                return (double)inputCount * inputCount <= 2 * meanWidth ? EngineKind.Conditional : EngineKind.Dense;
            default:
                throw new ArgumentOutOfRangeException(nameof(requested));
        }
    }
}
