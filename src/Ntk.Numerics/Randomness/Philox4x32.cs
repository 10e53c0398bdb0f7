using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror &amp; Shaw 2011, "Parallel random numbers: as easy
/// as 1, 2, 3", SC'11; the reference implementation is Random123). A pure function of a 128-bit counter
/// (x0, x1, x2, x3) and a 64-bit key (k0, k1): ten rounds of two 32×32→64-bit multiplications, with the key bumped
/// by the Weyl constants between rounds. Checked against Random123's published known-answer vectors (PhiloxTests).
/// </summary>
/// <remarks>
/// Every block is independent of every other, so <see cref="GenerateBlocks"/> encrypts 8 blocks at a time with
/// AVX-512 (Vector512, one block per 64-bit lane) or 4 with AVX2, and the rest one at a time. Only integer
/// operations are involved (32×32→64-bit multiplications, shifts, xor, wrapping adds), so every path gives the same
/// words bit for bit (FastPathTests compares them at every length and offset).
/// </remarks>
internal static class Philox4x32
{
    /// <summary>Round count of the standard Philox4x32-10 variant.</summary>
    public const int Rounds = 10;

    // Multipliers and Weyl key increments of Philox4x32 (Salmon et al. 2011; the same constants as Random123).
    private const uint Multiplier0 = 0xD2511F53;
    private const uint Multiplier1 = 0xCD9E8D57;
    private const uint Weyl0 = 0x9E3779B9; // 2^32 (golden ratio − 1)
    private const uint Weyl1 = 0xBB67AE85; // 2^32 (√3 − 1)

    /// <summary>
    /// Encrypts one counter block in place: on return (x0, x1, x2, x3) hold the four random 32-bit output words.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Encrypt(ref uint x0, ref uint x1, ref uint x2, ref uint x3, uint key0, uint key1)
    {
        for (var round = 0; round < Rounds; round++)
        {
            var product0 = (ulong)Multiplier0 * x0;
            var product1 = (ulong)Multiplier1 * x2;
            var newX0 = (uint)(product1 >> 32) ^ x1 ^ key0;
            var newX2 = (uint)(product0 >> 32) ^ x3 ^ key1;
            x1 = (uint)product1;
            x3 = (uint)product0;
            x0 = newX0;
            x2 = newX2;
            key0 += Weyl0; // the bump after the last round is unused
            key1 += Weyl1;
        }
    }

    /// <summary>
    /// Writes blocks for counters (firstBlock + j, counter1, counter2, counter3), j = 0 .. destination.Length/4 − 1,
    /// as four consecutive words (x0, x1, x2, x3) each. <paramref name="destination"/> must hold a multiple of 4
    /// words. The block index wraps modulo 2^32; callers guarantee it does not. Vectorized where the hardware allows
    /// (see the remarks); the output does not depend on the path.
    /// </summary>
    public static void GenerateBlocks(
        uint key0, uint key1, uint firstBlock, uint counter1, uint counter2, uint counter3, Span<uint> destination)
    {
        if ((destination.Length & 3) != 0)
            throw new ArgumentException("destination: length must be a multiple of 4 words", nameof(destination));
        var blockCount = destination.Length >> 2;
        var done = 0;
        if (BitConverter.IsLittleEndian)
        {
            // Little-endian: the words (x0, x1) and (x2, x3) of a block are the 64-bit values x0 | x1 << 32 and
            // x2 | x3 << 32, which is what the vector paths assemble and store.
            var words = MemoryMarshal.Cast<uint, ulong>(destination);
            if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
                done = GenerateBlocks512(key0, key1, firstBlock, counter1, counter2, counter3, words, blockCount);
            else if (Vector256.IsHardwareAccelerated && Avx2.IsSupported)
                done = GenerateBlocks256(key0, key1, firstBlock, counter1, counter2, counter3, words, blockCount);
        }
        GenerateBlocksScalar(key0, key1, firstBlock, counter1, counter2, counter3, destination, done, blockCount);
    }

    /// <summary>The reference path: blocks <paramref name="from"/> .. <paramref name="to"/> − 1, one at a time.</summary>
    internal static void GenerateBlocksScalar(
        uint key0, uint key1, uint firstBlock, uint counter1, uint counter2, uint counter3, Span<uint> destination,
        int from, int to)
    {
        if ((uint)to > (uint)(destination.Length >> 2) || from < 0)
            throw new ArgumentOutOfRangeException(nameof(to), to, "block range outside the destination");
        ref var output = ref MemoryMarshal.GetReference(destination);
        for (var j = from; j < to; j++)
        {
            uint x0 = firstBlock + (uint)j, x1 = counter1, x2 = counter2, x3 = counter3;
            Encrypt(ref x0, ref x1, ref x2, ref x3, key0, key1);
            ref var block = ref Unsafe.Add(ref output, j << 2); // in range: j < Length / 4
            block = x0;
            Unsafe.Add(ref block, 1) = x1;
            Unsafe.Add(ref block, 2) = x2;
            Unsafe.Add(ref block, 3) = x3;
        }
    }

    /// <summary>
    /// Blocks 0 .. 8⌊blockCount/8⌋ − 1 with AVX-512: lane b of x0..x3 holds word k of block j + b in its low 32 bits
    /// (the high bits are don't-care: vpmuludq reads only the low half, and the output masks them off). Returns the
    /// number of blocks written.
    /// </summary>
    /// <remarks>
    /// One round is a chain multiply → shift → xor (about 5 cycles) that the next round waits for, so 8 blocks alone
    /// leave the vector units mostly idle; 32 blocks (four independent vectors) per step fill them (measured 1.8× the
    /// words per second of 8 at a time, docs/performance.md §1a). In rounds 1 and 2 one of the two products is the
    /// same for every block (x2 = counter2 in round 1, x0 after round 1), so it is computed once per call; the other
    /// operations are the same as <see cref="Encrypt"/>'s, so the words are too.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int GenerateBlocks512(
        uint key0, uint key1, uint firstBlock, uint counter1, uint counter2, uint counter3, Span<ulong> words,
        int blockCount)
    {
        ref var output = ref MemoryMarshal.GetReference(words);
        var laneOffsets = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        var interleaveLow = Vector512.Create(0UL, 8, 1, 9, 2, 10, 3, 11);
        var interleaveHigh = Vector512.Create(4UL, 12, 5, 13, 6, 14, 7, 15);
        var multiplier0 = Vector512.Create((ulong)Multiplier0).AsUInt32();
        var multiplier1 = Vector512.Create((ulong)Multiplier1).AsUInt32();
        var lowHalf = Vector512.Create(0xFFFF_FFFFUL);
        // Round 1 on (x0, c1, c2, c3): x0' = hi(M1·c2) ^ c1 ^ k0 and x1' = lo(M1·c2) are the same in every block;
        // x2' = hi(M0·x0) ^ c3 ^ k1 and x3' = lo(M0·x0).
        var product1Round1 = (ulong)Multiplier1 * counter2;
        var x0Round1 = (uint)(product1Round1 >> 32) ^ counter1 ^ key0;
        var x1Round1 = (uint)product1Round1;
        var xorRound1 = Vector512.Create((ulong)(counter3 ^ key1));
        // Round 2 (keys bumped once): x0'' = hi(M1·x2') ^ x1' ^ k0, x1'' = lo(M1·x2'); the product M0·x0' is the same
        // in every block, so x2'' = hi(M0·x0') ^ x3' ^ k1 and x3'' = lo(M0·x0').
        var product0Round2 = (ulong)Multiplier0 * x0Round1;
        var xor0Round2 = Vector512.Create((ulong)(x1Round1 ^ (key0 + Weyl0)));
        var xor2Round2 = Vector512.Create((ulong)((uint)(product0Round2 >> 32) ^ (key1 + Weyl1)));
        var x3Round2 = Vector512.Create((ulong)(uint)product0Round2);
        var key0Round3 = key0 + Weyl0 + Weyl0;
        var key1Round3 = key1 + Weyl1 + Weyl1;
        var j = 0;
        for (; j <= blockCount - 32; j += 32)
        {
            // Only the low 32 bits of x0 enter round 1 (through the multiplication), so the block index wraps mod 2^32.
            var a0 = Vector512.Create((ulong)(firstBlock + (uint)j)) + laneOffsets;
            var b0 = a0 + Vector512.Create(8UL);
            var c0 = a0 + Vector512.Create(16UL);
            var d0 = a0 + Vector512.Create(24UL);
            // Round 1: the x3' of each block is its product M0·x0.
            var a3 = Avx512F.Multiply(a0.AsUInt32(), multiplier0);
            var b3 = Avx512F.Multiply(b0.AsUInt32(), multiplier0);
            var c3 = Avx512F.Multiply(c0.AsUInt32(), multiplier0);
            var d3 = Avx512F.Multiply(d0.AsUInt32(), multiplier0);
            // Round 2: the x1'' of each block is its product M1·x2'.
            var a1 = Avx512F.Multiply(((a3 >>> 32) ^ xorRound1).AsUInt32(), multiplier1);
            var b1 = Avx512F.Multiply(((b3 >>> 32) ^ xorRound1).AsUInt32(), multiplier1);
            var c1 = Avx512F.Multiply(((c3 >>> 32) ^ xorRound1).AsUInt32(), multiplier1);
            var d1 = Avx512F.Multiply(((d3 >>> 32) ^ xorRound1).AsUInt32(), multiplier1);
            a0 = (a1 >>> 32) ^ xor0Round2;
            b0 = (b1 >>> 32) ^ xor0Round2;
            c0 = (c1 >>> 32) ^ xor0Round2;
            d0 = (d1 >>> 32) ^ xor0Round2;
            var a2 = a3 ^ xor2Round2;
            var b2 = b3 ^ xor2Round2;
            var c2 = c3 ^ xor2Round2;
            var d2 = d3 ^ xor2Round2;
            a3 = b3 = c3 = d3 = x3Round2;
            uint k0 = key0Round3, k1 = key1Round3;
            for (var round = 2; round < Rounds; round++)
            {
                var roundKey0 = Vector512.Create((ulong)k0);
                var roundKey1 = Vector512.Create((ulong)k1);
                var a0Product = Avx512F.Multiply(a0.AsUInt32(), multiplier0);
                var a2Product = Avx512F.Multiply(a2.AsUInt32(), multiplier1);
                var b0Product = Avx512F.Multiply(b0.AsUInt32(), multiplier0);
                var b2Product = Avx512F.Multiply(b2.AsUInt32(), multiplier1);
                var c0Product = Avx512F.Multiply(c0.AsUInt32(), multiplier0);
                var c2Product = Avx512F.Multiply(c2.AsUInt32(), multiplier1);
                var d0Product = Avx512F.Multiply(d0.AsUInt32(), multiplier0);
                var d2Product = Avx512F.Multiply(d2.AsUInt32(), multiplier1);
                a0 = (a2Product >>> 32) ^ a1 ^ roundKey0;
                a2 = (a0Product >>> 32) ^ a3 ^ roundKey1;
                a1 = a2Product;
                a3 = a0Product;
                b0 = (b2Product >>> 32) ^ b1 ^ roundKey0;
                b2 = (b0Product >>> 32) ^ b3 ^ roundKey1;
                b1 = b2Product;
                b3 = b0Product;
                c0 = (c2Product >>> 32) ^ c1 ^ roundKey0;
                c2 = (c0Product >>> 32) ^ c3 ^ roundKey1;
                c1 = c2Product;
                c3 = c0Product;
                d0 = (d2Product >>> 32) ^ d1 ^ roundKey0;
                d2 = (d0Product >>> 32) ^ d3 ^ roundKey1;
                d1 = d2Product;
                d3 = d0Product;
                k0 += Weyl0;
                k1 += Weyl1;
            }
            Store512(ref output, 2 * j, a0, a1, a2, a3, lowHalf, interleaveLow, interleaveHigh);
            Store512(ref output, 2 * j + 16, b0, b1, b2, b3, lowHalf, interleaveLow, interleaveHigh);
            Store512(ref output, 2 * j + 32, c0, c1, c2, c3, lowHalf, interleaveLow, interleaveHigh);
            Store512(ref output, 2 * j + 48, d0, d1, d2, d3, lowHalf, interleaveLow, interleaveHigh);
        }
        for (; j <= blockCount - 8; j += 8)
        {
            var x0 = Vector512.Create((ulong)(firstBlock + (uint)j)) + laneOffsets;
            Encrypt512(x0, Vector512.Create((ulong)counter1), Vector512.Create((ulong)counter2),
                Vector512.Create((ulong)counter3), key0, key1, out var word0, out var word1);
            Avx512F.PermuteVar8x64x2(word0, interleaveLow, word1).StoreUnsafe(ref output, (nuint)(2 * j));
            Avx512F.PermuteVar8x64x2(word0, interleaveHigh, word1).StoreUnsafe(ref output, (nuint)(2 * j + 8));
        }
        return j;
    }

    /// <summary>
    /// Stores 8 encrypted blocks (lane b: the words x0..x3 of block b in the low halves) as 16 consecutive 64-bit words
    /// x0 | x1 &lt;&lt; 32, x2 | x3 &lt;&lt; 32 per block, from word <paramref name="at"/> on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(
        ref ulong output, int at, Vector512<ulong> x0, Vector512<ulong> x1, Vector512<ulong> x2, Vector512<ulong> x3,
        Vector512<ulong> lowHalf, Vector512<ulong> interleaveLow, Vector512<ulong> interleaveHigh)
    {
        var word0 = (x0 & lowHalf) | (x1 << 32);
        var word1 = (x2 & lowHalf) | (x3 << 32);
        Avx512F.PermuteVar8x64x2(word0, interleaveLow, word1).StoreUnsafe(ref output, (nuint)at);
        Avx512F.PermuteVar8x64x2(word0, interleaveHigh, word1).StoreUnsafe(ref output, (nuint)(at + 8));
    }

    /// <summary>
    /// Encrypts 8 blocks, one per 64-bit lane: block b has the counter (low 32 bits of lane b of x0..x3; the high bits
    /// are don't-care). word0 = x0 | x1 &lt;&lt; 32 and word1 = x2 | x3 &lt;&lt; 32 of each block, the stream's two words.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Encrypt512(
        Vector512<ulong> x0, Vector512<ulong> x1, Vector512<ulong> x2, Vector512<ulong> x3, uint key0, uint key1,
        out Vector512<ulong> word0, out Vector512<ulong> word1)
    {
        var multiplier0 = Vector512.Create((ulong)Multiplier0).AsUInt32();
        var multiplier1 = Vector512.Create((ulong)Multiplier1).AsUInt32();
        for (var round = 0; round < Rounds; round++)
        {
            var product0 = Avx512F.Multiply(x0.AsUInt32(), multiplier0);
            var product1 = Avx512F.Multiply(x2.AsUInt32(), multiplier1);
            var newX0 = (product1 >>> 32) ^ x1 ^ Vector512.Create((ulong)key0);
            var newX2 = (product0 >>> 32) ^ x3 ^ Vector512.Create((ulong)key1);
            x1 = product1;
            x3 = product0;
            x0 = newX0;
            x2 = newX2;
            key0 += Weyl0;
            key1 += Weyl1;
        }
        var lowHalf = Vector512.Create(0xFFFF_FFFFUL);
        word0 = (x0 & lowHalf) | (x1 << 32);
        word1 = (x2 & lowHalf) | (x3 << 32);
    }

    /// <summary>
    /// As <see cref="GenerateBlocks512"/> with AVX2, 4 blocks per vector and two independent vectors (8 blocks) per
    /// step, so that one vector's round overlaps the other's (the round is a latency chain, see there).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int GenerateBlocks256(
        uint key0, uint key1, uint firstBlock, uint counter1, uint counter2, uint counter3, Span<ulong> words,
        int blockCount)
    {
        ref var output = ref MemoryMarshal.GetReference(words);
        var laneOffsets = Vector256.Create(0UL, 1, 2, 3);
        var multiplier0 = Vector256.Create((ulong)Multiplier0).AsUInt32();
        var multiplier1 = Vector256.Create((ulong)Multiplier1).AsUInt32();
        var lowHalf = Vector256.Create(0xFFFF_FFFFUL);
        var initial1 = Vector256.Create((ulong)counter1);
        var initial2 = Vector256.Create((ulong)counter2);
        var initial3 = Vector256.Create((ulong)counter3);
        var j = 0;
        for (; j <= blockCount - 8; j += 8)
        {
            var a0 = Vector256.Create((ulong)(firstBlock + (uint)j)) + laneOffsets;
            var b0 = a0 + Vector256.Create(4UL);
            Vector256<ulong> a1 = initial1, a2 = initial2, a3 = initial3;
            Vector256<ulong> b1 = initial1, b2 = initial2, b3 = initial3;
            uint k0 = key0, k1 = key1;
            // Without AVX-512's three-way xor, x1 ^ key first keeps one xor out of the round's latency chain.
            for (var round = 0; round < Rounds; round++)
            {
                var roundKey0 = Vector256.Create((ulong)k0);
                var roundKey1 = Vector256.Create((ulong)k1);
                var a0Product = Avx2.Multiply(a0.AsUInt32(), multiplier0);
                var a2Product = Avx2.Multiply(a2.AsUInt32(), multiplier1);
                var b0Product = Avx2.Multiply(b0.AsUInt32(), multiplier0);
                var b2Product = Avx2.Multiply(b2.AsUInt32(), multiplier1);
                a0 = (a2Product >>> 32) ^ (a1 ^ roundKey0);
                a2 = (a0Product >>> 32) ^ (a3 ^ roundKey1);
                a1 = a2Product;
                a3 = a0Product;
                b0 = (b2Product >>> 32) ^ (b1 ^ roundKey0);
                b2 = (b0Product >>> 32) ^ (b3 ^ roundKey1);
                b1 = b2Product;
                b3 = b0Product;
                k0 += Weyl0;
                k1 += Weyl1;
            }
            Store256(ref output, 2 * j, a0, a1, a2, a3, lowHalf);
            Store256(ref output, 2 * j + 8, b0, b1, b2, b3, lowHalf);
        }
        for (; j <= blockCount - 4; j += 4)
        {
            var x0 = Vector256.Create((ulong)(firstBlock + (uint)j)) + laneOffsets;
            var x1 = initial1;
            var x2 = initial2;
            var x3 = initial3;
            uint k0 = key0, k1 = key1;
            for (var round = 0; round < Rounds; round++)
            {
                var product0 = Avx2.Multiply(x0.AsUInt32(), multiplier0);
                var product1 = Avx2.Multiply(x2.AsUInt32(), multiplier1);
                var newX0 = (product1 >>> 32) ^ (x1 ^ Vector256.Create((ulong)k0));
                var newX2 = (product0 >>> 32) ^ (x3 ^ Vector256.Create((ulong)k1));
                x1 = product1;
                x3 = product0;
                x0 = newX0;
                x2 = newX2;
                k0 += Weyl0;
                k1 += Weyl1;
            }
            Store256(ref output, 2 * j, x0, x1, x2, x3, lowHalf);
        }
        return j;
    }

    /// <summary>
    /// Stores 4 encrypted blocks (lane b: the words x0..x3 of block b in the low halves) as 8 consecutive 64-bit words
    /// x0 | x1 &lt;&lt; 32, x2 | x3 &lt;&lt; 32 per block, from word <paramref name="at"/> on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(
        ref ulong output, int at, Vector256<ulong> x0, Vector256<ulong> x1, Vector256<ulong> x2, Vector256<ulong> x3,
        Vector256<ulong> lowHalf)
    {
        var word0 = (x0 & lowHalf) | (x1 << 32);
        var word1 = (x2 & lowHalf) | (x3 << 32);
        // [w0 of blocks 0, 2 | w1 of 0, 2] and [.. 1, 3]; then gather the 128-bit halves in block order.
        var low = Avx2.UnpackLow(word0, word1);
        var high = Avx2.UnpackHigh(word0, word1);
        Avx2.Permute2x128(low, high, 0x20).StoreUnsafe(ref output, (nuint)at);
        Avx2.Permute2x128(low, high, 0x31).StoreUnsafe(ref output, (nuint)(at + 4));
    }
}
