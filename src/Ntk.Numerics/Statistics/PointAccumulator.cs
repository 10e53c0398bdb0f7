using System.Collections.Immutable;
using Ntk.Numerics.Measurement;

namespace Ntk.Numerics.Statistics;

/// <summary>
/// Everything a point's sampled networks have shown so far: the moments of every statistic of its
/// <see cref="MeasurementLayout"/> (<see cref="MomentAccumulator"/>) and a quantile sketch for each of
/// <see cref="MeasurementLayout.SketchedIndices"/> (<see cref="QuantileSketch"/>, α = 1%).
/// </summary>
/// <remarks>
/// Invariant callers rely on: partial accumulators meet only through <see cref="Merge"/> / <see cref="Combine"/>;
/// merging the same partials in the same order gives bitwise-identical state (and <see cref="ToBytes"/>), any other
/// split or order agrees to rounding (~1e-15 relative on the moments, exactly on the sketches), and
/// <see cref="FromBytes"/>(<see cref="ToBytes"/>()) restores the state bit for bit.
/// </remarks>
public sealed class PointAccumulator
{
    /// <summary>Version 3: the statistic groups byte and the co-moment block (minima, maxima, co-moments).</summary>
    private const byte FormatVersion = 3;

    /// <summary>
    /// Version 2 of main (co-moment block, no groups byte: it always held every group) is still read. The scale-cluster
    /// branch's own version 2 (groups byte, no co-moment block) and version 1 lack the minima, maxima and co-moments
    /// and are not read.
    /// </summary>
    private const byte FormatVersionEveryGroup = 2;
    private static ReadOnlySpan<byte> Magic => "NTKA"u8;

    private readonly MomentAccumulator _moments;
    private readonly QuantileSketch[] _sketches;
    private readonly CoMomentAccumulator _comoments;

    /// <summary>An empty accumulator for <paramref name="layout"/>.</summary>
    public PointAccumulator(MeasurementLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        _moments = new MomentAccumulator(layout.Count);
        _sketches = new QuantileSketch[layout.SketchedIndices.Length];
        for (var k = 0; k < _sketches.Length; k++) _sketches[k] = new QuantileSketch();
        _comoments = new CoMomentAccumulator(layout.Count, layout.CovariantIndices.AsSpan());
    }

    private PointAccumulator(MeasurementLayout layout, MomentAccumulator moments, QuantileSketch[] sketches, CoMomentAccumulator comoments)
    {
        Layout = layout;
        _moments = moments;
        _sketches = sketches;
        _comoments = comoments;
    }

    public MeasurementLayout Layout { get; }

    /// <summary>Number of sampled networks (trials) accumulated.</summary>
    public long Count => _moments.Count;

    /// <summary>The indices that carry a quantile sketch (<see cref="MeasurementLayout.SketchedIndices"/>).</summary>
    public ImmutableArray<int> SketchedIndices => Layout.SketchedIndices;

    /// <summary>
    /// Adds one sampled network's measurement vector (length <see cref="MeasurementLayout.Count"/>). Throws
    /// <see cref="ArgumentException"/>, leaving the state unchanged, on a wrong length or a NaN / infinite value.
    /// </summary>
    public void Push(ReadOnlySpan<double> measurement)
    {
        // The moment accumulator validates the whole vector (length and finiteness) before changing anything,
        // so the sketches below never see a value it rejected.
        _moments.Push(measurement);
        var indices = Layout.SketchedIndices;
        for (var k = 0; k < _sketches.Length; k++) _sketches[k].Add(measurement[indices[k]]);
        _comoments.Push(measurement);
    }

    /// <summary>Folds <paramref name="other"/> (same layout) into this accumulator.</summary>
    public void Merge(PointAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        EnsureSameLayout(Layout, other.Layout);
        if (ReferenceEquals(other, this)) other = Clone();
        _moments.Merge(other._moments);
        for (var k = 0; k < _sketches.Length; k++) _sketches[k].Merge(other._sketches[k]);
        _comoments.Merge(other._comoments);
    }

    /// <summary>A new accumulator equal to <paramref name="a"/> merged with <paramref name="b"/>; neither changes.</summary>
    public static PointAccumulator Combine(PointAccumulator a, PointAccumulator b)
    {
        ArgumentNullException.ThrowIfNull(a);
        var result = a.Clone();
        result.Merge(b);
        return result;
    }

    /// <summary>A deep copy.</summary>
    public PointAccumulator Clone()
    {
        var sketches = new QuantileSketch[_sketches.Length];
        for (var k = 0; k < sketches.Length; k++) sketches[k] = _sketches[k].Clone();
        return new PointAccumulator(Layout, _moments.Clone(), sketches, _comoments.Clone());
    }

    /// <summary>
    /// Sample covariance of statistics <paramref name="i"/> and <paramref name="j"/>, both in
    /// <see cref="MeasurementLayout.CovariantIndices"/> (or i = j: the variance); NaN below 2 trials.
    /// </summary>
    public double Covariance(int i, int j)
    {
        if (i == j) return Variance(i);
        var group = Layout.CovariantIndices;
        var pi = group.IndexOf(i);
        var pj = group.IndexOf(j);
        if (pi < 0 || pj < 0)
            throw new ArgumentException($"statistics {i} and {j} are not both among the covariant indices {string.Join(", ", group)}");
        return _comoments.Covariance(pi, pj);
    }

    /// <summary>Exact smallest value of statistic <paramref name="index"/> (+∞ when empty).</summary>
    public double Minimum(int index) => _comoments.Minimum(index);

    /// <summary>Exact largest value of statistic <paramref name="index"/> (−∞ when empty).</summary>
    public double Maximum(int index) => _comoments.Maximum(index);

    /// <summary>Sample mean of statistic <paramref name="index"/>; NaN when empty.</summary>
    public double Mean(int index) => _moments.Mean(index);

    /// <summary>Unbiased sample variance; NaN below 2 trials.</summary>
    public double Variance(int index) => _moments.Variance(index);

    /// <summary>Standard error of the mean, sqrt(variance / trials); NaN below 2 trials.</summary>
    public double StandardError(int index) => _moments.StandardError(index);

    /// <summary>Sample skewness G1 (see <see cref="MomentAccumulator.Skewness"/>); NaN below 3 trials or at zero variance.</summary>
    public double Skewness(int index) => _moments.Skewness(index);

    /// <summary>Sample excess kurtosis G2 (see <see cref="MomentAccumulator.Kurtosis"/>); NaN below 4 trials or at zero variance.</summary>
    public double Kurtosis(int index) => _moments.Kurtosis(index);

    /// <summary>
    /// The quantile sketch of statistic <paramref name="index"/>, owned by this accumulator (read it; clone it before
    /// changing it). Throws <see cref="ArgumentException"/> when the index is not in <see cref="SketchedIndices"/>.
    /// </summary>
    public QuantileSketch Sketch(int index) =>
        TryGetSketch(index, out var sketch)
            ? sketch
            : throw new ArgumentException(
                $"statistic {index} has no quantile sketch; sketched indices are {string.Join(", ", Layout.SketchedIndices)}",
                nameof(index));

    /// <summary>The quantile sketch of statistic <paramref name="index"/>, if it has one.</summary>
    public bool TryGetSketch(int index, out QuantileSketch sketch)
    {
        var position = Layout.SketchedIndices.IndexOf(index);
        if (position < 0)
        {
            sketch = null!;
            return false;
        }
        sketch = _sketches[position];
        return true;
    }

    /// <summary>
    /// The exact state as bytes (format version 3, little-endian, doubles bit for bit): "NTKA", version byte, m (Int32),
    /// L (Int32), conditional-correlator flag (byte), statistic groups (byte, <see cref="StatisticGroups"/>), S (Int32), trials (Int64), then S means, S values of M2, of M3 and
    /// of M4 (Float64 each), the number of sketches (Int32) and per sketch its statistic index (Int32), its length
    /// (Int32) and the bytes of <see cref="QuantileSketch.ToBytes"/>; then the co-moment block: group size k
    /// (Int32), the k group indices (Int32), count (Int64), k means, k(k+1)/2 co-moment sums, S minima, S maxima.
    /// </summary>
    public byte[] ToBytes()
    {
        var s = Layout.Count;
        var size = HeaderSize + 8 + 4 * 8 * s + 4;
        foreach (var sketch in _sketches) size += 8 + sketch.SerializedSize;
        size += _comoments.SerializedSize;
        var bytes = new byte[size];
        var writer = new ByteWriter(bytes);
        Magic.CopyTo(writer.Reserve(Magic.Length));
        writer.WriteByte(FormatVersion);
        writer.WriteInt32(Layout.InputCount);
        writer.WriteInt32(Layout.Depth);
        writer.WriteByte(ConditionalFlag(Layout));
        writer.WriteByte((byte)Layout.Groups);
        writer.WriteInt32(s);
        writer.WriteInt64(_moments.Count);
        writer.WriteDoubles(_moments.Means);
        writer.WriteDoubles(_moments.SecondMomentSums);
        writer.WriteDoubles(_moments.ThirdMomentSums);
        writer.WriteDoubles(_moments.FourthMomentSums);
        writer.WriteInt32(_sketches.Length);
        for (var k = 0; k < _sketches.Length; k++)
        {
            var length = _sketches[k].SerializedSize;
            writer.WriteInt32(Layout.SketchedIndices[k]);
            writer.WriteInt32(length);
            _sketches[k].Write(writer.Reserve(length));
        }
        _comoments.Write(ref writer);
        if (writer.Position != bytes.Length) throw new InvalidOperationException("serialized size mismatch");
        return bytes;
    }

    /// <summary>
    /// Rebuilds the accumulator written by <see cref="ToBytes"/>. Throws <see cref="FormatException"/> when the bytes
    /// are not an accumulator (magic), have an unknown version, are truncated or have trailing bytes, or hold an
    /// inconsistent state; throws <see cref="ArgumentException"/> when they were written for a different layout
    /// (m, L, conditional flag or S).
    /// </summary>
    public static PointAccumulator FromBytes(MeasurementLayout layout, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var reader = new ByteReader(bytes, "point accumulator");
        if (!reader.Take(Magic.Length, "magic").SequenceEqual(Magic))
            throw new FormatException("point accumulator: the data does not start with the \"NTKA\" magic");
        var version = reader.ReadByte("version");
        if (version != FormatVersion && version != FormatVersionEveryGroup)
            throw new FormatException(
                $"point accumulator: unknown format version {version} (this build reads versions {FormatVersionEveryGroup} and {FormatVersion})");
        var inputCount = reader.ReadInt32("input count");
        var depth = reader.ReadInt32("depth");
        var conditional = reader.ReadByte("conditional flag");
        var groups = version == FormatVersionEveryGroup ? StatisticGroups.All : (StatisticGroups)reader.ReadByte("statistic groups");
        var s = reader.ReadInt32("statistic count");
        if (inputCount != layout.InputCount || depth != layout.Depth ||
            conditional != ConditionalFlag(layout) || groups != layout.Groups || s != layout.Count)
            throw new ArgumentException(
                $"point accumulator: the bytes were written for m = {inputCount}, L = {depth}, conditional = {conditional}, " +
                $"statistics {StatisticSelection.Describe(groups)}, S = {s}, but the layout has m = {layout.InputCount}, " +
                $"L = {layout.Depth}, conditional = {ConditionalFlag(layout)}, " +
                $"statistics {StatisticSelection.Describe(layout.Groups)}, S = {layout.Count}",
                nameof(layout));

        var count = reader.ReadInt64("trial count");
        if (count < 0) throw new FormatException($"point accumulator: negative trial count {count}");
        var mean = new double[s];
        var m2 = new double[s];
        var m3 = new double[s];
        var m4 = new double[s];
        reader.ReadDoubles(mean, "means");
        reader.ReadDoubles(m2, "M2");
        reader.ReadDoubles(m3, "M3");
        reader.ReadDoubles(m4, "M4");
        MomentAccumulator moments;
        try
        {
            moments = MomentAccumulator.FromState(count, mean, m2, m3, m4);
        }
        catch (ArgumentException e)
        {
            throw new FormatException("point accumulator: " + e.Message, e);
        }

        var sketchCount = reader.ReadInt32("sketch count");
        if (sketchCount != layout.SketchedIndices.Length)
            throw new FormatException(
                $"point accumulator: {sketchCount} sketches, but the layout sketches {layout.SketchedIndices.Length} statistics");
        var sketches = new QuantileSketch[sketchCount];
        for (var k = 0; k < sketchCount; k++)
        {
            var index = reader.ReadInt32("sketch index");
            if (index != layout.SketchedIndices[k])
                throw new FormatException(
                    $"point accumulator: sketch {k} belongs to statistic {index}, expected {layout.SketchedIndices[k]}");
            var length = reader.ReadInt32("sketch length");
            var sketchReader = new ByteReader(reader.Take(length, "sketch"), $"point accumulator, sketch of statistic {index}");
            sketches[k] = QuantileSketch.Read(ref sketchReader);
            sketchReader.EnsureEnd();
            if (sketches[k].Count != count)
                throw new FormatException(
                    $"point accumulator: the sketch of statistic {index} holds {sketches[k].Count} values, but the trial count is {count}");
            if (sketches[k].RelativeAccuracy != QuantileSketch.DefaultRelativeAccuracy)
                throw new FormatException(
                    $"point accumulator: the sketch of statistic {index} has relative accuracy {sketches[k].RelativeAccuracy}, expected {QuantileSketch.DefaultRelativeAccuracy}");
        }
        var comoments = CoMomentAccumulator.Read(ref reader, s, layout.CovariantIndices.AsSpan(), count);
        reader.EnsureEnd();
        return new PointAccumulator(layout, moments, sketches, comoments);
    }

    /// <summary>
    /// The quantile sketches of bytes written by <see cref="ToBytes"/>, in the order of the layout's sketched
    /// statistics, without the layout (a reader that knows which statistics they are, such as a report, needs no
    /// plan). Throws <see cref="FormatException"/> as <see cref="FromBytes"/> does.
    /// </summary>
    public static IReadOnlyList<QuantileSketch> SketchesFromBytes(ReadOnlySpan<byte> bytes)
    {
        var reader = new ByteReader(bytes, "point accumulator");
        if (!reader.Take(Magic.Length, "magic").SequenceEqual(Magic))
            throw new FormatException("point accumulator: the data does not start with the \"NTKA\" magic");
        var version = reader.ReadByte("version");
        if (version != FormatVersion && version != FormatVersionEveryGroup)
            throw new FormatException(
                $"point accumulator: unknown format version {version} (this build reads versions {FormatVersionEveryGroup} and {FormatVersion})");
        reader.Take(4 + 4 + 1 + (version == FormatVersionEveryGroup ? 0 : 1), "layout");
        var s = reader.ReadInt32("statistic count");
        if (s < 0) throw new FormatException($"point accumulator: negative statistic count {s}");
        reader.Take(8 + 4 * 8 * s, "moments");
        var sketchCount = reader.ReadInt32("sketch count");
        if (sketchCount < 0) throw new FormatException($"point accumulator: negative sketch count {sketchCount}");
        var sketches = new QuantileSketch[sketchCount];
        for (var k = 0; k < sketchCount; k++)
        {
            reader.ReadInt32("sketch index");
            var length = reader.ReadInt32("sketch length");
            var sketchReader = new ByteReader(reader.Take(length, "sketch"), $"point accumulator, sketch {k}");
            sketches[k] = QuantileSketch.Read(ref sketchReader);
            sketchReader.EnsureEnd();
        }
        // The co-moment block (CoMomentAccumulator.Write): group size k, k indices, count, k means, k(k+1)/2
        // co-moments, S minima and S maxima. Skipped, but it must be whole.
        var k2 = reader.ReadInt32("co-moment group size");
        if (k2 < 0) throw new FormatException($"point accumulator: negative co-moment group size {k2}");
        reader.Take(4 * k2 + 8, "co-moment group");
        reader.Take(checked(8 * (k2 + k2 * (k2 + 1) / 2 + 2 * s)), "co-moments");
        reader.EnsureEnd();
        return sketches;
    }

    /// <summary>The conditional flag of the header: 1 when the layout records a conditional (Gaussian-weight) statistic.</summary>
    private static byte ConditionalFlag(MeasurementLayout layout) =>
        layout.HasConditionalCorrelator || layout.HasConditionalPattern ? (byte)1 : (byte)0;

    /// <summary>Size of the fixed header: magic, version, m, L, conditional flag, groups, S.</summary>
    private const int HeaderSize = 4 + 1 + 4 + 4 + 1 + 1 + 4;

    /// <summary>
    /// Size of <see cref="ToBytes"/> for <paramref name="statisticCount"/> statistics, without the sketches' contents
    /// (each sketch adds 8 bytes here plus its own, data-dependent size): 48 bytes per statistic (four moments, minimum,
    /// maximum), plus the co-moment block of <paramref name="covariantCount"/> indices.
    /// </summary>
    public static long SerializedSizeWithoutSketches(long statisticCount, int sketchCount, int covariantCount = 0) =>
        HeaderSize + 8 + 4L * 8 * statisticCount + 4 + 8L * sketchCount +
        4 + 4L * covariantCount + 8 + 8L * (covariantCount + (long)covariantCount * (covariantCount + 1) / 2 + 2 * statisticCount);

    /// <summary>True when both layouts describe the same measurement vector.</summary>
    internal static bool SameLayout(MeasurementLayout a, MeasurementLayout b) =>
        ReferenceEquals(a, b) ||
        (a.InputCount == b.InputCount && a.Depth == b.Depth && a.HasConditionalCorrelator == b.HasConditionalCorrelator &&
         a.HasConditionalPattern == b.HasConditionalPattern && a.Groups == b.Groups &&
         a.LearningRates.AsSpan().SequenceEqual(b.LearningRates.AsSpan()));

    private static void EnsureSameLayout(MeasurementLayout a, MeasurementLayout b)
    {
        if (!SameLayout(a, b))
            throw new ArgumentException(
                $"cannot merge accumulators of different layouts (m = {b.InputCount}, L = {b.Depth} into m = {a.InputCount}, L = {a.Depth})");
    }
}
