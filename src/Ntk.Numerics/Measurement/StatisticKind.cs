namespace Ntk.Numerics.Measurement;

/// <summary>The per-network statistics of docs/contract.md §6; the spelling in results.csv is <see cref="StatisticNames.Of"/>.</summary>
public enum StatisticKind
{
    /// <summary>Empirical NTK entry K_ab (a ≤ b).</summary>
    Ntk,
    /// <summary>ĉ_l(a,b) = (1/n_l) Σ_i ξ^l_{i;a} ξ^l_{i;b} (a &lt; b).</summary>
    Correlator,
    /// <summary>Rao–Blackwellized correlator (π − θ̂_{l−1})/(2π), Gaussian weights only (docs/science.md §5).</summary>
    CorrelatorCond,
    /// <summary>(1/n_l) Σ_i ξ^l_{i;a}: fraction of layer-l units active for input a.</summary>
    ActiveFraction,
    /// <summary>Π_l ĉ_l(a,b): the product of activation indicators averaged over all paths (a &lt; b).</summary>
    PathProduct,
    /// <summary>1 if some hidden layer has no active unit for input a, else 0.</summary>
    DeadLayer,
    /// <summary>Largest eigenvalue of K.</summary>
    LambdaMax,
    /// <summary>Smallest eigenvalue of K.</summary>
    LambdaMin,
    /// <summary>λ_max / λ_min, clamped to [1, <see cref="MeasurementLayout.MaxConditionNumber"/>].</summary>
    Condition,
    /// <summary>(1/n_l) Σ_i 1[ξ^l_{i;a} = ξ^l_{i;b}]: fraction of layer-l units on which the two activation patterns agree (a &lt; b).</summary>
    PatternAgreement,
    /// <summary>1 if the whole layer-l activation patterns of a and b coincide, else 0 (a &lt; b).</summary>
    PatternEqual,
    /// <summary>Rao–Blackwellized P(layer-l patterns coincide | h^{l−1}) = (1 − θ̂_{l−1}/π)^{n_l}, Gaussian weights (a &lt; b).</summary>
    PatternEqualCond,
    /// <summary>1 if λ_max(K) &gt; 2/η for the learning rate η of index <see cref="StatisticKey.A"/> in the sweep's list, else 0:
    /// gradient descent with step η is unstable at initialization (docs/science.md §7).</summary>
    Unstable,
}

public static class StatisticNames
{
    /// <summary>
    /// The results.csv spelling of a statistic of <paramref name="layout"/>: <see cref="Of(StatisticKind)"/>, except the
    /// instability indicator, which names its learning rate: <c>unstable_eta=0.1</c> (shortest round-trip text of η).
    /// </summary>
    public static string Of(StatisticKey key, MeasurementLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return key.Kind == StatisticKind.Unstable
            ? "unstable_eta=" + layout.LearningRates[key.A].ToString("R", System.Globalization.CultureInfo.InvariantCulture)
            : Of(key.Kind);
    }

    /// <summary>The results.csv spelling of a statistic.</summary>
    public static string Of(StatisticKind kind) => kind switch
    {
        StatisticKind.Ntk => "ntk",
        StatisticKind.Correlator => "correlator",
        StatisticKind.CorrelatorCond => "correlator_cond",
        StatisticKind.ActiveFraction => "active_fraction",
        StatisticKind.PathProduct => "path_product",
        StatisticKind.DeadLayer => "dead_layer",
        StatisticKind.LambdaMax => "lambda_max",
        StatisticKind.LambdaMin => "lambda_min",
        StatisticKind.Condition => "condition",
        StatisticKind.PatternAgreement => "pattern_agreement",
        StatisticKind.PatternEqual => "pattern_equal",
        StatisticKind.PatternEqualCond => "pattern_equal_cond",
        StatisticKind.Unstable => "unstable",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>
/// One entry of the flat statistics vector. <see cref="Layer"/> is 1-based, 0 where it does not apply;
/// <see cref="A"/> and <see cref="B"/> are 0-based input indices, −1 where they do not apply.
/// </summary>
public readonly record struct StatisticKey(StatisticKind Kind, int Layer, int A, int B)
{
    /// <summary>The input index shown in the <c>a</c> column: −1 for <see cref="StatisticKind.Unstable"/>, whose A is the
    /// index of its learning rate (named in the statistic, <see cref="StatisticNames.Of(StatisticKey, MeasurementLayout)"/>).</summary>
    public int InputA => Kind == StatisticKind.Unstable ? -1 : A;
}
