using MathNet.Numerics;
using Ntk.Numerics.Randomness;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The ziggurat's constant tables against their definition (docs/numerics.md §12), recomputed with the runtime's
/// exp/log/erfc (they only check the constants; no generated bit depends on them), and the counter layout of the
/// slow path (slot blocks, overflow sequence).
/// </summary>
public sealed class ZigguratTests(ITestOutputHelper output)
{
    private const int Layers = ZigguratTables.Layers;

    [Fact]
    public void Every_layer_covers_its_slice_of_the_density_with_the_same_area()
    {
        var width = ZigguratTables.Width;
        var height = ZigguratTables.Height;
        var area = ZigguratTables.LayerArea;
        Assert.Equal(Layers, width.Length);
        Assert.Equal(Layers + 1, height.Length);
        Assert.Equal(0.0, height[0]);
        Assert.True(height[Layers] >= 1, $"the top layer ends at {height[Layers]:R} < 1");
        Assert.Equal(ZigguratTables.TailStart, Math.Sqrt(-2 * Math.Log(height[1])), 1e-13);
        AssertRelative(area, width[0] * height[1], 1e-14, "layer 0: x_0·y_1 = V");
        for (var i = 1; i < Layers; i++)
        {
            Assert.True(height[i + 1] > height[i], $"layer {i}: heights not increasing");
            AssertRelative(area, width[i] * (height[i + 1] - height[i]), 1e-11, $"layer {i}: area");
            // A cover: the density's slice [y_i, y_(i+1)) reaches out to f⁻¹(y_i) ≤ x_i.
            var reach = Math.Sqrt(-2 * Math.Log(height[i]));
            Assert.True(width[i] >= reach * (1 - 1e-14), $"layer {i}: width {width[i]:R} < f⁻¹(y_i) = {reach:R}");
        }
    }

    [Fact]
    public void The_inner_keys_are_conservative_and_the_fast_path_accepts_99_56_percent()
    {
        var width = ZigguratTables.Width;
        var height = ZigguratTables.Height;
        var accepted = 0.0;
        for (var i = 0; i < Layers; i++)
        {
            var key = BitConverter.DoubleToUInt64Bits(width[i]) & 0xFFF;
            // Inner edge: r for the base layer, f⁻¹(y_(i+1)) above it, 0 for the top layer (its slice reaches x = 0).
            var inner = i == 0 ? ZigguratTables.TailStart : i < Layers - 1 ? Math.Sqrt(-2 * Math.Log(height[i + 1])) : 0;
            Assert.True(key / 4096.0 <= inner / width[i] * (1 + 1e-12), $"layer {i}: key {key} above 4096·{inner / width[i]:R}");
            Assert.True(key / 4096.0 > inner / width[i] - 2.0 / 4096, $"layer {i}: key {key} needlessly small");
            accepted += key / 4096.0;
        }
        output.WriteLine($"fast-path acceptance {accepted / Layers:F6}");
        Assert.InRange(accepted / Layers, 0.9950, 0.9962);
    }

    [Fact]
    public void The_tail_constants_match_the_normal_tail()
    {
        var r = ZigguratTables.TailStart;
        var tail = Math.Sqrt(Math.PI / 2) * SpecialFunctions.Erfc(r / Constants.Sqrt2);
        AssertRelative(tail, ZigguratTables.TailArea, 1e-13, "T(r)");
        AssertRelative((ZigguratTables.Width[0] - r) * ZigguratTables.Height[1], ZigguratTables.BaseOverhangArea, 1e-13, "overhang");
        Assert.True(ZigguratTables.BaseOverhangArea >= ZigguratTables.TailArea);
        AssertRelative(1 / r, ZigguratTables.InverseTailStart, 1e-15, "1/r");
        // V = r f(r) + T(r) up to the rounding up of x_0 (< 2^−40 relative).
        AssertRelative(r * Math.Exp(-r * r / 2) + tail, ZigguratTables.LayerArea, 1e-11, "V");
    }

    [Fact]
    public void A_rejected_word_depends_only_on_itself_its_slot_block_and_earlier_overflow_reads()
    {
        // Gaussian g of a fill is main word g through the fast path, or Slow(word g, g) reading slot block 2^31 + g
        // and then the overflow sequence. Until the first Gaussian that reads the overflow sequence, every slow one
        // must therefore be reproduced by Slow on a fresh stream (whose overflow sequence is unread).
        var values = new double[40_000];
        var filled = RandomStream.For(77, 1, 2);
        filled.FillGaussian(values);
        var words = RandomStream.For(77, 1, 2);
        int slowWords = 0, reproduced = 0;
        var overflowRead = false;
        for (var g = 0; g < values.Length; g++)
        {
            var word = words.NextWord();
            if (ZigguratGaussian.TryFast(word, out var fast))
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(fast), BitConverter.DoubleToInt64Bits(values[g]));
                continue;
            }
            slowWords++;
            if (overflowRead) continue;
            var fresh = RandomStream.For(77, 1, 2);
            var slow = ZigguratGaussian.Slow(word, (uint)g, ref fresh);
            Assert.Equal(BitConverter.DoubleToInt64Bits(slow), BitConverter.DoubleToInt64Bits(values[g]));
            reproduced++;
            overflowRead = fresh.NextOverflowWord() != RandomStream.For(77, 1, 2).NextOverflowWord();
        }
        output.WriteLine($"{slowWords} words took the slow path; {reproduced} reproduced before the first overflow read");
        Assert.InRange(slowWords, 110, 240); // 0.44% of 40,000 = 174 ± 13
        Assert.True(reproduced >= 20, $"only {reproduced} slow words before the first overflow read");
    }

    private static void AssertRelative(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected),
            $"{what}: {actual:R}, expected {expected:R} (relative {Math.Abs(actual - expected) / Math.Abs(expected):E2})");
}
