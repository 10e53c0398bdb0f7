using System.Runtime.InteropServices;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// The previous Gaussian generator ("philox4x32-10/box-muller/1": the same Philox counters, vectorized Box–Muller on
/// pairs of consecutive words), kept only so that <c>ntk bench</c> can print its rate next to the ziggurat's in the
/// same run (docs/performance.md §2). No engine draws from it.
/// </summary>
public static class BoxMullerGenerator
{
    /// <summary>Name of the sequence this generator gave as <see cref="RandomStream"/>'s Gaussians.</summary>
    public const string Version = "philox4x32-10/box-muller/1";

    private const int ChunkBlocks = 256;

    /// <summary>
    /// Fills <paramref name="destination"/> (even length) with the first Gaussians of the former stream of
    /// (seed, point, trial): what its FillGaussian gave on a fresh stream.
    /// </summary>
    public static void Fill(ulong masterSeed, int pointIndex, long trial, Span<double> destination)
    {
        if ((destination.Length & 1) != 0 || !BitConverter.IsLittleEndian)
            throw new ArgumentException("destination: an even length on a little-endian machine", nameof(destination));
        Span<ulong> words = stackalloc ulong[2 * ChunkBlocks];
        var block = 0u;
        for (var filled = 0; filled < destination.Length;)
        {
            var blocks = Math.Min(ChunkBlocks, (destination.Length - filled) >> 1);
            var target = words[..(2 * blocks)];
            Philox4x32.GenerateBlocks(
                (uint)masterSeed, (uint)(masterSeed >> 32), block, (uint)(ulong)trial, (uint)((ulong)trial >> 32),
                (uint)pointIndex, MemoryMarshal.Cast<ulong, uint>(target));
            WeightSampling.GaussianPairs(target, destination.Slice(filled, 2 * blocks));
            block += (uint)blocks;
            filled += 2 * blocks;
        }
    }
}
