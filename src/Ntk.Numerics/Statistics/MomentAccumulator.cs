using System.Numerics;
using System.Runtime.InteropServices;

namespace Ntk.Numerics.Statistics;

/// <summary>
/// Count, mean and the central moment sums M2, M3, M4 of S statistics observed together (one vector per sampled
/// network), updated in one pass and mergeable exactly as Math.NET's <c>RunningStatistics.Combine</c>.
/// </summary>
/// <remarks>
/// <para>
/// Invariant callers rely on: for every i, after n pushes of x_1..x_n (in any split into partial accumulators
/// merged in any order), Mean(i) = (1/n) Σ x_k, M2 = Σ (x_k − x̄)², M3 = Σ (x_k − x̄)³, M4 = Σ (x_k − x̄)⁴ up to
/// rounding; different splits agree to ~1e-15 relative for well-conditioned data, and the same sequence of
/// Push/Merge calls gives bitwise-identical state on every run (and across machines: only correctly rounded IEEE
/// operations are used, and RyuJIT never contracts a multiply and an add into a fused multiply-add on its own).
/// </para>
/// <para>
/// Push is the one-pass update of Terriberry (2007) / Pébay (2008, SAND2008-6212, eq. 1.1–1.3 with n_B = 1);
/// Merge is Pébay's pairwise formula (SAND2008-6212, eq. 2.1 and 3.1) written with the fractions
/// f_A = n_A/n, f_B = n_B/n. Determinism: the push loop is vectorized with <see cref="Vector{T}"/> but uses only
/// element-wise IEEE +, −, × in the same order as its scalar tail (no fused multiply-add, no reductions), so the
/// result does not depend on the vector width or on where the tail starts.
/// </para>
/// </remarks>
public sealed class MomentAccumulator
{
    private readonly double[] _mean;
    private readonly double[] _m2;
    private readonly double[] _m3;
    private readonly double[] _m4;

    /// <summary>An empty accumulator over <paramref name="statisticCount"/> statistics.</summary>
    public MomentAccumulator(int statisticCount)
    {
        if (statisticCount < 0) throw new ArgumentOutOfRangeException(nameof(statisticCount), statisticCount, "must be non-negative");
        _mean = new double[statisticCount];
        _m2 = new double[statisticCount];
        _m3 = new double[statisticCount];
        _m4 = new double[statisticCount];
    }

    private MomentAccumulator(long count, double[] mean, double[] m2, double[] m3, double[] m4)
    {
        Count = count;
        _mean = mean;
        _m2 = m2;
        _m3 = m3;
        _m4 = m4;
    }

    /// <summary>S, the length of every pushed vector.</summary>
    public int StatisticCount => _mean.Length;

    /// <summary>n, the number of vectors pushed (over all merged partials).</summary>
    public long Count { get; private set; }

    /// <summary>Per-statistic means (all 0 while empty).</summary>
    public ReadOnlySpan<double> Means => _mean;

    /// <summary>Per-statistic M2 = Σ (x − x̄)².</summary>
    public ReadOnlySpan<double> SecondMomentSums => _m2;

    /// <summary>Per-statistic M3 = Σ (x − x̄)³.</summary>
    public ReadOnlySpan<double> ThirdMomentSums => _m3;

    /// <summary>Per-statistic M4 = Σ (x − x̄)⁴.</summary>
    public ReadOnlySpan<double> FourthMomentSums => _m4;

    /// <summary>
    /// Adds one observation of every statistic. Throws <see cref="ArgumentException"/> (leaving the state unchanged)
    /// when the length is not S or a value is NaN or infinite: a non-finite measurement is a sampler bug and would
    /// silently poison every later merge.
    /// </summary>
    public void Push(ReadOnlySpan<double> values)
    {
        if (values.Length != _mean.Length)
            throw new ArgumentException($"expected {_mean.Length} statistics, got {values.Length}", nameof(values));
        EnsureFinite(values);

        var n1 = (double)Count;
        Count++;
        var n = (double)Count;
        var inverseN = 1.0 / n;
        var factor4 = n * n - 3.0 * n + 3.0;
        var factor3 = n - 2.0;

        var length = values.Length;
        var i = 0;
        if (Vector.IsHardwareAccelerated && length >= Vector<double>.Count)
        {
            var x = MemoryMarshal.Cast<double, Vector<double>>(values);
            var mean = MemoryMarshal.Cast<double, Vector<double>>(_mean.AsSpan());
            var m2 = MemoryMarshal.Cast<double, Vector<double>>(_m2.AsSpan());
            var m3 = MemoryMarshal.Cast<double, Vector<double>>(_m3.AsSpan());
            var m4 = MemoryMarshal.Cast<double, Vector<double>>(_m4.AsSpan());
            var vInverseN = new Vector<double>(inverseN);
            var vN1 = new Vector<double>(n1);
            var vFactor4 = new Vector<double>(factor4);
            var vFactor3 = new Vector<double>(factor3);
            var six = new Vector<double>(6.0);
            var four = new Vector<double>(4.0);
            var three = new Vector<double>(3.0);
            for (var k = 0; k < x.Length; k++)
            {
                var delta = x[k] - mean[k];
                var deltaN = delta * vInverseN;
                var deltaN2 = deltaN * deltaN;
                var term1 = delta * deltaN * vN1;
                var oldM2 = m2[k];
                var oldM3 = m3[k];
                mean[k] = mean[k] + deltaN;
                m4[k] = m4[k] + term1 * deltaN2 * vFactor4 + six * deltaN2 * oldM2 - four * deltaN * oldM3;
                m3[k] = oldM3 + term1 * deltaN * vFactor3 - three * deltaN * oldM2;
                m2[k] = oldM2 + term1;
            }
            i = x.Length * Vector<double>.Count;
        }
        for (; i < length; i++)
        {
            // Same operations in the same order as the vector body (left-to-right evaluation).
            var delta = values[i] - _mean[i];
            var deltaN = delta * inverseN;
            var deltaN2 = deltaN * deltaN;
            var term1 = delta * deltaN * n1;
            var oldM2 = _m2[i];
            var oldM3 = _m3[i];
            _mean[i] = _mean[i] + deltaN;
            _m4[i] = _m4[i] + term1 * deltaN2 * factor4 + 6.0 * deltaN2 * oldM2 - 4.0 * deltaN * oldM3;
            _m3[i] = oldM3 + term1 * deltaN * factor3 - 3.0 * deltaN * oldM2;
            _m2[i] = oldM2 + term1;
        }
    }

    /// <summary>
    /// Folds <paramref name="other"/> into this accumulator (Pébay 2008, eq. 2.1/3.1). Merging into an empty
    /// accumulator copies <paramref name="other"/> exactly; merging an empty one changes nothing.
    /// </summary>
    public void Merge(MomentAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.StatisticCount != StatisticCount)
            throw new ArgumentException($"cannot merge {other.StatisticCount} statistics into {StatisticCount}", nameof(other));
        if (other.Count == 0) return;
        if (Count == 0)
        {
            other._mean.CopyTo(_mean, 0);
            other._m2.CopyTo(_m2, 0);
            other._m3.CopyTo(_m3, 0);
            other._m4.CopyTo(_m4, 0);
            Count = other.Count;
            return;
        }

        var nA = (double)Count;
        var nB = (double)other.Count;
        var n = nA + nB;
        var fA = nA / n;
        var fB = nB / n;
        var nfAfB = n * fA * fB;                      // n_A n_B / n
        var c3 = nfAfB * (fA - fB);                   // n_A n_B (n_A − n_B) / n²
        var c4 = nfAfB * (fA * fA - fA * fB + fB * fB); // n_A n_B (n_A² − n_A n_B + n_B²) / n³
        var fA2 = fA * fA;
        var fB2 = fB * fB;

        var otherMean = other._mean;
        var otherM2 = other._m2;
        var otherM3 = other._m3;
        var otherM4 = other._m4;
        for (var i = 0; i < _mean.Length; i++)
        {
            var delta = otherMean[i] - _mean[i];
            var delta2 = delta * delta;
            var m2A = _m2[i];
            var m3A = _m3[i];
            var m2B = otherM2[i];
            var m3B = otherM3[i];
            _mean[i] = _mean[i] + delta * fB;
            _m4[i] = _m4[i] + otherM4[i] + delta2 * delta2 * c4
                     + 6.0 * delta2 * (fA2 * m2B + fB2 * m2A)
                     + 4.0 * delta * (fA * m3B - fB * m3A);
            _m3[i] = m3A + m3B + delta2 * delta * c3 + 3.0 * delta * (fA * m2B - fB * m2A);
            _m2[i] = m2A + m2B + delta2 * nfAfB;
        }
        Count += other.Count;
    }

    /// <summary>A new accumulator equal to <paramref name="a"/> merged with <paramref name="b"/>; neither changes.</summary>
    public static MomentAccumulator Combine(MomentAccumulator a, MomentAccumulator b)
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = a.Clone();
        result.Merge(b);
        return result;
    }

    /// <summary>A deep copy.</summary>
    public MomentAccumulator Clone() =>
        new(Count, (double[])_mean.Clone(), (double[])_m2.Clone(), (double[])_m3.Clone(), (double[])_m4.Clone());

    /// <summary>
    /// Rebuilds an accumulator from its exact state (the arrays are copied). Throws <see cref="ArgumentException"/>
    /// when the lengths differ, the count is negative, an M2 is negative (Push and Merge only ever add non-negative
    /// terms to M2), or an empty state has non-zero moments. Every state this class can reach is accepted, including
    /// ±∞ / NaN moments after an overflow; M3 and M4 are not sign-checked because rounding can leave a true 0 at −ε.
    /// </summary>
    public static MomentAccumulator FromState(
        long count, ReadOnlySpan<double> mean, ReadOnlySpan<double> m2, ReadOnlySpan<double> m3, ReadOnlySpan<double> m4)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be non-negative");
        var s = mean.Length;
        if (m2.Length != s || m3.Length != s || m4.Length != s)
            throw new ArgumentException("mean, M2, M3 and M4 must have the same length");
        for (var i = 0; i < s; i++)
        {
            if (m2[i] < 0)
                throw new ArgumentException($"statistic {i}: M2 = {m2[i]} is negative");
            if (count == 0 && (mean[i] != 0 || m2[i] != 0 || m3[i] != 0 || m4[i] != 0))
                throw new ArgumentException($"statistic {i}: an empty accumulator must have zero moments");
        }
        return new MomentAccumulator(count, mean.ToArray(), m2.ToArray(), m3.ToArray(), m4.ToArray());
    }

    /// <summary>Sample mean x̄ = (1/n) Σ x; NaN when n = 0.</summary>
    public double Mean(int index)
    {
        CheckIndex(index);
        return Count == 0 ? double.NaN : _mean[index];
    }

    /// <summary>Unbiased sample variance s² = M2/(n − 1); NaN when n &lt; 2.</summary>
    public double Variance(int index)
    {
        CheckIndex(index);
        return Count < 2 ? double.NaN : _m2[index] / (Count - 1.0);
    }

    /// <summary>Standard error of the mean, sqrt(s²/n); NaN when n &lt; 2.</summary>
    public double StandardError(int index)
    {
        var variance = Variance(index);
        return Math.Sqrt(variance / Count);
    }

    /// <summary>
    /// Adjusted Fisher–Pearson sample skewness G1 = n √(n−1) / (n−2) · M3 / M2^{3/2} (the definition of Math.NET's
    /// RunningStatistics, Excel's SKEW and SAS); NaN when n &lt; 3 or M2 = 0 (zero variance).
    /// </summary>
    public double Skewness(int index)
    {
        CheckIndex(index);
        var m2 = _m2[index];
        if (Count < 3 || m2 == 0) return double.NaN;
        double n = Count;
        return n * Math.Sqrt(n - 1.0) / (n - 2.0) * _m3[index] / (m2 * Math.Sqrt(m2));
    }

    /// <summary>
    /// Unbiased sample excess kurtosis G2 = (n+1) n (n−1) / ((n−2)(n−3)) · M4/M2² − 3 (n−1)² / ((n−2)(n−3))
    /// (Math.NET's RunningStatistics, Excel's KURT; 0 for a normal law in the limit); NaN when n &lt; 4 or M2 = 0.
    /// </summary>
    public double Kurtosis(int index)
    {
        CheckIndex(index);
        var m2 = _m2[index];
        if (Count < 4 || m2 == 0) return double.NaN;
        double n = Count;
        var denominator = (n - 2.0) * (n - 3.0);
        return (n + 1.0) * n * (n - 1.0) / denominator * (_m4[index] / (m2 * m2)) - 3.0 * (n - 1.0) * (n - 1.0) / denominator;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_mean.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"statistic index must be in 0..{_mean.Length - 1}");
    }

    private static void EnsureFinite(ReadOnlySpan<double> values)
    {
        // x·0 is 0 for finite x and NaN for NaN or ±∞, so one vectorized pass detects any non-finite value.
        var probe = 0.0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<double>.Count)
        {
            var vectors = MemoryMarshal.Cast<double, Vector<double>>(values);
            var accumulator = Vector<double>.Zero;
            foreach (var v in vectors) accumulator += v * Vector<double>.Zero;
            probe = Vector.Sum(accumulator);
            i = vectors.Length * Vector<double>.Count;
        }
        for (; i < values.Length; i++) probe += values[i] * 0.0;
        if (probe == 0) return;
        for (var k = 0; k < values.Length; k++)
            if (!double.IsFinite(values[k]))
                throw new ArgumentException($"statistic {k} is {values[k]}: measurements must be finite", nameof(values));
    }
}
