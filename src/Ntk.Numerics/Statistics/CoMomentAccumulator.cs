namespace Ntk.Numerics.Statistics;

/// <summary>
/// Running means and co-moment sums C_ij = Σ_t (x_i − x̄_i)(x_j − x̄_j) (i ≤ j) of a fixed group of k statistics, and
/// the exact minimum and maximum of every statistic: what the standard error of a derived quantity (a product or a
/// difference of means, by the delta method) and the heavy-tail guard need (docs/numerics.md §2, §7).
/// </summary>
/// <remarks>
/// Push (Pébay 2008 eq. 1.1 generalized to cross moments, n the new count, d_i = x_i − mean_i before the update):
/// <c>mean_i += d_i/n; C_ij += d_i·d_j·(n−1)/n</c>. Merge of B into A (Pébay 2008 eq. 2.1 for cross moments),
/// d = mean_B − mean_A: <c>C_ij = C_A + C_B + d_i d_j n_A n_B/n; mean = mean_A + d·n_B/n</c>. Only IEEE + − × ÷ in a
/// fixed order, so the same Push/Merge sequence gives the same bits (as <see cref="MomentAccumulator"/>); minima and
/// maxima are exact under any order.
/// </remarks>
public sealed class CoMomentAccumulator
{
    private readonly int[] _group;
    private readonly double[] _mean;
    private readonly double[] _comoment;
    private readonly double[] _min;
    private readonly double[] _max;

    /// <summary>An empty accumulator for co-moments of <paramref name="group"/> and extremes of all <paramref name="statisticCount"/> statistics.</summary>
    public CoMomentAccumulator(int statisticCount, ReadOnlySpan<int> group)
    {
        if (statisticCount < 1) throw new ArgumentOutOfRangeException(nameof(statisticCount));
        foreach (var i in group)
            if ((uint)i >= (uint)statisticCount)
                throw new ArgumentOutOfRangeException(nameof(group), $"group index {i} is outside 0..{statisticCount - 1}");
        _group = group.ToArray();
        _mean = new double[_group.Length];
        _comoment = new double[TriangleSize(_group.Length)];
        _min = new double[statisticCount];
        _max = new double[statisticCount];
        Array.Fill(_min, double.PositiveInfinity);
        Array.Fill(_max, double.NegativeInfinity);
    }

    /// <summary>Number of pushed vectors.</summary>
    public long Count { get; private set; }

    /// <summary>The statistic indices whose co-moments are kept, in order.</summary>
    public ReadOnlySpan<int> Group => _group;

    /// <summary>Length of the upper triangle (with diagonal) of a k × k matrix.</summary>
    public static int TriangleSize(int k) => k * (k + 1) / 2;

    /// <summary>Adds one measurement vector (already validated by the caller: right length, finite).</summary>
    public void Push(ReadOnlySpan<double> values)
    {
        if (values.Length != _min.Length) throw new ArgumentException($"expected {_min.Length} values, got {values.Length}");
        for (var s = 0; s < values.Length; s++)
        {
            var v = values[s];
            if (v < _min[s]) _min[s] = v;
            if (v > _max[s]) _max[s] = v;
        }
        Count++;
        var n = (double)Count;
        var k = _group.Length;
        Span<double> d = k <= 64 ? stackalloc double[k] : new double[k];
        for (var i = 0; i < k; i++)
        {
            d[i] = values[_group[i]] - _mean[i];
            _mean[i] += d[i] / n;
        }
        var factor = (n - 1) / n;
        var c = 0;
        for (var i = 0; i < k; i++)
            for (var j = i; j < k; j++)
                _comoment[c++] += d[i] * d[j] * factor;
    }

    /// <summary>Folds <paramref name="other"/> (same group and size) into this accumulator.</summary>
    public void Merge(CoMomentAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._min.Length != _min.Length || !other._group.AsSpan().SequenceEqual(_group))
            throw new ArgumentException("cannot merge co-moments of different statistic groups");
        if (other.Count == 0) return;
        for (var s = 0; s < _min.Length; s++)
        {
            if (other._min[s] < _min[s]) _min[s] = other._min[s];
            if (other._max[s] > _max[s]) _max[s] = other._max[s];
        }
        if (Count == 0)
        {
            Count = other.Count;
            other._mean.CopyTo(_mean, 0);
            other._comoment.CopyTo(_comoment, 0);
            return;
        }
        var nA = (double)Count;
        var nB = (double)other.Count;
        var n = nA + nB;
        var k = _group.Length;
        Span<double> d = k <= 64 ? stackalloc double[k] : new double[k];
        for (var i = 0; i < k; i++) d[i] = other._mean[i] - _mean[i];
        var weight = nA * nB / n;
        var c = 0;
        for (var i = 0; i < k; i++)
            for (var j = i; j < k; j++, c++)
                _comoment[c] = _comoment[c] + other._comoment[c] + d[i] * d[j] * weight;
        for (var i = 0; i < k; i++) _mean[i] += d[i] * (nB / n);
        Count += other.Count;
    }

    /// <summary>A deep copy.</summary>
    public CoMomentAccumulator Clone()
    {
        var copy = new CoMomentAccumulator(_min.Length, _group) { Count = Count };
        _mean.CopyTo(copy._mean, 0);
        _comoment.CopyTo(copy._comoment, 0);
        _min.CopyTo(copy._min, 0);
        _max.CopyTo(copy._max, 0);
        return copy;
    }

    /// <summary>Sample covariance of group members i and j (positions in <see cref="Group"/>): C_ij/(n − 1); NaN below 2.</summary>
    public double Covariance(int i, int j)
    {
        if (Count < 2) return double.NaN;
        if (i > j) (i, j) = (j, i);
        var k = _group.Length;
        // Row i of the upper triangle starts after rows 0..i−1, which hold k + (k−1) + … + (k−i+1) entries.
        var index = i * k - i * (i - 1) / 2 + (j - i);
        return _comoment[index] / (Count - 1);
    }

    /// <summary>Smallest value of statistic <paramref name="index"/> pushed so far (+∞ when empty).</summary>
    public double Minimum(int index) => _min[index];

    /// <summary>Largest value of statistic <paramref name="index"/> pushed so far (−∞ when empty).</summary>
    public double Maximum(int index) => _max[index];

    internal int SerializedSize => 4 + 4 * _group.Length + 8 + 8 * (_mean.Length + _comoment.Length + 2 * _min.Length);

    internal void Write(ref ByteWriter writer)
    {
        writer.WriteInt32(_group.Length);
        foreach (var i in _group) writer.WriteInt32(i);
        writer.WriteInt64(Count);
        writer.WriteDoubles(_mean);
        writer.WriteDoubles(_comoment);
        writer.WriteDoubles(_min);
        writer.WriteDoubles(_max);
    }

    internal static CoMomentAccumulator Read(ref ByteReader reader, int statisticCount, ReadOnlySpan<int> expectedGroup, long expectedCount)
    {
        var k = reader.ReadInt32("co-moment group size");
        if (k != expectedGroup.Length)
            throw new FormatException($"co-moments: group of {k} statistics, but the layout has {expectedGroup.Length}");
        for (var i = 0; i < k; i++)
        {
            var index = reader.ReadInt32("co-moment group index");
            if (index != expectedGroup[i])
                throw new FormatException($"co-moments: group member {i} is statistic {index}, expected {expectedGroup[i]}");
        }
        var result = new CoMomentAccumulator(statisticCount, expectedGroup);
        result.Count = reader.ReadInt64("co-moment count");
        if (result.Count != expectedCount)
            throw new FormatException($"co-moments: count {result.Count}, but the trial count is {expectedCount}");
        reader.ReadDoubles(result._mean, "co-moment means");
        reader.ReadDoubles(result._comoment, "co-moments");
        reader.ReadDoubles(result._min, "minima");
        reader.ReadDoubles(result._max, "maxima");
        return result;
    }
}
