using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Measurement;

/// <summary>
/// Fast paths of <see cref="MeasurementWriter"/> that give bitwise the values of its plain loops: activity counts from
/// bit sets and popcounts (integers, exact) instead of one branch per (unit, pair).
/// </summary>
internal static class MeasurementKernels
{
    [ThreadStatic] private static ulong[]? t_activeBits;
    [ThreadStatic] private static uint[]? t_unitBits;

    /// <summary>
    /// For z stored unit-major (z[i·m + a], i &lt; width): active[a] = #{i : z_{i;a} &gt; 0}, and for every pair a &lt; b
    /// writes #{i : z_{i;a} &gt; 0 and z_{i;b} &gt; 0} (as a double) to measurement[correlatorIndex(a, b)] (with the
    /// correlators; without them it multiplies the path product by that count / width, and with neither it counts no pairs).
    /// Cost O(width·m + m²·width/64). Uses a per-thread scratch of m·⌈width/64⌉ words, allocated once.
    /// </summary>
    public static void CountActivity(
        ReadOnlySpan<double> preactivations, int width, int m, Span<int> active, Span<double> measurement,
        MeasurementLayout layout, int layer) =>
        CountActivity(preactivations, width, m, inputMajor: false, active, measurement, layout, layer);

    /// <summary>
    /// As <see cref="CountActivity(ReadOnlySpan{double}, int, int, Span{int}, Span{double}, MeasurementLayout, int)"/>,
    /// with z stored unit-major (<paramref name="inputMajor"/> false: z[i·m + a]) or input-major (true: z[a·width + i],
    /// the conditional engine's layout). The bit sets are the same either way, so are the (integer) counts.
    /// </summary>
    public static void CountActivity(
        ReadOnlySpan<double> preactivations, int width, int m, bool inputMajor, Span<int> active,
        Span<double> measurement, MeasurementLayout layout, int layer)
    {
        var words = (width + 63) >> 6;
        var needed = m * words;
        var bits = t_activeBits;
        if (bits is null || bits.Length < needed) t_activeBits = bits = new ulong[Math.Max(needed, 64)];
        var masks = bits.AsSpan(0, needed);
        masks.Clear();
        if (inputMajor)
            for (var a = 0; a < m; a++) ActiveBits(preactivations.Slice(a * width, width), masks.Slice(a * words, words));
        else if (Vector512.IsHardwareAccelerated && m >= 8)
            UnitMajorActiveBits(preactivations, width, m, masks, words);
        else
            for (var i = 0; i < width; i++)
            {
                var row = preactivations.Slice(i * m, m);
                var word = i >> 6;
                var shift = i & 63;
                // Branch-free: the signs of z are random, so a branch per entry would be mispredicted half the time.
                for (var a = 0; a < m; a++)
                    masks[a * words + word] |= DenseKernels.ActiveBit(row[a]) << shift;
            }
        CountFromBits(masks, width, m, active, measurement, layout, layer);
    }

    /// <summary>
    /// The counts of <see cref="CountActivity(ReadOnlySpan{double}, int, int, bool, Span{int}, Span{double}, MeasurementLayout, int)"/>
    /// from the bit sets themselves: masks[a·words + (i &gt;&gt; 6)] bit (i &amp; 63) = 1[z_ia &gt; 0] for i &lt; width, words =
    /// ⌈width/64⌉, and every bit from width on clear (an engine that finds the signs in a pass of its own hands them over).
    /// </summary>
    public static void CountFromBits(
        ReadOnlySpan<ulong> masks, int width, int m, Span<int> active, Span<double> measurement, MeasurementLayout layout,
        int layer)
    {
        // Pairs are counted for the correlators (the count, scaled by the writer) or, without them, straight into the
        // path product: the same c = count · (1/width) either way, so the path product's bits do not depend on the selection.
        var correlators = layout.Has(StatisticGroups.Correlators);
        var path = layout.Has(StatisticGroups.PathProduct);
        var patterns = layout.Has(StatisticGroups.Patterns);
        var pairs = correlators || path || patterns;
        var inverseWidth = 1.0 / width;
        var words = (width + 63) >> 6;
        if (masks.Length < m * words) throw new ArgumentException("masks: need m × ⌈width/64⌉ words", nameof(masks));
        // Pair (a, b), a < b, has rank p in each per-pair block (MeasurementLayout.Pair), so each block is addressed
        // from its first index once per layer.
        pairs &= m >= 2;
        var pairCount = layout.PairCount;
        var correlatorBlock = pairs && correlators ? measurement.Slice(layout.Correlator(layer, 0, 1), pairCount) : default;
        var pathBlock = pairs && !correlators && path ? measurement.Slice(layout.PathProduct(0, 1), pairCount) : default;
        var agreementBlock = pairs && !correlators && patterns
            ? measurement.Slice(layout.PatternAgreement(layer, 0, 1), pairCount) : default;
        var equalBlock = pairs && !correlators && patterns
            ? measurement.Slice(layout.PatternEqual(layer, 0, 1), pairCount) : default;
        var p = 0;
        for (var a = 0; a < m; a++)
        {
            var maskA = masks.Slice(a * words, words);
            var count = 0;
            foreach (var w in maskA) count += BitOperations.PopCount(w);
            active[a] = count;
            if (!pairs) continue;
            for (var b = a + 1; b < m; b++, p++)
            {
                var maskB = masks.Slice(b * words, words);
                var both = 0;
                for (var k = 0; k < words; k++) both += BitOperations.PopCount(maskA[k] & maskB[k]);
                if (correlators)
                {
                    correlatorBlock[p] = both;
                    continue;
                }
                if (path) pathBlock[p] *= both * inverseWidth;
                if (patterns)
                {
                    // Without the correlators the writer never sees the pair counts: the patterns are written here
                    // (units where the patterns differ, an exact integer count as in the writer).
                    var differ = 0;
                    for (var k = 0; k < words; k++) differ += BitOperations.PopCount(maskA[k] ^ maskB[k]);
                    agreementBlock[p] = (width - differ) * inverseWidth;
                    equalBlock[p] = differ == 0 ? 1 : 0;
                }
            }
        }
    }

    /// <summary>
    /// The bit sets of unit-major z (z[i·m + a]): masks[a·words + (i &gt;&gt; 6)] bit (i &amp; 63) = 1[z_ia &gt; 0]. Inputs in
    /// chunks of 32: each unit's 32 indicators from four 8-lane compares into one 32-bit word, then per input a the
    /// bit a of 16 units' words at a time (shifted to the sign bit and gathered by ExtractMostSignificantBits). The
    /// compares are exact, so the bits are those of the per-entry <see cref="DenseKernels.ActiveBit"/> loop.
    /// </summary>
    private static void UnitMajorActiveBits(ReadOnlySpan<double> z, int width, int m, Span<ulong> masks, int words)
    {
        var padded = words * 64;
        var unitBits = t_unitBits;
        if (unitBits is null || unitBits.Length < padded) t_unitBits = unitBits = new uint[padded];
        unitBits.AsSpan(width, padded - width).Clear();
        ref var zRef = ref MemoryMarshal.GetReference(z);
        ref var uRef = ref MemoryMarshal.GetArrayDataReference(unitBits);
        for (var a0 = 0; a0 < m; a0 += 32)
        {
            var chunk = Math.Min(32, m - a0);
            var vectors = chunk / 8;
            for (var i = 0; i < width; i++)
            {
                ref var row = ref Unsafe.Add(ref zRef, (nint)i * m + a0);
                uint word = 0;
                for (var j = 0; j < vectors; j++)
                    word |= (uint)Vector512.GreaterThan(Vector512.LoadUnsafe(ref row, (nuint)(8 * j)), Vector512<double>.Zero)
                        .ExtractMostSignificantBits() << (8 * j);
                for (var j = 8 * vectors; j < chunk; j++) word |= (uint)DenseKernels.ActiveBit(Unsafe.Add(ref row, j)) << j;
                Unsafe.Add(ref uRef, i) = word;
            }
            for (var bit = 0; bit < chunk; bit++)
            {
                var shift = 31 - bit;
                var target = masks.Slice((a0 + bit) * words, words);
                for (var w = 0; w < words; w++)
                {
                    ulong word = 0;
                    for (var q = 0; q < 4; q++)
                        word |= (ulong)Vector512.ShiftLeft(Vector512.LoadUnsafe(ref uRef, (nuint)(64 * w + 16 * q)), shift)
                            .ExtractMostSignificantBits() << (16 * q);
                    target[w] = word;
                }
            }
        }
    }

    /// <summary>
    /// bits[i >> 6] bit (i &amp; 63) = 1[z_i &gt; 0] for a contiguous z (the strict indicator ξ: −0, +0 and NaN are
    /// inactive). 64 values per word from eight 8-lane compares (or sixteen 4-lane ones), the sign masks of the compare
    /// results packed in unit order; the scalar loop takes the tail and machines without vector instructions. The
    /// compare is exact, so every path gives the same bits as <see cref="DenseKernels.ActiveBit"/> per value.
    /// </summary>
    internal static void ActiveBits(ReadOnlySpan<double> z, Span<ulong> bits)
    {
        ref var zRef = ref MemoryMarshal.GetReference(z);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 63 < z.Length; i += 64)
            {
                ulong word = 0;
                for (var j = 0; j < 8; j++)
                {
                    var active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref zRef, (nuint)(i + 8 * j)), Vector512<double>.Zero);
                    word |= (ulong)active.ExtractMostSignificantBits() << (8 * j);
                }
                bits[i >> 6] = word;
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 63 < z.Length; i += 64)
            {
                ulong word = 0;
                for (var j = 0; j < 16; j++)
                {
                    var active = Vector256.GreaterThan(Vector256.LoadUnsafe(ref zRef, (nuint)(i + 4 * j)), Vector256<double>.Zero);
                    word |= (ulong)active.ExtractMostSignificantBits() << (4 * j);
                }
                bits[i >> 6] = word;
            }
        }
        for (; i < z.Length; i++) bits[i >> 6] |= DenseKernels.ActiveBit(Unsafe.Add(ref zRef, i)) << (i & 63);
    }
}
