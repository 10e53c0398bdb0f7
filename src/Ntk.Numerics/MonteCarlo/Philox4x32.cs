using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ntk.Numerics.MonteCarlo;

/// <summary>
/// The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror &amp; Shaw 2011, "Parallel random numbers: as easy
/// as 1, 2, 3", SC'11; the reference implementation is Random123). A pure function of a 128-bit counter
/// (x0, x1, x2, x3) and a 64-bit key (k0, k1): ten rounds of two 32×32→64-bit multiplications, with the key bumped
/// by the Weyl constants between rounds. Checked against Random123's published known-answer vectors (PhiloxTests).
/// </summary>
/// <remarks>
/// Every block is independent of every other, so <see cref="GenerateBlocks"/> is a loop over lanes that a later
/// Vector256/Vector512 version can process several blocks at a time with bitwise-identical output.
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
    /// words. The block index wraps modulo 2^32; callers guarantee it does not.
    /// </summary>
    public static void GenerateBlocks(
        uint key0, uint key1, uint firstBlock, uint counter1, uint counter2, uint counter3, Span<uint> destination)
    {
        if ((destination.Length & 3) != 0)
            throw new ArgumentException("destination: length must be a multiple of 4 words", nameof(destination));
        var blockCount = destination.Length >> 2;
        ref var output = ref MemoryMarshal.GetReference(destination);
        for (var j = 0; j < blockCount; j++)
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
}
