using System.Buffers.Binary;
using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Statistics;

/// <summary>One histogram bar of a <see cref="QuantileSketch"/>: <see cref="Count"/> values in [Lower, Upper].</summary>
/// <remarks>Positive buckets hold (Lower, Upper], negative ones [Lower, Upper); the zero bucket is [0, 0].</remarks>
public readonly record struct SketchBucket(double Lower, double Upper, long Count);

/// <summary>
/// A mergeable quantile sketch with relative-error guarantees: DDSketch (Masson, Rim &amp; Lee 2019, "DDSketch: a fast
/// and fully-mergeable quantile sketch with relative-error guarantees", PVLDB 12(12)) with the logarithmic mapping.
/// </summary>
/// <remarks>
/// <para>
/// With γ = (1 + α)/(1 − α), a positive value x falls in bucket i = ⌈log_γ x⌉, which covers (γ^{i−1}, γ^i]; negative
/// values are kept by magnitude in a second store; exact zeros are counted apart. <see cref="Quantile"/> returns
/// 2γ^i/(γ + 1) (negated for negatives), which is within α·|x| of every x in the bucket, so the q-quantile
/// x_(⌊q(n−1)⌋) (0-based order statistic) is estimated with relative error at most α. The estimate is also clamped to
/// the exact minimum and maximum, which can only bring it closer.
/// </para>
/// <para>
/// Each store keeps at most <see cref="MaxBucketsPerStore"/> consecutive buckets. When the values of one sign span
/// more (with α = 0.01 that is a factor γ^2048 ≈ 10^17.8 in magnitude), the buckets of smallest magnitude are collapsed
/// into the lowest kept bucket (DDSketch's collapsing-lowest store): quantiles falling there lose the guarantee (they are
/// reported at the collapse bucket), all others keep it. <see cref="IsCollapsed"/> says whether this happened.
/// </para>
/// <para>
/// Merging is exact and order-independent: bucket counts add, and a collapse only depends on the union of the values'
/// buckets, so any merge tree over the same values gives identical counts (and identical <see cref="ToBytes"/>).
/// Bucket indices use the portable logarithm of the weight samplers (IEEE basic operations only, not the C runtime's
/// log), so a value lands in the same bucket on every machine.
/// </para>
/// </remarks>
public sealed class QuantileSketch
{
    /// <summary>Default relative accuracy α = 1%.</summary>
    public const double DefaultRelativeAccuracy = 0.01;

    /// <summary>Most consecutive buckets kept per sign; beyond it the smallest magnitudes are collapsed.</summary>
    public const int MaxBucketsPerStore = 2048;

    private const byte FormatVersion = 1;

    private readonly double _gamma;
    private readonly double _logGamma;
    private readonly double _inverseLogGamma;
    private readonly BucketStore _positive = new();
    private readonly BucketStore _negative = new();
    private long _zeroCount;
    private double _minimum = double.PositiveInfinity;
    private double _maximum = double.NegativeInfinity;

    /// <summary>An empty sketch with relative accuracy α in (0, 1).</summary>
    public QuantileSketch(double relativeAccuracy = DefaultRelativeAccuracy)
    {
        if (!(relativeAccuracy > 0 && relativeAccuracy < 1))
            throw new ArgumentOutOfRangeException(nameof(relativeAccuracy), relativeAccuracy, "relative accuracy must be in (0, 1)");
        RelativeAccuracy = relativeAccuracy;
        _gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
        _logGamma = PortableMath.Log(_gamma);
        _inverseLogGamma = 1.0 / _logGamma;
    }

    /// <summary>α: every reported quantile is within α·|x| of the exact one (outside collapsed buckets).</summary>
    public double RelativeAccuracy { get; }

    /// <summary>Number of values added (over all merged sketches).</summary>
    public long Count => _positive.Total + _negative.Total + _zeroCount;

    /// <summary>Number of values equal to 0 (either sign).</summary>
    public long ZeroCount => _zeroCount;

    /// <summary>Exact smallest value added; NaN when empty.</summary>
    public double Minimum => Count == 0 ? double.NaN : _minimum;

    /// <summary>Exact largest value added; NaN when empty.</summary>
    public double Maximum => Count == 0 ? double.NaN : _maximum;

    /// <summary>True when some values of smallest magnitude were collapsed into a coarser bucket (see remarks).</summary>
    public bool IsCollapsed => _positive.IsCollapsed || _negative.IsCollapsed;

    /// <summary>Adds one value. Throws <see cref="ArgumentOutOfRangeException"/> for NaN or ±∞.</summary>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "a quantile sketch accepts finite values only");
        if (value > 0) _positive.Add(IndexOf(value), 1);
        else if (value < 0) _negative.Add(IndexOf(-value), 1);
        else _zeroCount++;
        if (value < _minimum) _minimum = value;
        if (value > _maximum) _maximum = value;
    }

    /// <summary>
    /// Folds <paramref name="other"/> into this sketch: bucket counts add, so the result is exactly the sketch of the
    /// union. Both sketches must have the same relative accuracy.
    /// </summary>
    public void Merge(QuantileSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.RelativeAccuracy != RelativeAccuracy)
            throw new ArgumentException(
                $"cannot merge a sketch of relative accuracy {other.RelativeAccuracy} into one of {RelativeAccuracy}", nameof(other));
        if (ReferenceEquals(other, this)) other = Clone();
        _positive.MergeFrom(other._positive);
        _negative.MergeFrom(other._negative);
        _zeroCount += other._zeroCount;
        if (other._minimum < _minimum) _minimum = other._minimum;
        if (other._maximum > _maximum) _maximum = other._maximum;
    }

    /// <summary>A new sketch equal to <paramref name="a"/> merged with <paramref name="b"/>; neither changes.</summary>
    public static QuantileSketch Combine(QuantileSketch a, QuantileSketch b)
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = a.Clone();
        result.Merge(b);
        return result;
    }

    /// <summary>A deep copy.</summary>
    public QuantileSketch Clone()
    {
        var copy = new QuantileSketch(RelativeAccuracy);
        copy._positive.MergeFrom(_positive);
        copy._negative.MergeFrom(_negative);
        copy._zeroCount = _zeroCount;
        copy._minimum = _minimum;
        copy._maximum = _maximum;
        return copy;
    }

    /// <summary>
    /// Estimate of the q-quantile, the order statistic x_(⌊q(n−1)⌋) (0-based), within α·|x| of it; NaN when empty.
    /// q = 0 and q = 1 return the exact minimum and maximum.
    /// </summary>
    public double Quantile(double q)
    {
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "quantile level must be in [0, 1]");
        var count = Count;
        if (count == 0) return double.NaN;
        if (q == 0) return _minimum;
        if (q == 1) return _maximum;
        var rank = q * (count - 1);
        long cumulative = 0;
        // Ascending order: negatives from the largest magnitude down, then zeros, then positives upward.
        for (var index = _negative.MaxIndex; _negative.Total > 0 && index >= _negative.MinIndex; index--)
        {
            cumulative += _negative.CountAt(index);
            if (cumulative > rank) return Clamp(-Representative(index));
        }
        cumulative += _zeroCount;
        if (cumulative > rank) return Clamp(0);
        for (var index = _positive.MinIndex; _positive.Total > 0 && index <= _positive.MaxIndex; index++)
        {
            cumulative += _positive.CountAt(index);
            if (cumulative > rank) return Clamp(Representative(index));
        }
        return _maximum; // only reachable through rounding of q·(n − 1) at q → 1
    }

    /// <summary>
    /// <see cref="Quantile"/> at each of <paramref name="levels"/> (ascending), in one pass over the buckets instead of
    /// one per level: the same values, since a higher level's rank is reached at the same bucket or a later one. The
    /// results writer asks for 11 levels of every sketched statistic of every point (docs/performance.md §7.2).
    /// </summary>
    public void Quantiles(ReadOnlySpan<double> levels, Span<double> into)
    {
        if (into.Length < levels.Length) throw new ArgumentException("fewer outputs than levels", nameof(into));
        var k = 0;
        for (var i = 0; i < levels.Length; i++)
        {
            var q = levels[i];
            if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(levels), q, "quantile level must be in [0, 1]");
            if (i > 0 && q < levels[i - 1]) throw new ArgumentException("levels must be ascending", nameof(levels));
        }
        var count = Count;
        // Levels 0 and 1 and an empty sketch are answered without the walk, as in Quantile.
        while (k < levels.Length && (count == 0 || levels[k] == 0))
        {
            into[k] = count == 0 ? double.NaN : _minimum;
            k++;
        }
        if (k == levels.Length) return;
        long cumulative = 0;
        for (var index = _negative.MaxIndex; _negative.Total > 0 && index >= _negative.MinIndex; index--)
        {
            cumulative += _negative.CountAt(index);
            while (k < levels.Length && levels[k] != 1 && cumulative > levels[k] * (count - 1)) into[k++] = Clamp(-Representative(index));
            if (k == levels.Length || levels[k] == 1) break;
        }
        if (k < levels.Length && levels[k] != 1)
        {
            cumulative += _zeroCount;
            while (k < levels.Length && levels[k] != 1 && cumulative > levels[k] * (count - 1)) into[k++] = Clamp(0);
        }
        if (k < levels.Length && levels[k] != 1)
            for (var index = _positive.MinIndex; _positive.Total > 0 && index <= _positive.MaxIndex; index++)
            {
                cumulative += _positive.CountAt(index);
                while (k < levels.Length && levels[k] != 1 && cumulative > levels[k] * (count - 1)) into[k++] = Clamp(Representative(index));
                if (k == levels.Length || levels[k] == 1) break;
            }
        // Level 1, and levels whose rank rounding put past the last bucket (only at q → 1), as in Quantile.
        while (k < levels.Length) into[k++] = _maximum;
    }

    /// <summary>
    /// The non-empty buckets in ascending order of value, for histograms. The lowest-magnitude bucket of a collapsed
    /// store reaches down to 0 (Lower = 0 for positives, Upper = 0 for negatives) because it holds every smaller value.
    /// </summary>
    public IReadOnlyList<SketchBucket> Buckets()
    {
        var buckets = new List<SketchBucket>();
        for (var index = _negative.MaxIndex; _negative.Total > 0 && index >= _negative.MinIndex; index--)
        {
            var count = _negative.CountAt(index);
            if (count == 0) continue;
            var upper = _negative.IsCollapsed && index == _negative.MinIndex ? 0.0 : -LowerBound(index);
            buckets.Add(new SketchBucket(-UpperBound(index), upper, count));
        }
        if (_zeroCount > 0) buckets.Add(new SketchBucket(0, 0, _zeroCount));
        for (var index = _positive.MinIndex; _positive.Total > 0 && index <= _positive.MaxIndex; index++)
        {
            var count = _positive.CountAt(index);
            if (count == 0) continue;
            var lower = _positive.IsCollapsed && index == _positive.MinIndex ? 0.0 : LowerBound(index);
            buckets.Add(new SketchBucket(lower, UpperBound(index), count));
        }
        return buckets;
    }

    /// <summary>
    /// The exact state, little-endian: version byte, α, zero count, minimum, maximum, then the positive and the
    /// negative store (collapsed flag, bucket span, lowest index, one Int64 count per bucket of the span).
    /// </summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[SerializedSize];
        Write(bytes);
        return bytes;
    }

    /// <summary>
    /// Rebuilds a sketch from <see cref="ToBytes"/>. Throws <see cref="FormatException"/> on an unknown version,
    /// truncated or trailing bytes, or an inconsistent state.
    /// </summary>
    public static QuantileSketch FromBytes(ReadOnlySpan<byte> bytes)
    {
        var reader = new ByteReader(bytes, "quantile sketch");
        var sketch = Read(ref reader);
        reader.EnsureEnd();
        return sketch;
    }

    internal int SerializedSize => 1 + 8 + 8 + 8 + 8 + _positive.SerializedSize + _negative.SerializedSize;

    internal void Write(Span<byte> destination)
    {
        var writer = new ByteWriter(destination);
        writer.WriteByte(FormatVersion);
        writer.WriteDouble(RelativeAccuracy);
        writer.WriteInt64(_zeroCount);
        writer.WriteDouble(_minimum);
        writer.WriteDouble(_maximum);
        _positive.Write(ref writer);
        _negative.Write(ref writer);
    }

    internal static QuantileSketch Read(ref ByteReader reader)
    {
        var version = reader.ReadByte("sketch version");
        if (version != FormatVersion)
            throw new FormatException($"quantile sketch: unknown format version {version} (this build reads version {FormatVersion})");
        var alpha = reader.ReadDouble("relative accuracy");
        if (!(alpha > 0 && alpha < 1)) throw new FormatException($"quantile sketch: relative accuracy {alpha} is not in (0, 1)");
        var sketch = new QuantileSketch(alpha);
        sketch._zeroCount = reader.ReadInt64("zero count");
        if (sketch._zeroCount < 0) throw new FormatException("quantile sketch: negative zero count");
        sketch._minimum = reader.ReadDouble("minimum");
        sketch._maximum = reader.ReadDouble("maximum");
        sketch._positive.Read(ref reader, "positive store");
        sketch._negative.Read(ref reader, "negative store");
        if (sketch.Count == 0)
        {
            if (sketch._minimum != double.PositiveInfinity || sketch._maximum != double.NegativeInfinity)
                throw new FormatException("quantile sketch: an empty sketch must have no minimum or maximum");
        }
        else if (!(sketch._minimum <= sketch._maximum) || !double.IsFinite(sketch._minimum) || !double.IsFinite(sketch._maximum))
        {
            throw new FormatException("quantile sketch: minimum and maximum are inconsistent");
        }
        return sketch;
    }

    /// <summary>True when both sketches hold exactly the same state (accuracy, counts per bucket, extremes).</summary>
    internal bool StateEquals(QuantileSketch other) => ToBytes().AsSpan().SequenceEqual(other.ToBytes());

    /// <summary>
    /// ⌈ln(x)/ln γ⌉ with the portable logarithm (IEEE basic operations only), so every machine puts a value in the same
    /// bucket. Subnormal magnitudes (&lt; 2^−1022, outside that logarithm's domain) go to the bucket of 2^−1022.
    /// </summary>
    private int IndexOf(double magnitude) =>
        (int)Math.Ceiling(PortableMath.Log(Math.Max(magnitude, SmallestNormal)) * _inverseLogGamma);

    private const double SmallestNormal = 2.2250738585072014E-308;

    // The bounds by the portable exponential too: the quantiles printed from the buckets are then the same bits everywhere.
    private double UpperBound(int index) => PortableMath.Exp(index * _logGamma);

    private double LowerBound(int index) => PortableMath.Exp((index - 1) * _logGamma);

    private double Representative(int index) => 2.0 * UpperBound(index) / (_gamma + 1.0);

    private double Clamp(double value) => Math.Clamp(value, _minimum, _maximum);

    /// <summary>
    /// Counts of up to <see cref="MaxBucketsPerStore"/> consecutive bucket indices in a power-of-two ring buffer
    /// (slot = index mod capacity). Invariant when non-empty: MinIndex and MaxIndex have non-zero counts, every
    /// non-zero count lies between them, and MaxIndex − MinIndex &lt; MaxBucketsPerStore.
    /// </summary>
    private sealed class BucketStore
    {
        private long[] _counts = [];

        public int MinIndex { get; private set; }
        public int MaxIndex { get; private set; }
        public long Total { get; private set; }
        public bool IsCollapsed { get; private set; }

        public long CountAt(int index) =>
            index < MinIndex || index > MaxIndex || Total == 0 ? 0 : _counts[index & (_counts.Length - 1)];

        public int SerializedSize => 1 + 4 + 4 + 8 * Span;

        private int Span => Total == 0 ? 0 : MaxIndex - MinIndex + 1;

        public void Add(int index, long count)
        {
            if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count));
            if (Total == 0)
            {
                Reserve(1);
                MinIndex = MaxIndex = index;
            }
            else if (index > MaxIndex)
            {
                var floor = index - (MaxBucketsPerStore - 1);
                if (floor > MinIndex) CollapseBelow(floor);
                Reserve(index - MinIndex + 1);
                MaxIndex = index;
            }
            else if (index < MinIndex)
            {
                var floor = MaxIndex - (MaxBucketsPerStore - 1);
                if (index < floor)
                {
                    index = floor;
                    IsCollapsed = true;
                }
                Reserve(MaxIndex - index + 1);
                MinIndex = index;
            }
            _counts[index & (_counts.Length - 1)] += count;
            Total += count;
        }

        public void MergeFrom(BucketStore other)
        {
            if (other.Total == 0)
            {
                IsCollapsed |= other.IsCollapsed;
                return;
            }
            // Highest index first, so the window is placed once and lower buckets collapse straight into it.
            for (var index = other.MaxIndex; index >= other.MinIndex; index--)
            {
                var count = other.CountAt(index);
                if (count != 0) Add(index, count);
            }
            IsCollapsed |= other.IsCollapsed;
        }

        public void Write(ref ByteWriter writer)
        {
            writer.WriteByte(IsCollapsed ? (byte)1 : (byte)0);
            writer.WriteInt32(Span);
            writer.WriteInt32(Total == 0 ? 0 : MinIndex);
            for (var k = 0; k < Span; k++) writer.WriteInt64(CountAt(MinIndex + k));
        }

        public void Read(ref ByteReader reader, string what)
        {
            var collapsed = reader.ReadByte(what + " collapsed flag");
            if (collapsed > 1) throw new FormatException($"quantile sketch: {what} has an invalid collapsed flag {collapsed}");
            var span = reader.ReadInt32(what + " bucket span");
            var minIndex = reader.ReadInt32(what + " lowest index");
            if (span < 0 || span > MaxBucketsPerStore)
                throw new FormatException($"quantile sketch: {what} spans {span} buckets (at most {MaxBucketsPerStore})");
            if ((long)minIndex + span - 1 > int.MaxValue)
                throw new FormatException($"quantile sketch: {what} bucket indices overflow");
            // One read of the whole span and one reservation: a shard's or a point's state is read once per merge,
            // so a label string or a re-grown array per bucket would cost more than the merge (issue 10).
            var counts = reader.Take(8 * span, what);
            if (span > 0) Reserve(span);
            for (var k = 0; k < span; k++)
            {
                var count = BinaryPrimitives.ReadInt64LittleEndian(counts.Slice(8 * k, 8));
                if (count < 0) throw new FormatException($"quantile sketch: {what} has a negative bucket count");
                if ((k == 0 || k == span - 1) && count == 0)
                    throw new FormatException($"quantile sketch: {what} has an empty end bucket");
                if (count != 0) Add(minIndex + k, count);
            }
            IsCollapsed = collapsed == 1;
        }

        private void CollapseBelow(int floor)
        {
            long moved = 0;
            var last = Math.Min(floor - 1, MaxIndex);
            var mask = _counts.Length - 1;
            for (var index = MinIndex; index <= last; index++)
            {
                moved += _counts[index & mask];
                _counts[index & mask] = 0;
            }
            if (floor > MaxIndex) MaxIndex = floor;
            MinIndex = floor;
            _counts[floor & mask] += moved;
            IsCollapsed = true;
        }

        private void Reserve(int span)
        {
            if (span <= _counts.Length) return;
            var capacity = 16;
            while (capacity < span) capacity <<= 1;
            var grown = new long[capacity];
            if (Total > 0)
            {
                var oldMask = _counts.Length - 1;
                for (var index = MinIndex; index <= MaxIndex; index++)
                    grown[index & (capacity - 1)] = _counts[index & oldMask];
            }
            _counts = grown;
        }
    }
}
