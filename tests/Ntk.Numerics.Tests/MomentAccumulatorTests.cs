using MathNet.Numerics.Statistics;
using Ntk.Numerics.Statistics;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

public sealed class MomentAccumulatorTests(ITestOutputHelper output)
{
    /// <summary>
    /// Agreement between two one-pass algorithms (or different merge trees) on well-conditioned data: each moment is a
    /// sum of O(n) rounded terms, ~n·ε ≈ 1e-13 for n ≈ 1000 in the worst case; Math.NET's RunningStatistics.Combine
    /// test demands 1e-12 as well.
    /// </summary>
    private const double RelativeTolerance = 1e-12;

    /// <summary>S = 37 covers whole vectors and a scalar tail for every vector width (2, 4, 8).</summary>
    private const int StatisticCount = 37;

    [Fact]
    public void Moments_match_MathNet_RunningStatistics_and_DescriptiveStatistics()
    {
        const int seed = 20260101;
        output.WriteLine($"seed {seed}");
        var data = Samples(seed, 1000, StatisticCount);
        var accumulator = new MomentAccumulator(StatisticCount);
        foreach (var row in data) accumulator.Push(row);

        for (var i = 0; i < StatisticCount; i++)
        {
            var column = data.Select(row => row[i]).ToArray();
            var running = new RunningStatistics(column);
            var descriptive = new DescriptiveStatistics(column);
            AssertClose(running.Mean, accumulator.Mean(i));
            AssertClose(running.Variance, accumulator.Variance(i));
            AssertCloseDimensionless(running.Skewness, accumulator.Skewness(i));
            AssertCloseDimensionless(running.Kurtosis, accumulator.Kurtosis(i));
            AssertClose(descriptive.Mean, accumulator.Mean(i));
            AssertClose(descriptive.Variance, accumulator.Variance(i));
            AssertCloseDimensionless(descriptive.Skewness, accumulator.Skewness(i));
            AssertCloseDimensionless(descriptive.Kurtosis, accumulator.Kurtosis(i));
            AssertClose(Math.Sqrt(descriptive.Variance / column.Length), accumulator.StandardError(i));
        }
    }

    [Fact]
    public void Merging_partials_built_three_ways_agrees_with_one_pass()
    {
        const int seed = 777;
        output.WriteLine($"seed {seed}");
        var data = Samples(seed, 1500, StatisticCount);
        var onePass = new MomentAccumulator(StatisticCount);
        foreach (var row in data) onePass.Push(row);

        var halves = MomentAccumulator.Combine(Accumulate(data[..700]), Accumulate(data[700..]));

        var shards = new MomentAccumulator(StatisticCount);
        var random = new Random(seed + 1);
        for (var start = 0; start < data.Length;)
        {
            var size = Math.Min(random.Next(1, 90), data.Length - start);
            shards.Merge(Accumulate(data[start..(start + size)]));
            start += size;
        }

        // A balanced tree of single observations: the most different rounding path from one pass.
        var singles = data.Select(row => Accumulate([row])).ToList();
        while (singles.Count > 1)
        {
            var next = new List<MomentAccumulator>();
            for (var k = 0; k < singles.Count; k += 2)
                next.Add(k + 1 < singles.Count ? MomentAccumulator.Combine(singles[k], singles[k + 1]) : singles[k]);
            singles = next;
        }

        foreach (var merged in new[] { halves, shards, singles[0] })
        {
            Assert.Equal(onePass.Count, merged.Count);
            for (var i = 0; i < StatisticCount; i++)
            {
                AssertClose(onePass.Mean(i), merged.Mean(i));
                AssertClose(onePass.Variance(i), merged.Variance(i));
                AssertCloseDimensionless(onePass.Skewness(i), merged.Skewness(i));
                AssertCloseDimensionless(onePass.Kurtosis(i), merged.Kurtosis(i));
            }
        }
    }

    [Fact]
    public void The_same_pushes_and_merges_give_bitwise_identical_state()
    {
        const int seed = 4242;
        output.WriteLine($"seed {seed}");
        var data = Samples(seed, 300, StatisticCount);
        MomentAccumulator Build()
        {
            var total = new MomentAccumulator(StatisticCount);
            for (var start = 0; start < data.Length; start += 37)
                total.Merge(Accumulate(data[start..Math.Min(start + 37, data.Length)]));
            return total;
        }
        var first = Build();
        var second = Build();
        AssertBitwiseEqual(first, second);
    }

    [Fact]
    public void Vectorized_push_is_bitwise_equal_to_the_scalar_formula_at_every_length()
    {
        const int seed = 99;
        output.WriteLine($"seed {seed}");
        for (var length = 0; length <= 40; length++)
        {
            var data = Samples(seed + length, 25, length);
            var accumulator = new MomentAccumulator(length);
            var reference = new ScalarReference(length);
            foreach (var row in data)
            {
                accumulator.Push(row);
                reference.Push(row);
            }
            for (var i = 0; i < length; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference.Mean[i]), BitConverter.DoubleToInt64Bits(accumulator.Means[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference.M2[i]), BitConverter.DoubleToInt64Bits(accumulator.SecondMomentSums[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference.M3[i]), BitConverter.DoubleToInt64Bits(accumulator.ThirdMomentSums[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(reference.M4[i]), BitConverter.DoubleToInt64Bits(accumulator.FourthMomentSums[i]));
            }
        }
    }

    [Fact]
    public void Central_moment_sums_match_a_two_pass_computation()
    {
        double[] values = [1, 2, 4, 8, 3, 9, 10, -5, 0.5];
        var accumulator = new MomentAccumulator(1);
        foreach (var v in values) accumulator.Push([v]);
        var mean = values.Average();
        AssertClose(values.Sum(v => Math.Pow(v - mean, 2)), accumulator.SecondMomentSums[0]);
        AssertClose(values.Sum(v => Math.Pow(v - mean, 3)), accumulator.ThirdMomentSums[0]);
        AssertClose(values.Sum(v => Math.Pow(v - mean, 4)), accumulator.FourthMomentSums[0]);
    }

    [Fact]
    public void Statistics_are_NaN_where_undefined()
    {
        var accumulator = new MomentAccumulator(2);
        Assert.True(double.IsNaN(accumulator.Mean(0)));
        accumulator.Push([1, 5]);
        Assert.Equal(1, accumulator.Mean(0));
        Assert.True(double.IsNaN(accumulator.Variance(0)));
        Assert.True(double.IsNaN(accumulator.StandardError(0)));
        accumulator.Push([2, 5]);
        Assert.Equal(0.5, accumulator.Variance(0));
        Assert.True(double.IsNaN(accumulator.Skewness(0)));
        accumulator.Push([4, 5]);
        Assert.False(double.IsNaN(accumulator.Skewness(0)));
        Assert.True(double.IsNaN(accumulator.Kurtosis(0)));
        accumulator.Push([8, 5]);
        Assert.False(double.IsNaN(accumulator.Kurtosis(0)));

        // Statistic 1 is constant: zero variance, so skewness and kurtosis are undefined.
        Assert.Equal(0, accumulator.Variance(1));
        Assert.Equal(0, accumulator.StandardError(1));
        Assert.True(double.IsNaN(accumulator.Skewness(1)));
        Assert.True(double.IsNaN(accumulator.Kurtosis(1)));
    }

    [Fact]
    public void Push_rejects_non_finite_values_and_leaves_the_state_unchanged()
    {
        var accumulator = new MomentAccumulator(11);
        var row = Enumerable.Range(0, 11).Select(i => (double)i).ToArray();
        accumulator.Push(row);
        var before = accumulator.Clone();
        foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            var poisoned = (double[])row.Clone();
            poisoned[9] = bad;
            var error = Assert.Throws<ArgumentException>(() => accumulator.Push(poisoned));
            Assert.Contains("statistic 9", error.Message);
        }
        Assert.Throws<ArgumentException>(() => accumulator.Push(new double[10]));
        AssertBitwiseEqual(before, accumulator);
    }

    [Fact]
    public void Combine_leaves_its_arguments_unchanged_and_empty_partials_are_neutral()
    {
        var data = Samples(5, 40, 9);
        var a = Accumulate(data[..20]);
        var b = Accumulate(data[20..]);
        var aBefore = a.Clone();
        var bBefore = b.Clone();
        var combined = MomentAccumulator.Combine(a, b);
        AssertBitwiseEqual(aBefore, a);
        AssertBitwiseEqual(bBefore, b);
        Assert.Equal(40, combined.Count);

        AssertBitwiseEqual(a, MomentAccumulator.Combine(new MomentAccumulator(9), a));
        AssertBitwiseEqual(a, MomentAccumulator.Combine(a, new MomentAccumulator(9)));
        Assert.Throws<ArgumentException>(() => a.Merge(new MomentAccumulator(8)));
    }

    [Fact]
    public void FromState_restores_the_exact_state_and_rejects_inconsistent_ones()
    {
        var original = Accumulate(Samples(6, 10, 5));
        var restored = MomentAccumulator.FromState(original.Count, original.Means, original.SecondMomentSums,
            original.ThirdMomentSums, original.FourthMomentSums);
        AssertBitwiseEqual(original, restored);
        Assert.Throws<ArgumentException>(() => MomentAccumulator.FromState(2, [0.0], [-1.0], [0.0], [0.0]));
        Assert.Throws<ArgumentException>(() => MomentAccumulator.FromState(0, [1.0], [0.0], [0.0], [0.0]));
        Assert.Throws<ArgumentException>(() => MomentAccumulator.FromState(1, [1.0], [0.0, 1.0], [0.0], [0.0]));
    }

    internal static double[][] Samples(int seed, int count, int length)
    {
        // Skewed, heavy-ish tailed columns with different locations and scales (an exponential, a shifted square).
        var random = new Random(seed);
        var rows = new double[count][];
        for (var t = 0; t < count; t++)
        {
            rows[t] = new double[length];
            for (var i = 0; i < length; i++)
            {
                var u = random.NextDouble();
                var e = -Math.Log(1 - u);
                rows[t][i] = (i % 3) switch
                {
                    0 => e * (1 + i),
                    1 => 3.0 + i - e * e,
                    _ => (u - 0.5) * (1 + i) + 0.5 * i,
                };
            }
        }
        return rows;
    }

    private static MomentAccumulator Accumulate(IEnumerable<double[]> rows)
    {
        MomentAccumulator? accumulator = null;
        foreach (var row in rows)
        {
            accumulator ??= new MomentAccumulator(row.Length);
            accumulator.Push(row);
        }
        return accumulator ?? new MomentAccumulator(0);
    }

    /// <summary>Skewness and kurtosis are dimensionless and can be near 0 (symmetric columns): compare on a scale of 1.</summary>
    private static void AssertCloseDimensionless(double expected, double actual) => AssertClose(expected, actual, 1.0);

    private static void AssertClose(double expected, double actual, double floor = 1e-300)
    {
        var scale = Math.Max(Math.Abs(expected), floor);
        Assert.True(Math.Abs(expected - actual) <= RelativeTolerance * scale,
            $"expected {expected:R}, got {actual:R} (relative difference {Math.Abs(expected - actual) / scale:E2})");
    }

    internal static void AssertBitwiseEqual(MomentAccumulator expected, MomentAccumulator actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(Bits(expected.Means), Bits(actual.Means));
        Assert.Equal(Bits(expected.SecondMomentSums), Bits(actual.SecondMomentSums));
        Assert.Equal(Bits(expected.ThirdMomentSums), Bits(actual.ThirdMomentSums));
        Assert.Equal(Bits(expected.FourthMomentSums), Bits(actual.FourthMomentSums));
    }

    private static long[] Bits(ReadOnlySpan<double> values)
    {
        var bits = new long[values.Length];
        for (var i = 0; i < values.Length; i++) bits[i] = BitConverter.DoubleToInt64Bits(values[i]);
        return bits;
    }

    /// <summary>The one-pass update written out element by element (Pébay 2008 eq. 1.1–1.3 with n_B = 1).</summary>
    private sealed class ScalarReference(int length)
    {
        public double[] Mean { get; } = new double[length];
        public double[] M2 { get; } = new double[length];
        public double[] M3 { get; } = new double[length];
        public double[] M4 { get; } = new double[length];
        private long _count;

        public void Push(double[] values)
        {
            double n1 = _count;
            _count++;
            double n = _count;
            var inverseN = 1.0 / n;
            for (var i = 0; i < values.Length; i++)
            {
                var delta = values[i] - Mean[i];
                var deltaN = delta * inverseN;
                var deltaN2 = deltaN * deltaN;
                var term1 = delta * deltaN * n1;
                var oldM2 = M2[i];
                var oldM3 = M3[i];
                Mean[i] += deltaN;
                M4[i] = M4[i] + term1 * deltaN2 * (n * n - 3.0 * n + 3.0) + 6.0 * deltaN2 * oldM2 - 4.0 * deltaN * oldM3;
                M3[i] = oldM3 + term1 * deltaN * (n - 2.0) - 3.0 * deltaN * oldM2;
                M2[i] = oldM2 + term1;
            }
        }
    }
}
