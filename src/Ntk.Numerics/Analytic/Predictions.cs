using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;

namespace Ntk.Numerics.Analytic;

/// <summary>
/// The two prediction columns of results.csv (docs/contract.md §7): <c>infinite_width</c> (the analytic limit, docs/science.md §4) and
/// <c>paper</c> (the paper's statement, docs/science.md §6), per statistic:
/// <list type="table">
/// <item><term>ntk, a = b</term><description>Θ_aa = 2(L+1)‖x_a‖²/n0 / Corollary 1.1, 2L‖x_a‖²/n0</description></item>
/// <item><term>ntk, a ≠ b</term><description>Θ_ab / Theorem 1.1</description></item>
/// <item><term>correlator, correlator_cond, layer l</term><description>c_l^∞ / Theorem 2.1 at l = 1, the Remark's 1/4 at l ≥ 2</description></item>
/// <item><term>path_product</term><description>Π_l c_l^∞ / the same Π_l c_l^∞ (the independence step with the
/// infinite-width correlators, as Theorem 1.1 uses them)</description></item>
/// <item><term>active_fraction</term><description>1/2 (the law is symmetric) / none</description></item>
/// <item><term>pattern_agreement, layer l</term><description>2c_l^∞ / none</description></item>
/// <item><term>dead_layer, lambda_max, lambda_min, condition</term><description>none / none</description></item>
/// </list>
/// </summary>
/// <remarks>
/// Pure functions of (point, key). <see cref="For"/> memoizes the per-pair values of a point (weakly keyed by the
/// <see cref="PointDefinition"/> instance) because results.csv asks for every key of a point in turn and Theorem 2.1 is a
/// numerical integral, far costlier than a lookup; the cache changes no value.
/// </remarks>
public static class Predictions
{
    private static readonly ConditionalWeakTable<PointDefinition, PointPredictions> Cache = new();

    /// <summary>The (infinite_width, paper) predictions of statistic <paramref name="key"/> of <paramref name="point"/>; null where none exists.</summary>
    public static (double? InfiniteWidth, double? Paper) For(PointDefinition point, StatisticKey key)
    {
        ArgumentNullException.ThrowIfNull(point);
        return Cache.GetValue(point, static p => new PointPredictions(p)).For(key);
    }

    /// <summary>
    /// Drops the memoized values of <paramref name="point"/> (a point whose rows are written): the plan keeps every
    /// <see cref="PointDefinition"/> for the whole run, so without this the cache would grow with the sweep (issue 10).
    /// A later <see cref="For"/> computes the same values again.
    /// </summary>
    public static void Forget(PointDefinition point) => Cache.Remove(point);

    /// <summary>A fresh, uncached prediction table for <paramref name="point"/>.</summary>
    public static PointPredictions ForPoint(PointDefinition point) => new(point);
}

/// <summary>The predictions of one point, computed per pair of inputs on first use (thread-safe).</summary>
public sealed class PointPredictions
{
    private readonly PointDefinition _point;
    private readonly ConcurrentDictionary<(int A, int B), PairPredictions> _pairs = new();

    public PointPredictions(PointDefinition point)
    {
        _point = point ?? throw new ArgumentNullException(nameof(point));
    }

    /// <summary>See <see cref="Predictions"/>.</summary>
    public (double? InfiniteWidth, double? Paper) For(StatisticKey key)
    {
        var depth = _point.Network.Depth;
        switch (key.Kind)
        {
            case StatisticKind.Ntk:
            {
                // Without per-pair layer statistics no other key asks for this pair: computed, not cached (a cache of
                // every pair of m = 2,048 inputs would hold two million entries).
                var pair = _point.Layout.Has(StatisticGroups.Correlators) || _point.Layout.Has(StatisticGroups.PathProduct) ||
                           _point.Layout.Has(StatisticGroups.Patterns)
                    ? Pair(key.A, key.B)
                    : PairPredictions.Compute(_point, Math.Min(key.A, key.B), Math.Max(key.A, key.B));
                return (pair.Analytic.Theta, pair.PaperNtk);
            }
            case StatisticKind.Correlator or StatisticKind.CorrelatorCond:
            {
                if (key.Layer < 1 || key.Layer > depth)
                    throw new ArgumentOutOfRangeException(nameof(key), key, $"layer must be in 1..{depth}");
                var pair = Pair(key.A, key.B);
                var paper = key.Layer == 1 ? pair.Theorem21 : PaperClaims.RemarkDeepCorrelatorLimit;
                return (pair.Analytic.Correlator(key.Layer), paper);
            }
            case StatisticKind.PathProduct:
            {
                var product = Pair(key.A, key.B).Analytic.PathProduct;
                return (product, product);
            }
            case StatisticKind.ActiveFraction:
                return (0.5, null);
            case StatisticKind.PatternAgreement:
            {
                // Each unit is active with probability 1/2 for each input, so P(agree) = 1 − 2(1/2 − c_l) = 2c_l.
                var pair = Pair(key.A, key.B);
                return (2 * pair.Analytic.Correlator(key.Layer), null);
            }
            default:
                return (null, null);
        }
    }

    private PairPredictions Pair(int a, int b)
    {
        var m = _point.Inputs.Count;
        if ((uint)a >= (uint)m || (uint)b >= (uint)m)
            throw new ArgumentOutOfRangeException(nameof(a), $"input indices ({a}, {b}) must be in 0..{m - 1}");
        if (a > b) (a, b) = (b, a);
        return _pairs.GetOrAdd((a, b), static (pair, point) => PairPredictions.Compute(point, pair.A, pair.B), _point);
    }

    /// <summary>
    /// The predictions of one pair of inputs. Theorem 2.1's value (a numerical integral, docs/science.md §6) is computed
    /// on first use: only the layer-1 correlators need it, and a kernel-only sweep of m = 2,048 inputs has two million
    /// pairs (issue 10).
    /// </summary>
    private sealed class PairPredictions(PointDefinition point, int a, int b, AnalyticPair analytic, double paperNtk)
    {
        private double _theorem21;
        // Written after the value (a volatile write publishes it to other threads; racing threads compute the same value).
        private volatile bool _hasTheorem21;

        public AnalyticPair Analytic { get; } = analytic;
        public double PaperNtk { get; } = paperNtk;

        public double Theorem21
        {
            get
            {
                if (_hasTheorem21) return _theorem21;
                _theorem21 = a == b
                    ? double.NaN
                    : PaperClaims.Theorem21(point.Inputs.Input(a).Length, AnalyticNtk.Angle(point.Inputs.Input(a), point.Inputs.Input(b)));
                _hasTheorem21 = true;
                return _theorem21;
            }
        }

        public static PairPredictions Compute(PointDefinition point, int a, int b)
        {
            var xa = point.Inputs.Input(a);
            var xb = point.Inputs.Input(b);
            var depth = point.Network.Depth;
            var analytic = AnalyticNtk.Pair(xa, xb, depth);
            return new PairPredictions(point, a, b, analytic,
                a == b ? PaperClaims.Corollary11(xa, depth) : PaperClaims.Theorem11(xa, xb, depth));
        }
    }
}
