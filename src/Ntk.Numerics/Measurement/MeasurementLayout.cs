using System.Collections.Immutable;

namespace Ntk.Numerics.Measurement;

/// <summary>
/// Where each statistic of one sampled network lives in the flat measurement vector that samplers write and
/// accumulators merge. The layout depends only on (m, L, whether the conditional correlator is reported), so
/// every engine of a point writes the same vector and their results are directly comparable.
/// </summary>
/// <remarks>
/// Order: K_ab for a ≤ b (row-major upper triangle); then per layer l = 1..L: ĉ_l(a,b) for a &lt; b,
/// [conditional ĉ_l(a,b) for a &lt; b], active fraction for each a; then the path product for a &lt; b,
/// the dead-layer flag for each a, λ_max, λ_min, condition number; then per layer l = 1..L the activation-pattern
/// statistics for a &lt; b: agreement, whole-pattern equality, [its conditional probability]. Size O(L·m²),
/// independent of widths and trials. (The pattern block comes last so that the earlier indices are those of layouts
/// without it.)
/// </remarks>
public sealed class MeasurementLayout
{
    /// <summary>Cap on the reported condition number: K is singular whenever two inputs coincide (θ = 0).</summary>
    public const double MaxConditionNumber = 1e12;

    private readonly int _pairCount;
    private readonly int _layerStride;
    private readonly int _layersStart;
    private readonly int _pathStart;
    private readonly int _deadStart;
    private readonly int _patternStart;
    private readonly int _patternStride;

    private MeasurementLayout(int inputCount, int depth, bool hasConditionalCorrelator)
    {
        InputCount = inputCount;
        Depth = depth;
        HasConditionalCorrelator = hasConditionalCorrelator;
        var m = inputCount;
        _pairCount = m * (m - 1) / 2;
        _layersStart = m * (m + 1) / 2;
        _layerStride = _pairCount * (hasConditionalCorrelator ? 2 : 1) + m;
        _pathStart = _layersStart + depth * _layerStride;
        _deadStart = _pathStart + _pairCount;
        LambdaMaxIndex = _deadStart + m;
        LambdaMinIndex = LambdaMaxIndex + 1;
        ConditionIndex = LambdaMaxIndex + 2;
        _patternStart = ConditionIndex + 1;
        _patternStride = _pairCount * (hasConditionalCorrelator ? 3 : 2);
        Count = checked((int)CountFor(inputCount, depth, hasConditionalCorrelator));

        var keys = new StatisticKey[Count];
        for (var a = 0; a < m; a++)
            for (var b = a; b < m; b++)
                keys[Ntk(a, b)] = new StatisticKey(StatisticKind.Ntk, 0, a, b);
        for (var layer = 1; layer <= depth; layer++)
        {
            for (var a = 0; a < m; a++)
            {
                keys[ActiveFraction(layer, a)] = new StatisticKey(StatisticKind.ActiveFraction, layer, a, -1);
                for (var b = a + 1; b < m; b++)
                {
                    keys[Correlator(layer, a, b)] = new StatisticKey(StatisticKind.Correlator, layer, a, b);
                    if (hasConditionalCorrelator)
                        keys[CorrelatorCond(layer, a, b)] = new StatisticKey(StatisticKind.CorrelatorCond, layer, a, b);
                }
            }
        }
        for (var a = 0; a < m; a++)
        {
            keys[DeadLayer(a)] = new StatisticKey(StatisticKind.DeadLayer, 0, a, -1);
            for (var b = a + 1; b < m; b++)
                keys[PathProduct(a, b)] = new StatisticKey(StatisticKind.PathProduct, 0, a, b);
        }
        keys[LambdaMaxIndex] = new StatisticKey(StatisticKind.LambdaMax, 0, -1, -1);
        keys[LambdaMinIndex] = new StatisticKey(StatisticKind.LambdaMin, 0, -1, -1);
        keys[ConditionIndex] = new StatisticKey(StatisticKind.Condition, 0, -1, -1);
        for (var layer = 1; layer <= depth; layer++)
            for (var a = 0; a < m; a++)
                for (var b = a + 1; b < m; b++)
                {
                    keys[PatternAgreement(layer, a, b)] = new StatisticKey(StatisticKind.PatternAgreement, layer, a, b);
                    keys[PatternEqual(layer, a, b)] = new StatisticKey(StatisticKind.PatternEqual, layer, a, b);
                    if (hasConditionalCorrelator)
                        keys[PatternEqualCond(layer, a, b)] = new StatisticKey(StatisticKind.PatternEqualCond, layer, a, b);
                }
        Keys = ImmutableArray.Create(keys);

        SketchedIndices = m >= 2
            ? [Ntk(0, 0), Ntk(0, 1), LambdaMaxIndex, LambdaMinIndex]
            : [Ntk(0, 0), LambdaMaxIndex, LambdaMinIndex];

        // The claims' derived quantities (independence step, layer-to-layer steps of the correlator) are functions of
        // the path product and the correlators of the reported pair (0, 1): their co-moments make those SEs honest.
        if (m >= 2)
        {
            var group = new int[depth + 1];
            group[0] = PathProduct(0, 1);
            for (var layer = 1; layer <= depth; layer++) group[layer] = Correlator(layer, 0, 1);
            CovariantIndices = ImmutableArray.Create(group);
        }
        else CovariantIndices = [];
    }

    /// <summary>The layout for m inputs and L hidden layers.</summary>
    public static MeasurementLayout For(int inputCount, int depth, bool hasConditionalCorrelator)
    {
        if (inputCount < 1) throw new ArgumentOutOfRangeException(nameof(inputCount), "inputs: at least one input is needed");
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), "depth: must be at least 1");
        return new MeasurementLayout(inputCount, depth, hasConditionalCorrelator);
    }

    /// <summary>
    /// The length of the measurement vector for m inputs and L layers: the m(m+1)/2 kernel entries; per layer m active
    /// fractions and m(m−1)/2 correlators (twice that with the conditional correlator); m(m−1)/2 path products; m dead
    /// layers; λ_max, λ_min and the condition number. As a long, so that a sweep can be checked before it is built.
    /// </summary>
    public static long CountFor(long inputCount, long depth, bool hasConditionalCorrelator)
    {
        var pairs = inputCount * (inputCount - 1) / 2;
        var perLayer = pairs * (hasConditionalCorrelator ? 2 : 1) + inputCount;
        // … + λ_max, λ_min, condition, then the pattern block: agreement, equality [, conditional] per layer and pair.
        var perPatternLayer = pairs * (hasConditionalCorrelator ? 3 : 2);
        return inputCount * (inputCount + 1) / 2 + depth * perLayer + pairs + inputCount + 3 + depth * perPatternLayer;
    }

    /// <summary>m.</summary>
    public int InputCount { get; }

    /// <summary>L.</summary>
    public int Depth { get; }

    /// <summary>True when <see cref="StatisticKind.CorrelatorCond"/> entries are present (Gaussian weights).</summary>
    public bool HasConditionalCorrelator { get; }

    /// <summary>Length of the measurement vector.</summary>
    public int Count { get; }

    /// <summary>What each index holds.</summary>
    public ImmutableArray<StatisticKey> Keys { get; }

    /// <summary>Indices that also get a quantile sketch: K_00, K_01 (m ≥ 2), λ_max, λ_min.</summary>
    public ImmutableArray<int> SketchedIndices { get; }

    /// <summary>
    /// Indices whose co-moments are accumulated (<see cref="Statistics.CoMomentAccumulator"/>): for m ≥ 2 the path
    /// product of the pair (0, 1), then ĉ_1(0,1) … ĉ_L(0,1); empty for m = 1. Size L + 1.
    /// </summary>
    public ImmutableArray<int> CovariantIndices { get; }

    public int LambdaMaxIndex { get; }
    public int LambdaMinIndex { get; }
    public int ConditionIndex { get; }

    /// <summary>Index of K_ab; the order of a and b does not matter.</summary>
    public int Ntk(int a, int b)
    {
        if (a > b) (a, b) = (b, a);
        // Row a of the upper triangle starts after rows 0..a−1, which hold m + (m−1) + … + (m−a+1) entries.
        return a * InputCount - a * (a - 1) / 2 + (b - a);
    }

    /// <summary>Index of the pair a &lt; b among the m(m−1)/2 pairs.</summary>
    public int Pair(int a, int b)
    {
        if (a > b) (a, b) = (b, a);
        if (a == b) throw new ArgumentException("a pair needs two different inputs");
        return a * (InputCount - 1) - a * (a - 1) / 2 + (b - a - 1);
    }

    public int Correlator(int layer, int a, int b) => LayerStart(layer) + Pair(a, b);

    public int CorrelatorCond(int layer, int a, int b) =>
        HasConditionalCorrelator
            ? LayerStart(layer) + _pairCount + Pair(a, b)
            : throw new InvalidOperationException("this layout has no conditional correlator (non-Gaussian weights)");

    public int ActiveFraction(int layer, int a) =>
        LayerStart(layer) + _pairCount * (HasConditionalCorrelator ? 2 : 1) + a;

    public int PathProduct(int a, int b) => _pathStart + Pair(a, b);

    public int DeadLayer(int a) => _deadStart + a;

    public int PatternAgreement(int layer, int a, int b) => PatternLayerStart(layer) + Pair(a, b);

    public int PatternEqual(int layer, int a, int b) => PatternLayerStart(layer) + _pairCount + Pair(a, b);

    public int PatternEqualCond(int layer, int a, int b) =>
        HasConditionalCorrelator
            ? PatternLayerStart(layer) + 2 * _pairCount + Pair(a, b)
            : throw new InvalidOperationException("this layout has no conditional pattern probability (non-Gaussian weights)");

    private int PatternLayerStart(int layer)
    {
        if (layer < 1 || layer > Depth) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in 1..{Depth}");
        return _patternStart + (layer - 1) * _patternStride;
    }

    private int LayerStart(int layer)
    {
        if (layer < 1 || layer > Depth) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in 1..{Depth}");
        return _layersStart + (layer - 1) * _layerStride;
    }
}
