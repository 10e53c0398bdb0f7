using Ntk.Numerics.Statistics;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

public sealed class QuantileSketchTests(ITestOutputHelper output)
{
    /// <summary>
    /// DDSketch's guarantee is |estimate − x_q| ≤ α|x_q| exactly; the bucket index comes from a rounded logarithm, so a
    /// value within a few ulps of a bucket boundary may land in the neighbour: allow α(1 + 1e-9).
    /// </summary>
    private const double GuaranteeSlack = 1e-9;

    private static readonly double[] Levels = [0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0];

    public static TheoryData<string> Distributions => new() { "exponential", "lognormal", "mixture-with-negatives-and-zeros" };

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Quantiles_are_within_the_relative_accuracy_of_the_exact_sample_quantiles(string distribution)
    {
        const int seed = 1234;
        output.WriteLine($"seed {seed}, {distribution}");
        var values = Draw(distribution, seed, 200_000);
        foreach (var alpha in new[] { 0.01, 0.05 })
        {
            var sketch = new QuantileSketch(alpha);
            foreach (var v in values) sketch.Add(v);
            var sorted = values.OrderBy(v => v).ToArray();
            Assert.Equal(values.Length, sketch.Count);
            foreach (var q in Levels)
            {
                var exact = sorted[(int)Math.Floor(q * (sorted.Length - 1))];
                var estimate = sketch.Quantile(q);
                Assert.True(Math.Abs(estimate - exact) <= alpha * (1 + GuaranteeSlack) * Math.Abs(exact),
                    $"α = {alpha}, q = {q}: estimate {estimate:R}, exact {exact:R}");
            }
            Assert.Equal(sorted[0], sketch.Minimum);
            Assert.Equal(sorted[^1], sketch.Maximum);
        }
    }

    [Fact]
    public void Merging_sketches_gives_exactly_the_sketch_of_the_union_in_any_order()
    {
        const int seed = 77;
        output.WriteLine($"seed {seed}");
        var values = Draw("mixture-with-negatives-and-zeros", seed, 20_000);
        var whole = Sketch(values);

        var parts = new List<QuantileSketch>();
        var random = new Random(seed);
        for (var start = 0; start < values.Length;)
        {
            var size = Math.Min(random.Next(1, 3000), values.Length - start);
            parts.Add(Sketch(values[start..(start + size)]));
            start += size;
        }
        var forward = new QuantileSketch();
        foreach (var part in parts) forward.Merge(part);
        var backward = new QuantileSketch();
        for (var k = parts.Count - 1; k >= 0; k--) backward.Merge(parts[k]);

        Assert.True(whole.StateEquals(forward));
        Assert.True(whole.StateEquals(backward));
        Assert.Equal(whole.ToBytes(), forward.ToBytes());

        var rightNested = QuantileSketch.Combine(parts[0], QuantileSketch.Combine(parts[1], parts[2]));
        var prefix = QuantileSketch.Combine(QuantileSketch.Combine(parts[0], parts[1]), parts[2]);
        var prefixDirect = Sketch(values[..(int)(parts[0].Count + parts[1].Count + parts[2].Count)]);
        Assert.True(prefix.StateEquals(prefixDirect));
        Assert.True(rightNested.StateEquals(prefixDirect));
    }

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Quantiles_in_one_pass_equal_each_quantile_bitwise(string distribution)
    {
        const int seed = 17;
        output.WriteLine($"seed {seed}");
        foreach (var n in new[] { 1, 2, 3, 10, 500, 20_000 })
        {
            var sketch = Sketch(Draw(distribution, seed + n, n));
            var levels = new[] { 0.0, 0.0, 1e-9, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1 - 1e-16, 1.0, 1.0 };
            var all = new double[levels.Length];
            sketch.Quantiles(levels, all);
            for (var i = 0; i < levels.Length; i++)
                Assert.Equal(BitConverter.DoubleToInt64Bits(sketch.Quantile(levels[i])), BitConverter.DoubleToInt64Bits(all[i]));
        }
        var empty = new double[2];
        new QuantileSketch().Quantiles([0.0, 0.5], empty);
        Assert.All(empty, v => Assert.True(double.IsNaN(v)));
        Assert.Throws<ArgumentException>(() => new QuantileSketch().Quantiles([0.5, 0.25], new double[2]));
    }

    [Fact]
    public void Collapsing_bounds_the_buckets_keeps_large_quantiles_accurate_and_is_order_independent()
    {
        const int seed = 31;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        // Magnitudes from 1e-30 to 1e+10: 40 decades, about 4600 buckets at α = 1%, more than the 2048 kept.
        var values = Enumerable.Range(0, 20_000).Select(_ => Math.Pow(10, -30 + 40 * random.NextDouble())).ToArray();
        var sketch = Sketch(values);
        Assert.True(sketch.IsCollapsed);
        var buckets = sketch.Buckets();
        Assert.True(buckets.Count <= QuantileSketch.MaxBucketsPerStore);
        Assert.Equal(0.0, buckets[0].Lower); // the collapsed bucket reaches down to 0
        Assert.Equal(values.Length, buckets.Sum(b => b.Count));

        var sorted = values.OrderBy(v => v).ToArray();
        foreach (var q in new[] { 0.6, 0.75, 0.9, 0.99 })
        {
            var exact = sorted[(int)Math.Floor(q * (sorted.Length - 1))];
            Assert.True(Math.Abs(sketch.Quantile(q) - exact) <= 0.01 * (1 + GuaranteeSlack) * exact, $"q = {q}");
        }

        var reversed = Sketch(values.Reverse().ToArray());
        var merged = QuantileSketch.Combine(Sketch(sorted[..10_000]), Sketch(sorted[10_000..]));
        var mergedOtherWay = QuantileSketch.Combine(Sketch(sorted[10_000..]), Sketch(sorted[..10_000]));
        Assert.True(sketch.StateEquals(reversed));
        Assert.True(sketch.StateEquals(merged));
        Assert.True(sketch.StateEquals(mergedOtherWay));
    }

    [Fact]
    public void Buckets_are_ascending_hold_their_values_and_add_up_to_the_count()
    {
        double[] values = [-8, -8, -0.5, 0, 0, 0, 1e-3, 1, 1, 1, 2.5, 100];
        var sketch = Sketch(values);
        var buckets = sketch.Buckets();
        Assert.Equal(values.Length, buckets.Sum(b => b.Count));
        for (var k = 1; k < buckets.Count; k++) Assert.True(buckets[k - 1].Upper <= buckets[k].Lower);
        foreach (var v in values)
        {
            var holders = buckets.Where(b => v == 0 ? b.Lower == 0 && b.Upper == 0
                : v > 0 ? b.Lower < v && v <= b.Upper * (1 + 1e-12)
                : b.Lower * (1 + 1e-12) <= v && v < b.Upper).ToList();
            Assert.Single(holders);
        }
        Assert.Equal(3, buckets.Single(b => b.Lower == 0 && b.Upper == 0).Count);
        Assert.Equal(3, sketch.ZeroCount);
        Assert.Equal(-8, sketch.Quantile(0));
        Assert.Equal(100, sketch.Quantile(1));
        Assert.Equal(0, sketch.Quantile(0.35));
        Assert.False(sketch.IsCollapsed);
    }

    [Fact]
    public void Bytes_round_trip_exactly_and_bad_bytes_are_rejected()
    {
        var sketch = Sketch(Draw("mixture-with-negatives-and-zeros", 8, 500));
        var bytes = sketch.ToBytes();
        var restored = QuantileSketch.FromBytes(bytes);
        Assert.Equal(bytes, restored.ToBytes());
        Assert.Equal(sketch.Quantile(0.3), restored.Quantile(0.3));

        var empty = new QuantileSketch();
        Assert.Equal(empty.ToBytes(), QuantileSketch.FromBytes(empty.ToBytes()).ToBytes());

        for (var length = 0; length < bytes.Length; length++)
            Assert.Throws<FormatException>(() => QuantileSketch.FromBytes(bytes.AsSpan(0, length)));
        Assert.Throws<FormatException>(() => QuantileSketch.FromBytes([.. bytes, 0]));
        var badVersion = (byte[])bytes.Clone();
        badVersion[0] = 9;
        Assert.Contains("version", Assert.Throws<FormatException>(() => QuantileSketch.FromBytes(badVersion)).Message);
    }

    [Fact]
    public void Edge_cases_empty_sketch_non_finite_values_and_mismatched_accuracy()
    {
        var sketch = new QuantileSketch();
        Assert.Equal(0, sketch.Count);
        Assert.True(double.IsNaN(sketch.Quantile(0.5)));
        Assert.Empty(sketch.Buckets());
        Assert.Throws<ArgumentOutOfRangeException>(() => sketch.Add(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => sketch.Add(double.NegativeInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => sketch.Quantile(1.5));
        Assert.Throws<ArgumentException>(() => sketch.Merge(new QuantileSketch(0.02)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuantileSketch(0));

        sketch.Add(3);
        sketch.Merge(sketch);
        Assert.Equal(2, sketch.Count);
        Assert.Equal(3, sketch.Quantile(0.5), 12);
    }

    internal static double[] Draw(string distribution, int seed, int count)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Enumerable.Range(0, count).Select(_ => distribution switch
        {
            "exponential" => -Math.Log(1 - random.NextDouble()),
            "lognormal" => Math.Exp(1.5 * Normal()),
            // 30% negative normals around −2, 5% exact zeros, 65% exponentials of scale 3.
            _ => random.NextDouble() switch
            {
                < 0.30 => -2 + Normal(),
                < 0.35 => 0.0,
                _ => -3 * Math.Log(1 - random.NextDouble()),
            },
        }).ToArray();
    }

    private static QuantileSketch Sketch(IEnumerable<double> values)
    {
        var sketch = new QuantileSketch();
        foreach (var v in values) sketch.Add(v);
        return sketch;
    }
}
