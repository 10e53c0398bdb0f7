using System.Collections;
using System.Collections.Immutable;

namespace Ntk.Numerics.Measurement;

/// <summary>
/// Where each statistic of one sampled network lives in the flat measurement vector that samplers write and
/// accumulators merge. The layout depends only on (m, L, whether the conditional correlator is reported, the selected
/// <see cref="StatisticGroups"/>), so every engine of a point writes the same vector and their results are directly
/// comparable.
/// </summary>
/// <remarks>
/// Order (absent groups are left out, the others keep their relative order): K_ab for a ≤ b (row-major upper
/// triangle); then per layer l = 1..L: ĉ_l(a,b) for a &lt; b, [conditional ĉ_l(a,b) for a &lt; b] (correlators),
/// active fraction for each a (activity); then the path product for a &lt; b, the dead-layer flag for each a
/// (activity), λ_max, λ_min, condition number (spectrum); then per layer l = 1..L the activation-pattern statistics
/// for a &lt; b: agreement, whole-pattern equality, [its conditional probability, Gaussian weights] (patterns); then
/// one instability indicator 1[λ_max &gt; 2/η] per listed learning rate (spectrum). The pattern block and the
/// indicators come last so that the earlier indices are those of layouts without them. With every group selected
/// this is the order of every earlier version. Size O(L·m²) at most, independent of widths and trials; the layout itself holds O(L) numbers
/// (<see cref="Keys"/> decodes an index on demand), so a point with millions of statistics costs nothing to describe.
/// </remarks>
public sealed class MeasurementLayout
{
    /// <summary>Cap on the reported condition number: K is singular whenever two inputs coincide (θ = 0).</summary>
    public const double MaxConditionNumber = 1e12;

    private readonly int _pairCount;
    private readonly int _kernelCount;
    private readonly int _layerStride;
    private readonly int _correlatorCount;
    private readonly int _layersStart;
    private readonly int _pathStart;
    private readonly int _deadStart;
    private readonly int _spectrumStart;
    private readonly int _patternStart;
    private readonly int _patternStride;
    private readonly int _unstableStart;

    private MeasurementLayout(
        int inputCount, int depth, bool hasConditionalCorrelator, StatisticGroups groups, ImmutableArray<double> learningRates)
    {
        InputCount = inputCount;
        Depth = depth;
        Groups = groups;
        var hasCorrelators = (groups & StatisticGroups.Correlators) != 0;
        HasConditionalCorrelator = hasConditionalCorrelator && hasCorrelators;
        var m = inputCount;
        HasConditionalPattern = hasConditionalCorrelator && (groups & StatisticGroups.Patterns) != 0;
        // The instability indicators need λ_max: without the spectrum they are not recorded.
        LearningRates = (groups & StatisticGroups.Spectrum) != 0 ? learningRates : [];
        var count = StatisticSelection.StatisticCount(m, depth, hasConditionalCorrelator, groups, LearningRates.Length);
        if (count > Array.MaxLength)
            throw new ArgumentException(
                $"statistics: {count} per network (m = {m}, L = {depth}, {StatisticSelection.Describe(groups)}) do not fit in one vector");
        _pairCount = m * (m - 1) / 2;
        _kernelCount = Has(StatisticGroups.Kernel) ? m * (m + 1) / 2 : 0;
        _correlatorCount = hasCorrelators ? _pairCount * (HasConditionalCorrelator ? 2 : 1) : 0;
        _layersStart = _kernelCount;
        _layerStride = _correlatorCount + (Has(StatisticGroups.Activity) ? m : 0);
        _pathStart = _layersStart + depth * _layerStride;
        _deadStart = _pathStart + (Has(StatisticGroups.PathProduct) ? _pairCount : 0);
        _spectrumStart = _deadStart + (Has(StatisticGroups.Activity) ? m : 0);
        var spectrum = Has(StatisticGroups.Spectrum);
        LambdaMaxIndex = spectrum ? _spectrumStart : -1;
        LambdaMinIndex = spectrum ? _spectrumStart + 1 : -1;
        ConditionIndex = spectrum ? _spectrumStart + 2 : -1;
        _patternStart = _spectrumStart + (spectrum ? 3 : 0);
        _patternStride = Has(StatisticGroups.Patterns) ? _pairCount * (HasConditionalPattern ? 3 : 2) : 0;
        _unstableStart = _patternStart + depth * _patternStride;
        Count = _unstableStart + LearningRates.Length;
        var thresholds = new double[LearningRates.Length];
        for (var k = 0; k < thresholds.Length; k++) thresholds[k] = 2 / LearningRates[k];
        InstabilityThresholds = ImmutableArray.Create(thresholds);
        if (Count != count) throw new InvalidOperationException("layout size mismatch");
        Keys = new StatisticKeyList(this);

        var sketched = ImmutableArray.CreateBuilder<int>();
        if (Has(StatisticGroups.Kernel))
        {
            sketched.Add(Ntk(0, 0));
            if (m >= 2) sketched.Add(Ntk(0, 1));
        }
        if (spectrum)
        {
            sketched.Add(LambdaMaxIndex);
            sketched.Add(LambdaMinIndex);
        }
        SketchedIndices = sketched.ToImmutable();

        // The claims' derived quantities (independence step, layer-to-layer steps of the correlator) are functions of
        // the path product and the correlators of the reported pair (0, 1): their co-moments make those SEs honest.
        // Only when both the path product and the correlators are recorded.
        if (m >= 2 && Has(StatisticGroups.PathProduct) && Has(StatisticGroups.Correlators))
        {
            var group = new int[depth + 1];
            group[0] = PathProduct(0, 1);
            for (var layer = 1; layer <= depth; layer++) group[layer] = Correlator(layer, 0, 1);
            CovariantIndices = ImmutableArray.Create(group);
        }
        else CovariantIndices = [];
    }

    /// <summary>The layout for m inputs and L hidden layers with <paramref name="groups"/> (default: every group).</summary>
    public static MeasurementLayout For(
        int inputCount, int depth, bool hasConditionalCorrelator, StatisticGroups groups = StatisticGroups.All,
        IReadOnlyList<double>? learningRates = null)
    {
        if (inputCount < 1) throw new ArgumentOutOfRangeException(nameof(inputCount), "inputs: at least one input is needed");
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), "depth: must be at least 1");
        if ((groups & StatisticGroups.All) == StatisticGroups.None || (groups & ~StatisticGroups.All) != 0)
            throw new ArgumentException("statistics: select at least one group, e.g. [\"kernel\"]", nameof(groups));
        var rates = ValidLearningRates(learningRates);
        // A layout is immutable and a function of these values: every point of a sweep with the same shape shares one
        // (a 100,000-point sweep of a few shapes keeps a few layouts, not one per point; docs/performance.md §7.2). The
        // rates enter the key by their exact bits (ImmutableArray compares by reference).
        var ratesKey = string.Join(',', rates.Select(r => BitConverter.DoubleToInt64Bits(r).ToString("x", System.Globalization.CultureInfo.InvariantCulture)));
        return Shared.GetOrAdd((inputCount, depth, hasConditionalCorrelator, groups, ratesKey),
            static (key, rates) => new MeasurementLayout(key.InputCount, key.Depth, key.HasConditionalCorrelator, key.Groups, rates), rates);
    }

    /// <summary>The learning rates as given, each checked finite and positive (docs/contract.md §5).</summary>
    public static ImmutableArray<double> ValidLearningRates(IReadOnlyList<double>? learningRates)
    {
        if (learningRates is null) return [];
        foreach (var eta in learningRates)
            if (!double.IsFinite(eta) || eta <= 0)
                throw new ArgumentOutOfRangeException(nameof(learningRates), eta, "learningRates: each must be a finite number > 0");
        return [.. learningRates];
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<
        (int InputCount, int Depth, bool HasConditionalCorrelator, StatisticGroups Groups, string Rates), MeasurementLayout> Shared = new();

    /// <summary>
    /// The length of the measurement vector for m inputs and L layers with every group (the default for m ≤
    /// <see cref="StatisticSelection.EveryGroupUpToInputs"/>): <see cref="StatisticSelection.StatisticCount"/> with
    /// <see cref="StatisticGroups.All"/>. As a long, so that a sweep can be checked before it is built.
    /// </summary>
    public static long CountFor(long inputCount, long depth, bool hasConditionalCorrelator) =>
        StatisticSelection.StatisticCount(inputCount, depth, hasConditionalCorrelator, StatisticGroups.All);

    /// <summary>m.</summary>
    public int InputCount { get; }

    /// <summary>L.</summary>
    public int Depth { get; }

    /// <summary>The statistic groups this layout records.</summary>
    public StatisticGroups Groups { get; }

    /// <summary>True when <paramref name="group"/> is recorded.</summary>
    public bool Has(StatisticGroups group) => (Groups & group) == group;

    /// <summary>True when <see cref="StatisticKind.CorrelatorCond"/> entries are present (Gaussian weights, correlators selected).</summary>
    public bool HasConditionalCorrelator { get; }

    /// <summary>True when <see cref="StatisticKind.PatternEqualCond"/> entries are present (Gaussian weights, patterns selected).</summary>
    public bool HasConditionalPattern { get; }

    /// <summary>Length of the measurement vector.</summary>
    public int Count { get; }

    /// <summary>What each index holds (decoded on demand).</summary>
    public StatisticKeyList Keys { get; }

    /// <summary>Indices that also get a quantile sketch: K_00, K_01 (m ≥ 2) with the kernel, λ_max, λ_min with the spectrum.</summary>
    public ImmutableArray<int> SketchedIndices { get; }

    /// <summary>
    /// Indices whose co-moments are accumulated (<see cref="Statistics.CoMomentAccumulator"/>): for m ≥ 2, when the path
    /// product and the correlators are recorded, the path product of the pair (0, 1), then ĉ_1(0,1) … ĉ_L(0,1) (size
    /// L + 1); empty otherwise.
    /// </summary>
    public ImmutableArray<int> CovariantIndices { get; }

    /// <summary>
    /// The learning rates η whose instability indicator 1[λ_max &gt; 2/η] is recorded (the sweep's <c>learningRates</c>,
    /// in its order); empty without the spectrum.
    /// </summary>
    public ImmutableArray<double> LearningRates { get; }

    /// <summary>2/η for each of <see cref="LearningRates"/>, computed once so every engine compares with the same double.</summary>
    public ImmutableArray<double> InstabilityThresholds { get; }

    /// <summary>Index of the instability indicator of learning rate number <paramref name="rate"/>.</summary>
    public int Unstable(int rate)
    {
        if ((uint)rate >= (uint)LearningRates.Length)
            throw new ArgumentOutOfRangeException(nameof(rate), rate, $"this layout records {LearningRates.Length} learning rates");
        return _unstableStart + rate;
    }

    /// <summary>Index of λ_max; −1 without the spectrum.</summary>
    public int LambdaMaxIndex { get; }

    /// <summary>Index of λ_min; −1 without the spectrum.</summary>
    public int LambdaMinIndex { get; }

    /// <summary>Index of the condition number; −1 without the spectrum.</summary>
    public int ConditionIndex { get; }

    /// <summary>Index of K_ab; the order of a and b does not matter.</summary>
    public int Ntk(int a, int b)
    {
        Require(StatisticGroups.Kernel);
        if (a > b) (a, b) = (b, a);
        // Row a of the upper triangle starts after rows 0..a−1, which hold m + (m−1) + … + (m−a+1) entries.
        return KernelRowStart(a) + (b - a);
    }

    /// <summary>Number of pairs a &lt; b, m(m−1)/2: the length of each per-pair block (pair (a, b) at offset <see cref="Pair"/>).</summary>
    public int PairCount => _pairCount;

    /// <summary>Index of the pair a &lt; b among the m(m−1)/2 pairs.</summary>
    public int Pair(int a, int b)
    {
        if (a > b) (a, b) = (b, a);
        if (a == b) throw new ArgumentException("a pair needs two different inputs");
        return PairRowStart(a) + (b - a - 1);
    }

    public int Correlator(int layer, int a, int b)
    {
        Require(StatisticGroups.Correlators);
        return LayerStart(layer) + Pair(a, b);
    }

    public int CorrelatorCond(int layer, int a, int b) =>
        HasConditionalCorrelator
            ? LayerStart(layer) + _pairCount + Pair(a, b)
            : throw new InvalidOperationException(Has(StatisticGroups.Correlators)
                ? "this layout has no conditional correlator (non-Gaussian weights)"
                : "this layout does not record the correlators");

    public int ActiveFraction(int layer, int a)
    {
        Require(StatisticGroups.Activity);
        return LayerStart(layer) + _correlatorCount + a;
    }

    public int PathProduct(int a, int b)
    {
        Require(StatisticGroups.PathProduct);
        return _pathStart + Pair(a, b);
    }

    public int DeadLayer(int a)
    {
        Require(StatisticGroups.Activity);
        return _deadStart + a;
    }

    public int PatternAgreement(int layer, int a, int b) => PatternLayerStart(layer) + Pair(a, b);

    public int PatternEqual(int layer, int a, int b) => PatternLayerStart(layer) + _pairCount + Pair(a, b);

    public int PatternEqualCond(int layer, int a, int b) =>
        HasConditionalPattern
            ? PatternLayerStart(layer) + 2 * _pairCount + Pair(a, b)
            : throw new InvalidOperationException(Has(StatisticGroups.Patterns)
                ? "this layout has no conditional pattern probability (non-Gaussian weights)"
                : "this layout does not record the patterns");

    private int PatternLayerStart(int layer)
    {
        Require(StatisticGroups.Patterns);
        if (layer < 1 || layer > Depth) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in 1..{Depth}");
        return _patternStart + (layer - 1) * _patternStride;
    }

    private int LayerStart(int layer)
    {
        if (layer < 1 || layer > Depth) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer must be in 1..{Depth}");
        return _layersStart + (layer - 1) * _layerStride;
    }

    private int KernelRowStart(int a) => a * InputCount - a * (a - 1) / 2;

    private int PairRowStart(int a) => a * (InputCount - 1) - a * (a - 1) / 2;

    private void Require(StatisticGroups group)
    {
        if (!Has(group))
            throw new InvalidOperationException(
                $"this layout does not record {StatisticSelection.Describe(group)} (it records {StatisticSelection.Describe(Groups)})");
    }

    /// <summary>The key of entry <paramref name="index"/>: the inverse of the index functions above.</summary>
    private StatisticKey Decode(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"must be in 0..{Count - 1}");
        var m = InputCount;
        if (index < _kernelCount)
        {
            var a = LastRowAtOrBefore(index, m, KernelRowStart);
            return new StatisticKey(StatisticKind.Ntk, 0, a, a + (index - KernelRowStart(a)));
        }
        if (index < _pathStart)
        {
            var offset = index - _layersStart;
            var layer = offset / _layerStride + 1;
            var within = offset % _layerStride;
            if (within < _correlatorCount)
            {
                var kind = within < _pairCount ? StatisticKind.Correlator : StatisticKind.CorrelatorCond;
                var (a, b) = DecodePair(within % _pairCount);
                return new StatisticKey(kind, layer, a, b);
            }
            return new StatisticKey(StatisticKind.ActiveFraction, layer, within - _correlatorCount, -1);
        }
        if (index < _deadStart)
        {
            var (a, b) = DecodePair(index - _pathStart);
            return new StatisticKey(StatisticKind.PathProduct, 0, a, b);
        }
        if (index < _spectrumStart) return new StatisticKey(StatisticKind.DeadLayer, 0, index - _deadStart, -1);
        if (index >= _unstableStart) return new StatisticKey(StatisticKind.Unstable, 0, index - _unstableStart, -1);
        if (index >= _patternStart)
        {
            var offset = index - _patternStart;
            var layer = offset / _patternStride + 1;
            var within = offset % _patternStride;
            var kind = (within / _pairCount) switch
            {
                0 => StatisticKind.PatternAgreement,
                1 => StatisticKind.PatternEqual,
                _ => StatisticKind.PatternEqualCond,
            };
            var (a, b) = DecodePair(within % _pairCount);
            return new StatisticKey(kind, layer, a, b);
        }
        return new StatisticKey((index - _spectrumStart) switch
        {
            0 => StatisticKind.LambdaMax,
            1 => StatisticKind.LambdaMin,
            _ => StatisticKind.Condition,
        }, 0, -1, -1);
    }

    private (int A, int B) DecodePair(int pair)
    {
        var a = LastRowAtOrBefore(pair, InputCount - 1, PairRowStart);
        return (a, a + 1 + (pair - PairRowStart(a)));
    }

    /// <summary>The largest row r in [0, rows) with rowStart(r) ≤ offset (row starts increase strictly).</summary>
    private static int LastRowAtOrBefore(int offset, int rows, Func<int, int> rowStart)
    {
        int low = 0, high = rows - 1;
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            if (rowStart(middle) <= offset) low = middle;
            else high = middle - 1;
        }
        return low;
    }

    /// <summary>The index of <paramref name="key"/>, or −1 when this layout does not record it.</summary>
    public int IndexOf(StatisticKey key)
    {
        var m = InputCount;
        bool Input(int a) => a >= 0 && a < m;
        bool Pair() => Input(key.A) && Input(key.B) && key.A < key.B && key.Layer == 0;
        bool Layer() => key.Layer >= 1 && key.Layer <= Depth;
        return key.Kind switch
        {
            StatisticKind.Ntk when Has(StatisticGroups.Kernel) && Input(key.A) && Input(key.B) && key.A <= key.B && key.Layer == 0 =>
                Ntk(key.A, key.B),
            StatisticKind.Correlator when Has(StatisticGroups.Correlators) && Layer() && Input(key.A) && Input(key.B) && key.A < key.B =>
                Correlator(key.Layer, key.A, key.B),
            StatisticKind.CorrelatorCond when HasConditionalCorrelator && Layer() && Input(key.A) && Input(key.B) && key.A < key.B =>
                CorrelatorCond(key.Layer, key.A, key.B),
            StatisticKind.ActiveFraction when Has(StatisticGroups.Activity) && Layer() && Input(key.A) && key.B == -1 =>
                ActiveFraction(key.Layer, key.A),
            StatisticKind.PathProduct when Has(StatisticGroups.PathProduct) && Pair() => PathProduct(key.A, key.B),
            StatisticKind.DeadLayer when Has(StatisticGroups.Activity) && Input(key.A) && key.B == -1 && key.Layer == 0 => DeadLayer(key.A),
            StatisticKind.LambdaMax when key == new StatisticKey(StatisticKind.LambdaMax, 0, -1, -1) => LambdaMaxIndex,
            StatisticKind.LambdaMin when key == new StatisticKey(StatisticKind.LambdaMin, 0, -1, -1) => LambdaMinIndex,
            StatisticKind.Condition when key == new StatisticKey(StatisticKind.Condition, 0, -1, -1) => ConditionIndex,
            StatisticKind.PatternAgreement when Has(StatisticGroups.Patterns) && Layer() && Input(key.A) && Input(key.B) && key.A < key.B =>
                PatternAgreement(key.Layer, key.A, key.B),
            StatisticKind.PatternEqual when Has(StatisticGroups.Patterns) && Layer() && Input(key.A) && Input(key.B) && key.A < key.B =>
                PatternEqual(key.Layer, key.A, key.B),
            StatisticKind.PatternEqualCond when HasConditionalPattern && Layer() && Input(key.A) && Input(key.B) && key.A < key.B =>
                PatternEqualCond(key.Layer, key.A, key.B),
            StatisticKind.Unstable when key.Layer == 0 && key.B == -1 && key.A >= 0 && key.A < LearningRates.Length =>
                Unstable(key.A),
            _ => -1,
        };
    }

    /// <summary>The keys of a layout, decoded from the index on demand (a layout of millions of statistics holds none).</summary>
    public sealed class StatisticKeyList : IReadOnlyList<StatisticKey>
    {
        private readonly MeasurementLayout _layout;

        internal StatisticKeyList(MeasurementLayout layout) => _layout = layout;

        public StatisticKey this[int index] => _layout.Decode(index);

        public int Count => _layout.Count;

        /// <summary>The index of <paramref name="key"/>, or −1 (<see cref="MeasurementLayout.IndexOf"/>).</summary>
        public int IndexOf(StatisticKey key) => _layout.IndexOf(key);

        public IEnumerator<StatisticKey> GetEnumerator()
        {
            for (var i = 0; i < _layout.Count; i++) yield return _layout.Decode(i);
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
