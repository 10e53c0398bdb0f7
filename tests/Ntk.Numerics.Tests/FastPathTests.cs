using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Randomness;
using System.Runtime.Intrinsics;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The vectorized generator (Philox blocks, the ziggurat's fast path, and Box–Muller, which `ntk bench` still times)
/// against the scalar reference path: bitwise equal at every
/// length 0..257 (covering every vector tail of 4- and 8-lane paths) and at many start offsets / counters.
/// </summary>
public sealed class FastPathTests(ITestOutputHelper output)
{
    private const int MaxLength = 257;

    /// <summary>Set by <see cref="VectorPathTests"/> in its child runs: which vector paths the runtime must offer.</summary>
    internal const string ExpectedPathsVariable = "NTK_TEST_EXPECTED_VECTOR_PATHS";
    internal const string Without512 = "without-512";
    internal const string ScalarOnly = "scalar-only";

    [Fact]
    public void The_vector_switches_of_the_environment_take_effect()
    {
        // VectorPathTests reruns this class with a runtime switch off; a switch the runtime ignores (.NET 10 ignores
        // DOTNET_EnableAVX512F, for one) would rerun the same vector path and check nothing new.
        var expected = Environment.GetEnvironmentVariable(ExpectedPathsVariable);
        output.WriteLine($"{ExpectedPathsVariable}={expected}; Vector512 {Vector512.IsHardwareAccelerated}, " +
            $"Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}");
        Assert.True(expected is null or Without512 or ScalarOnly, $"{ExpectedPathsVariable}: unknown value {expected}");
        if (expected is Without512 or ScalarOnly)
        {
            Assert.False(Vector512.IsHardwareAccelerated);
            Assert.False(PortableVectorMath.Is512Supported);
        }
        if (expected is ScalarOnly)
        {
            Assert.False(Vector256.IsHardwareAccelerated);
            Assert.False(Vector128.IsHardwareAccelerated);
            Assert.False(PortableVectorMath.Is256Supported);
        }
    }

    [Fact]
    public void Vectorized_Philox_blocks_equal_the_scalar_blocks_at_every_length_and_counter()
    {
        output.WriteLine($"Vector512 {PortableVectorMath.Is512Supported}, Vector256 {PortableVectorMath.Is256Supported}");
        // First-block values include the wrap-around of the block index at 2^32.
        uint[] firstBlocks = [0, 1, 7, 1000, 0xFFFF_FFF0, 0xFFFF_FFFF];
        foreach (var first in firstBlocks)
        {
            for (var blocks = 0; blocks <= MaxLength; blocks++)
            {
                var fast = new uint[4 * blocks];
                var reference = new uint[4 * blocks];
                Philox4x32.GenerateBlocks(0xDEADBEEF, 0x01234567, first, 11, 0xFFFFFFFF, 42, fast);
                Philox4x32.GenerateBlocksScalar(0xDEADBEEF, 0x01234567, first, 11, 0xFFFFFFFF, 42, reference, 0, blocks);
                Assert.Equal(reference, fast);
            }
        }
    }

    [Fact]
    public void Vectorized_Philox_blocks_equal_the_scalar_blocks_for_any_key_and_counter_words()
    {
        // The AVX-512 path computes the products that rounds 1 and 2 share between blocks from the key and the
        // counter words once per call: every value of them must give the scalar blocks (lengths cover 32-block steps,
        // 8-block steps and the scalar rest).
        var random = new Random(1234);
        for (var sample = 0; sample < 200; sample++)
        {
            var words = new uint[6];
            for (var k = 0; k < words.Length; k++) words[k] = (uint)random.NextInt64(1L << 32);
            if (sample < 4) words[2 + sample] = sample % 2 == 0 ? 0 : 0xFFFF_FFFF;
            var blocks = 32 + 8 + 3 + sample % 40;
            var fast = new uint[4 * blocks];
            var reference = new uint[4 * blocks];
            Philox4x32.GenerateBlocks(words[0], words[1], words[2], words[3], words[4], words[5], fast);
            Philox4x32.GenerateBlocksScalar(words[0], words[1], words[2], words[3], words[4], words[5], reference, 0, blocks);
            Assert.Equal(reference, fast);
        }
    }

    [Fact]
    public void Vectorized_Box_Muller_equals_the_scalar_transform_at_every_length_and_offset()
    {
        var words = new ulong[2 * MaxLength + 64];
        var stream = RandomStream.For(2718, 1, 3);
        for (var i = 0; i < words.Length; i++) words[i] = stream.NextWord();
        for (var offset = 0; offset < 40; offset += 3)
        {
            for (var length = 0; length <= MaxLength; length++)
            {
                var source = words.AsSpan(offset, length);
                var fast = new double[length];
                var reference = new double[length];
                WeightSampling.GaussianPairs(source, fast);
                WeightSampling.GaussianPairsScalar(source, reference);
                AssertBitwiseEqual(reference, fast, $"offset {offset}, length {length}");
            }
        }
    }

    [Fact]
    public void Vectorized_Box_Muller_equals_the_scalar_transform_on_edge_words()
    {
        // Radius words: u = 2^−53 (smallest), u = 1 (log 0), u just above √½ and √2 boundaries of the log reduction.
        // Angle words: t = 0, t on the half-way points 1/8, 3/8, 5/8, 7/8 of the quadrant rounding, t just below 1.
        ulong[] radiusWords = [0, ulong.MaxValue, 0xB504F333F9DE6000, 0xB504F333F9DE7000, 1UL << 63, 0x8000_0000_0000_0800];
        ulong[] angleWords = [0, 1UL << 61, 3UL << 61, 5UL << 61, 7UL << 61, ulong.MaxValue, (1UL << 61) + 2048, (1UL << 61) - 2048, 1UL << 62];
        var pairs = new List<ulong>();
        foreach (var r in radiusWords)
            foreach (var t in angleWords)
            {
                pairs.Add(r);
                pairs.Add(t);
            }
        var words = pairs.ToArray();
        var fast = new double[words.Length];
        var reference = new double[words.Length];
        WeightSampling.GaussianPairs(words, fast);
        WeightSampling.GaussianPairsScalar(words, reference);
        AssertBitwiseEqual(reference, fast, "edge words");
    }

    [Fact]
    public void Vectorized_log_and_sincos_equal_the_portable_scalar_functions_lane_by_lane()
    {
        var stream = RandomStream.For(99, 0, 0);
        for (var k = 0; k < 4096; k++)
        {
            var u = WeightSampling.UnitOpenZero(stream.NextWord());
            var t = WeightSampling.UnitClosedZero(stream.NextWord());
            var log = PortableVectorMath.Log(Vector256.Create(u)).GetElement(k & 3);
            Assert.Equal(BitConverter.DoubleToInt64Bits(PortableMath.Log(u)), BitConverter.DoubleToInt64Bits(log));
            PortableVectorMath.SinCosTwoPi(Vector256.Create(t), out var sine, out var cosine);
            PortableMath.SinCosTwoPi(t, out var expectedSine, out var expectedCosine);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedSine), BitConverter.DoubleToInt64Bits(sine.GetElement(k & 3)));
            Assert.Equal(BitConverter.DoubleToInt64Bits(expectedCosine), BitConverter.DoubleToInt64Bits(cosine.GetElement(k & 3)));
        }
    }

    [Fact]
    public void Vectorized_arccos_and_exp_equal_the_portable_scalar_functions_lane_by_lane()
    {
        // Edge arguments (the reduction points, ±1, 0, the ends of exp's range, ±∞, NaN), then random ones.
        double[] acosEdges = [-1, 1, 0, -0.0, 0.5, -0.5, Math.BitIncrement(0.5), Math.BitDecrement(-0.5), 1e-300, double.NaN, 1.5];
        double[] expEdges = [0, -700, 700, -700.0001, 700.0001, -745.2, -750, -750.0001, 709.78, 710, 710.0001, -1e6, 1e6,
            double.NegativeInfinity, double.PositiveInfinity, double.NaN];
        var stream = RandomStream.For(98, 0, 0);
        var arguments = new List<(double Acos, double Exp)>();
        for (var k = 0; k < Math.Max(acosEdges.Length, expEdges.Length); k++)
            arguments.Add((acosEdges[k % acosEdges.Length], expEdges[k % expEdges.Length]));
        for (var k = 0; k < 8192; k++)
        {
            var u = WeightSampling.UnitClosedZero(stream.NextWord());
            arguments.Add((2 * u - 1, 1600 * WeightSampling.UnitClosedZero(stream.NextWord()) - 800));
        }
        for (var k = 0; k < arguments.Count; k++)
        {
            var (x, y) = arguments[k];
            var expectedAcos = BitConverter.DoubleToInt64Bits(PortableMath.Acos(x));
            var expectedExp = BitConverter.DoubleToInt64Bits(PortableMath.Exp(y));
            Assert.Equal(expectedAcos, BitConverter.DoubleToInt64Bits(PortableVectorMath.Acos(Vector256.Create(x)).GetElement(k & 3)));
            Assert.Equal(expectedExp, BitConverter.DoubleToInt64Bits(PortableVectorMath.Exp(Vector256.Create(y)).GetElement(k & 3)));
        }
    }

    [Fact]
    public void FillGaussian_equals_NextGaussian_at_every_length_after_every_buffered_state()
    {
        // Start states: fresh, one uniform taken (half a block buffered), one Gaussian taken (a spare kept), both.
        for (var state = 0; state < 4; state++)
        {
            for (var length = 0; length <= MaxLength; length++)
            {
                var bulk = RandomStream.For(31, 4, length);
                var single = RandomStream.For(31, 4, length);
                if ((state & 1) != 0) Assert.Equal(single.NextUniform(), bulk.NextUniform());
                if ((state & 2) != 0) Assert.Equal(single.NextGaussian(), bulk.NextGaussian());
                var expected = new double[length];
                for (var i = 0; i < length; i++) expected[i] = single.NextGaussian();
                var actual = new double[length];
                bulk.FillGaussian(actual);
                AssertBitwiseEqual(expected, actual, $"state {state}, length {length}");
                Assert.Equal(single.NextWord(), bulk.NextWord());
            }
        }
    }

    [Fact]
    public void Vectorized_ziggurat_equals_the_scalar_fast_path_at_every_length_and_offset()
    {
        output.WriteLine($"ziggurat Vector512 {ZigguratGaussian.Is512Supported}, Vector256 {ZigguratGaussian.Is256Supported}");
        var words = new ulong[MaxLength + 64];
        var stream = RandomStream.For(1618, 2, 9);
        for (var i = 0; i < words.Length; i++) words[i] = stream.NextWord();
        for (var offset = 0; offset < 40; offset += 3)
            for (var length = 0; length <= MaxLength; length++)
                AssertZigguratPathsAgree(words.AsSpan(offset, length).ToArray(), $"offset {offset}, length {length}");
    }

    [Fact]
    public void Vectorized_ziggurat_equals_the_scalar_fast_path_on_edge_words()
    {
        // Every layer with u = 0, u just below and at its key (the top 12 bits of u against K_i), u maximal; both
        // signs; the unused bit 11 set.
        var edge = new List<ulong>();
        for (ulong layer = 0; layer < ZigguratTables.Layers; layer++)
        {
            var key = BitConverter.DoubleToUInt64Bits(ZigguratTables.Width[(int)layer]) & 0xFFF;
            foreach (var top in new[] { 0UL, key == 0 ? 0 : key - 1, key, 0xFFFUL })
                foreach (var sign in new[] { 0UL, 0x400UL })
                {
                    edge.Add((top << 52) | sign | layer);
                    edge.Add((top << 52) | 0x000F_FFFF_FFFF_F000UL | 0x800 | sign | layer);
                }
        }
        AssertZigguratPathsAgree(edge.ToArray(), "edge words");
    }

    private static void AssertZigguratPathsAgree(ulong[] words, string context)
    {
        var fast = words.Select(BitConverter.UInt64BitsToDouble).ToArray();
        var reference = (double[])fast.Clone();
        var fastRejected = new int[words.Length];
        var referenceRejected = new int[words.Length];
        var fastCount = ZigguratGaussian.TransformInPlace(fast, fastRejected);
        var referenceCount = 0;
        ZigguratGaussian.TransformScalar(reference, 0, referenceRejected, ref referenceCount);
        Assert.Equal(referenceCount, fastCount);
        Assert.Equal(referenceRejected.Take(referenceCount), fastRejected.Take(fastCount));
        AssertBitwiseEqual(reference, fast, context);
        // The reference path is the scalar fast path word by word; rejected slots keep their word.
        for (var i = 0; i < words.Length; i++)
        {
            var accepted = ZigguratGaussian.TryFast(words[i], out var value);
            Assert.Equal(accepted, !referenceRejected.Take(referenceCount).Contains(i));
            Assert.Equal(accepted ? BitConverter.DoubleToUInt64Bits(value) : words[i], BitConverter.DoubleToUInt64Bits(reference[i]));
        }
    }

    [Fact]
    public void FillWords_equals_NextWord_at_every_length_after_every_buffered_state()
    {
        for (var state = 0; state < 2; state++)
            for (var length = 0; length <= MaxLength; length++)
            {
                var bulk = RandomStream.For(5, 6, length);
                var single = RandomStream.For(5, 6, length);
                if (state == 1) Assert.Equal(single.NextWord(), bulk.NextWord()); // half a block buffered
                var expected = new ulong[length];
                for (var i = 0; i < length; i++) expected[i] = single.NextWord();
                var actual = new ulong[length];
                bulk.FillWords(actual);
                Assert.Equal(expected, actual);
                Assert.Equal(single.NextGaussian(), bulk.NextGaussian());
            }
    }

    private static void AssertBitwiseEqual(double[] expected, double[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{context}: value {i} is {actual[i]:R}, the scalar path gives {expected[i]:R}");
    }
}
