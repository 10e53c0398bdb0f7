using MathNet.Numerics.Statistics;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Statistics;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

public sealed class PointAccumulatorTests(ITestOutputHelper output)
{
    /// <summary>Different merge trees agree to rounding: ~n·ε for n ≈ 1000 (see MomentAccumulatorTests).</summary>
    private const double RelativeTolerance = 1e-12;

    private static readonly MeasurementLayout Layout = MeasurementLayout.For(3, 2, hasConditionalCorrelator: true);

    [Fact]
    public void Merging_partials_built_three_ways_agrees_with_one_pass()
    {
        const int seed = 2026;
        output.WriteLine($"seed {seed}");
        var rows = Measurements(seed, 1200);
        var onePass = Accumulate(rows);

        var halves = PointAccumulator.Combine(Accumulate(rows[..600]), Accumulate(rows[600..]));

        var shards = new PointAccumulator(Layout);
        var random = new Random(seed);
        for (var start = 0; start < rows.Length;)
        {
            var size = Math.Min(random.Next(1, 200), rows.Length - start);
            shards.Merge(Accumulate(rows[start..(start + size)]));
            start += size;
        }

        foreach (var merged in new[] { halves, shards })
        {
            Assert.Equal(onePass.Count, merged.Count);
            for (var i = 0; i < Layout.Count; i++)
            {
                AssertClose(onePass.Mean(i), merged.Mean(i), 0);
                AssertClose(onePass.Variance(i), merged.Variance(i), 0);
                AssertClose(onePass.StandardError(i), merged.StandardError(i), 0);
                // Skewness and kurtosis are dimensionless and may be near 0: compared on a scale of at least 1.
                AssertClose(onePass.Skewness(i), merged.Skewness(i), 1);
                AssertClose(onePass.Kurtosis(i), merged.Kurtosis(i), 1);
            }
            foreach (var index in Layout.SketchedIndices)
                Assert.True(onePass.Sketch(index).StateEquals(merged.Sketch(index)));
        }
    }

    [Fact]
    public void The_sketches_read_from_the_bytes_without_the_layout_equal_the_accumulator_s()
    {
        var accumulator = Accumulate(Measurements(seed: 5, 300));
        var sketches = PointAccumulator.SketchesFromBytes(accumulator.ToBytes());
        Assert.Equal(Layout.SketchedIndices.Length, sketches.Count);
        for (var k = 0; k < sketches.Count; k++)
            Assert.True(accumulator.Sketch(Layout.SketchedIndices[k]).StateEquals(sketches[k]));
        Assert.Throws<FormatException>(() => PointAccumulator.SketchesFromBytes(accumulator.ToBytes()[..^1]));
    }

    [Fact]
    public void Merging_the_same_partials_in_the_same_order_is_bitwise_deterministic()
    {
        const int seed = 11;
        output.WriteLine($"seed {seed}");
        var rows = Measurements(seed, 500);
        byte[] Build()
        {
            var total = new PointAccumulator(Layout);
            for (var start = 0; start < rows.Length; start += 64)
                total.Merge(Accumulate(rows[start..Math.Min(start + 64, rows.Length)]));
            return total.ToBytes();
        }
        Assert.Equal(Build(), Build());
    }

    [Fact]
    public void Statistics_match_MathNet_on_every_index()
    {
        const int seed = 3;
        output.WriteLine($"seed {seed}");
        var rows = Measurements(seed, 400);
        var accumulator = Accumulate(rows);
        for (var i = 0; i < Layout.Count; i++)
        {
            var reference = new RunningStatistics(rows.Select(r => r[i]));
            AssertClose(reference.Mean, accumulator.Mean(i), 0);
            AssertClose(reference.Variance, accumulator.Variance(i), 0);
            AssertClose(Math.Sqrt(reference.Variance / reference.Count), accumulator.StandardError(i), 0);
            AssertClose(reference.Skewness, accumulator.Skewness(i), 1);
            AssertClose(reference.Kurtosis, accumulator.Kurtosis(i), 1);
        }
    }

    [Fact]
    public void Combine_and_Clone_do_not_share_state()
    {
        var rows = Measurements(4, 60);
        var a = Accumulate(rows[..30]);
        var b = Accumulate(rows[30..]);
        var aBytes = a.ToBytes();
        var bBytes = b.ToBytes();
        var combined = PointAccumulator.Combine(a, b);
        Assert.Equal(aBytes, a.ToBytes());
        Assert.Equal(bBytes, b.ToBytes());
        Assert.Equal(60, combined.Count);
        Assert.Equal(60, combined.Sketch(Layout.Ntk(0, 0)).Count);

        var clone = a.Clone();
        clone.Push(rows[0]);
        Assert.Equal(aBytes, a.ToBytes());
        Assert.Equal(31, clone.Count);

        a.Merge(a);
        Assert.Equal(60, a.Count);
        Assert.Equal(60, a.Sketch(Layout.LambdaMaxIndex).Count);
    }

    [Fact]
    public void Bytes_round_trip_bit_for_bit()
    {
        var rows = Measurements(5, 250);
        foreach (var accumulator in new[] { new PointAccumulator(Layout), Accumulate(rows[..1]), Accumulate(rows) })
        {
            var bytes = accumulator.ToBytes();
            var restored = PointAccumulator.FromBytes(Layout, bytes);
            Assert.Equal(bytes, restored.ToBytes());
            Assert.Equal(accumulator.Count, restored.Count);
            for (var i = 0; i < Layout.Count; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(accumulator.Mean(i)), BitConverter.DoubleToInt64Bits(restored.Mean(i)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(accumulator.Variance(i)), BitConverter.DoubleToInt64Bits(restored.Variance(i)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(accumulator.Kurtosis(i)), BitConverter.DoubleToInt64Bits(restored.Kurtosis(i)));
            }
            // The restored state keeps merging exactly like the original.
            var more = Accumulate(rows[..7]);
            Assert.Equal(PointAccumulator.Combine(accumulator, more).ToBytes(), PointAccumulator.Combine(restored, more).ToBytes());
        }
    }

    [Fact]
    public void FromBytes_rejects_truncated_trailing_foreign_and_mismatched_data()
    {
        var bytes = Accumulate(Measurements(6, 20)).ToBytes();
        for (var length = 0; length < bytes.Length; length += 1 + length / 50)
        {
            var error = Assert.Throws<FormatException>(() => PointAccumulator.FromBytes(Layout, bytes.AsSpan(0, length)));
            if (length >= 4) Assert.Contains("truncated", error.Message);
        }
        Assert.Contains("trailing", Assert.Throws<FormatException>(() => PointAccumulator.FromBytes(Layout, [.. bytes, 1])).Message);

        var foreign = (byte[])bytes.Clone();
        foreign[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<FormatException>(() => PointAccumulator.FromBytes(Layout, foreign)).Message);

        var future = (byte[])bytes.Clone();
        future[4] = 4; // versions 2 (main's, every group) and 3 are read
        Assert.Contains("version", Assert.Throws<FormatException>(() => PointAccumulator.FromBytes(Layout, future)).Message);

        var otherLayouts = new[]
        {
            MeasurementLayout.For(3, 3, hasConditionalCorrelator: true),
            MeasurementLayout.For(2, 2, hasConditionalCorrelator: true),
            MeasurementLayout.For(3, 2, hasConditionalCorrelator: false),
        };
        foreach (var other in otherLayouts)
            Assert.Throws<ArgumentException>(() => PointAccumulator.FromBytes(other, bytes));

        // A negative M2 (first statistic) is not a state any accumulator can reach.
        var corrupt = (byte[])bytes.Clone();
        var m2Offset = 19 + 8 + 8 * Layout.Count; // header (with the statistic groups byte), trials, means
        BitConverter.GetBytes(-1.0).CopyTo(corrupt, m2Offset);
        Assert.Throws<FormatException>(() => PointAccumulator.FromBytes(Layout, corrupt));
    }

    [Fact]
    public void Sketches_exist_exactly_for_the_sketched_indices()
    {
        var accumulator = Accumulate(Measurements(7, 10));
        foreach (var index in Layout.SketchedIndices)
        {
            Assert.Equal(10, accumulator.Sketch(index).Count);
            Assert.True(accumulator.TryGetSketch(index, out _));
        }
        var notSketched = Layout.Correlator(1, 0, 1);
        Assert.False(accumulator.TryGetSketch(notSketched, out _));
        Assert.Throws<ArgumentException>(() => accumulator.Sketch(notSketched));
    }

    [Fact]
    public void Push_and_Merge_reject_wrong_shapes_and_non_finite_values_without_changing_state()
    {
        var accumulator = Accumulate(Measurements(8, 5));
        var before = accumulator.ToBytes();
        Assert.Throws<ArgumentException>(() => accumulator.Push(new double[Layout.Count - 1]));
        var row = Measurements(9, 1)[0];
        row[Layout.Ntk(0, 1)] = double.NaN;
        Assert.Throws<ArgumentException>(() => accumulator.Push(row));
        Assert.Throws<ArgumentException>(() => accumulator.Merge(new PointAccumulator(MeasurementLayout.For(2, 2, true))));
        Assert.Equal(before, accumulator.ToBytes());
    }

    private static double[][] Measurements(int seed, int count)
    {
        // Every statistic gets a skewed value with its own scale; sketched ones include negative values.
        var random = new Random(seed);
        var rows = new double[count][];
        for (var t = 0; t < count; t++)
        {
            var row = new double[Layout.Count];
            for (var i = 0; i < row.Length; i++)
            {
                var e = -Math.Log(1 - random.NextDouble());
                row[i] = (i % 4) switch
                {
                    0 => e,
                    1 => 2 - e * (1 + i % 7),
                    2 => random.NextDouble(),
                    _ => e * e,
                };
            }
            rows[t] = row;
        }
        return rows;
    }

    private static PointAccumulator Accumulate(IEnumerable<double[]> rows)
    {
        var accumulator = new PointAccumulator(Layout);
        foreach (var row in rows) accumulator.Push(row);
        return accumulator;
    }

    private static void AssertClose(double expected, double actual, double floor)
    {
        var scale = Math.Max(Math.Abs(expected), floor);
        Assert.True(Math.Abs(expected - actual) <= RelativeTolerance * scale,
            $"expected {expected:R}, got {actual:R}");
    }
}
