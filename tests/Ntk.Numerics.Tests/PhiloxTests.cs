using Ntk.Numerics.Randomness;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class PhiloxTests
{
    /// <summary>
    /// Known-answer vectors of Random123 (DEShawResearch/random123, tests/kat_vectors, the "philox4x32 10" lines):
    /// counter (x0..x3), key (k0, k1), expected output (x0..x3).
    /// </summary>
    public static TheoryData<uint[], uint[], uint[]> KnownAnswers => new()
    {
        { [0x00000000, 0x00000000, 0x00000000, 0x00000000], [0x00000000, 0x00000000], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
        { [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd] },
        { [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1] },
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Encrypt_reproduces_the_Random123_known_answer_vectors(uint[] counter, uint[] key, uint[] expected)
    {
        uint x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3];
        Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, key[0], key[1]);
        Assert.Equal(expected, new[] { x0, x1, x2, x3 });
    }

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void GenerateBlocks_starting_at_a_known_answer_counter_gives_the_known_answer(uint[] counter, uint[] key, uint[] expected)
    {
        var output = new uint[4];
        Philox4x32.GenerateBlocks(key[0], key[1], counter[0], counter[1], counter[2], counter[3], output);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void GenerateBlocks_equals_one_Encrypt_per_consecutive_block_index()
    {
        const uint key0 = 0x01234567, key1 = 0x89abcdef, first = 0xfffffff0;
        var output = new uint[4 * 37];
        Philox4x32.GenerateBlocks(key0, key1, first, 11, 22, 33, output);
        for (var j = 0; j < 37; j++)
        {
            uint x0 = first + (uint)j, x1 = 11, x2 = 22, x3 = 33;
            Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, key0, key1);
            Assert.Equal(new[] { x0, x1, x2, x3 }, output.AsSpan(4 * j, 4).ToArray());
        }
    }

    [Fact]
    public void GenerateBlocks_rejects_a_destination_that_is_not_whole_blocks()
    {
        Assert.Throws<ArgumentException>(() => Philox4x32.GenerateBlocks(0, 0, 0, 0, 0, 0, new uint[6]));
    }

    [Fact]
    public void Changing_one_counter_bit_changes_about_half_the_output_bits()
    {
        // Avalanche: over 256 single-bit flips of the counter, the mean number of changed output bits is 64 ± a few.
        const double expectedChangedBits = 64;
        const double tolerance = 4; // the mean of 256 Binomial(128, ½) counts has sd √32/16 ≈ 0.35
        var total = 0.0;
        for (var bit = 0; bit < 128; bit++)
        {
            for (var sample = 0; sample < 2; sample++)
            {
                var baseCounter = new uint[] { (uint)(sample * 7919), 5, 6, (uint)sample };
                var flipped = (uint[])baseCounter.Clone();
                flipped[bit / 32] ^= 1u << (bit % 32);
                var a = Encrypt(baseCounter, 42, 43);
                var b = Encrypt(flipped, 42, 43);
                for (var w = 0; w < 4; w++) total += uint.PopCount(a[w] ^ b[w]);
            }
        }
        Assert.InRange(total / 256, expectedChangedBits - tolerance, expectedChangedBits + tolerance);
    }

    private static uint[] Encrypt(uint[] counter, uint key0, uint key1)
    {
        uint x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3];
        Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, key0, key1);
        return [x0, x1, x2, x3];
    }
}
