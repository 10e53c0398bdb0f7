using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// Standard normal variates by a 1024-layer ziggurat (Marsaglia &amp; Tsang 2000, "The Ziggurat Method for Generating
/// Random Variables", J. Stat. Softw. 5(8); tables in <see cref="ZigguratTables"/>), exact in distribution, from one
/// 64-bit word per variate in 99.56% of the cases (docs/numerics.md §12).
/// </summary>
/// <remarks>
/// <para>A word w is read as: layer i = bits 0–9, sign = bit 10, u = (bits 12–63)·2^−52 (52 bits; bit 11 unused).
/// x = u·x_i is uniform on [0, x_i). When the top 12 bits of u are below the layer's key K_i (the lowest 12 mantissa
/// bits of x_i), x lies under the density and ±x is the variate: the fast path, <see cref="TryFast"/>. Otherwise
/// <see cref="Slow"/> finishes it with the two words of its slot block (then, rarely, the overflow sequence): the exact
/// inner test, then the wedge test y &lt; exp(−x²/2) (layers 1–1023) or the tail (layer 0), and a fresh attempt
/// after a rejection.</para>
/// <para>Bits: the fast path uses only exact operations (integer→double conversion of u, sign flip, integer compare)
/// and one rounded multiplication, so the vector lanes of <see cref="TransformInPlace"/> give the scalar bits; the
/// slow path is scalar only and uses <see cref="PortableMath"/> (never the runtime's exp/log), so every machine
/// gives the same bits.</para>
/// </remarks>
internal static class ZigguratGaussian
{
    private const ulong LayerMask = ZigguratTables.Layers - 1;
    private const ulong SignMask = 0x400;
    private const int SignToTopShift = 53; // bit 10 → bit 63
    private const int UniformShift = 12;
    private const int KeyShift = 64 - ZigguratTables.KeyBits; // the top 12 bits of u
    private const ulong KeyMask = (1UL << ZigguratTables.KeyBits) - 1;
    private const ulong OneBits = 0x3FF0_0000_0000_0000UL; // the double 1.0
    private const double TwoToMinus52 = 1.0 / 4503599627370496.0;

    /// <summary>True when <see cref="TransformInPlace"/> runs 8 lanes at a time (AVX-512; table entries by scalar loads).</summary>
    public static bool Is512Supported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>True when <see cref="TransformInPlace"/> can run 4 lanes at a time (AVX2; table entries by scalar loads).</summary>
    public static bool Is256Supported => Vector256.IsHardwareAccelerated && Avx2.IsSupported;

    /// <summary>
    /// The fast path: true with the variate in <paramref name="value"/> when the word's point passes the layer's
    /// quick inner test; false otherwise (then <paramref name="value"/> is the signed candidate ±x and the word needs
    /// <see cref="Slow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryFast(ulong word, out double value)
    {
        var width = ZigguratTables.Width[(int)(word & LayerMask)];
        var x = (word >> UniformShift) * TwoToMinus52 * width; // u = k·2^−52 is exact (k < 2^52)
        value = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) ^ (long)((word & SignMask) << SignToTopShift));
        return (word >> KeyShift) < (BitConverter.DoubleToUInt64Bits(width) & KeyMask);
    }

    /// <summary>
    /// The variate of main word <paramref name="word"/> (index <paramref name="wordIndex"/> of the main sequence) when
    /// the fast path did not accept it: the exact tests of its layer, then new attempts (fast path first) until one is
    /// accepted. Its uniforms are the two words of the word's slot block, then words of the overflow sequence.
    /// </summary>
    public static double Slow(ulong word, uint wordIndex, ref RandomStream stream)
    {
        stream.SlotWords(wordIndex, out var first, out var second);
        return Slow(word, first, second, ref stream);
    }

    /// <summary>
    /// <see cref="Slow(ulong, uint, ref RandomStream)"/> with the slot block's two words already drawn (a bulk fill
    /// draws those of several rejected words at once, see <see cref="RandomStream.FillGaussian"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static double Slow(ulong word, ulong firstSlotWord, ulong secondSlotWord, ref RandomStream stream)
    {
        var words = new SlowWords(firstSlotWord, secondSlotWord);
        while (true)
        {
            if (TryFast(word, out var candidate)) return candidate;
            var layer = (int)(word & LayerMask);
            var x = Math.Abs(candidate);
            if (layer == 0)
            {
                if (x < ZigguratTables.TailStart) return candidate; // inside [0, r) × [0, f(r)]
                // Beyond r: the tail with probability T(r) / ((x_0 − r) f(r)) (≈ 1 − 7e-12), else a new attempt.
                if (WeightSampling.UnitClosedZero(words.Next(ref stream)) * ZigguratTables.BaseOverhangArea < ZigguratTables.TailArea)
                {
                    var tail = Tail(ref words, ref stream);
                    return (word & SignMask) == 0 ? tail : -tail;
                }
            }
            else
            {
                // The wedge of layer i: y uniform on [y_i, y_(i+1)), accepted when below the density at x.
                var low = ZigguratTables.Height[layer];
                var high = ZigguratTables.Height[layer + 1];
                var y = low + WeightSampling.UnitClosedZero(words.Next(ref stream)) * (high - low);
                if (WedgeAccepts(layer, x, y, low, high)) return candidate;
            }
            word = words.Next(ref stream);
        }
    }

    /// <summary>Margin of the wedge's quick decisions: far above every rounding error involved (~1e-12).</summary>
    private const double WedgeMargin = 1e-10;

    /// <summary>
    /// y &lt; exp(−x²/2) (by <see cref="PortableMath.Exp"/>), decided without the exponential where the density's
    /// shape allows (McFarland 2016, "A modified ziggurat algorithm", J. Stat. Comput. Simul. 86(7), uses the same
    /// bounds): on [x_(i+1), x_i] the density is convex when x_(i+1) ≥ 1 (below its chord, above its tangent at
    /// x_(i+1)) and concave when x_i ≤ 1 (above the chord, below the tangent). A quick decision is taken only when y
    /// is farther than <see cref="WedgeMargin"/> from the bound, so it always agrees with the exact comparison: the
    /// bits do not depend on it.
    /// </summary>
    private static bool WedgeAccepts(int layer, double x, double y, double low, double high)
    {
        var outer = ZigguratTables.Width[layer];
        var inner = layer < ZigguratTables.Layers - 1 ? ZigguratTables.Width[layer + 1] : 0.0;
        if (x > inner)
        {
            // f(inner) ≤ high = y_(i+1) and f(outer) ≤ low = y_i, each within ~1e-12 (the widths are rounded up).
            var chord = high + (low - high) * ((x - inner) / (outer - inner));
            var tangent = high - high * inner * (x - inner);
            if (inner >= 1)
            {
                if (y > chord + WedgeMargin) return false;
                if (y < tangent - WedgeMargin) return true;
            }
            else if (outer <= 1)
            {
                if (y < chord - WedgeMargin) return true;
                if (y > tangent + WedgeMargin) return false;
            }
        }
        return y < PortableMath.Exp(-0.5 * x * x);
    }

    /// <summary>
    /// A draw of the standard normal conditioned on x &gt; r (Marsaglia 1964, as in Marsaglia &amp; Tsang 2000):
    /// a = −ln(U₁)/r, b = −ln(U₂) until 2b &gt; a²; then r + a.
    /// </summary>
    private static double Tail(ref SlowWords words, ref RandomStream stream)
    {
        while (true)
        {
            var a = -PortableMath.Log(WeightSampling.UnitOpenZero(words.Next(ref stream))) * ZigguratTables.InverseTailStart;
            var b = -PortableMath.Log(WeightSampling.UnitOpenZero(words.Next(ref stream)));
            if (b + b > a * a) return ZigguratTables.TailStart + a;
        }
    }

    /// <summary>
    /// A tail draw (x &gt; r) from <paramref name="stream"/>'s overflow sequence alone: lets the tests check the tail's
    /// law at 10^6 draws instead of the 2·10^10 Gaussians that hold as many.
    /// </summary>
    internal static double TailFromOverflow(ref RandomStream stream)
    {
        var words = new SlowWords(stream.NextOverflowWord(), stream.NextOverflowWord());
        return Tail(ref words, ref stream);
    }

    /// <summary>The slow path's words: the slot block's two, then the overflow sequence.</summary>
    private struct SlowWords(ulong first, ulong second)
    {
        private int _used;

        public ulong Next(ref RandomStream stream) => _used++ switch
        {
            0 => first,
            1 => second,
            _ => stream.NextOverflowWord(),
        };
    }

    /// <summary>
    /// The fast path over a buffer of words stored as doubles' bits: every value whose word passes is replaced by its
    /// variate; the others keep their word bits and their indices are written, ascending, to
    /// <paramref name="rejected"/> (as long as the values). Returns the number of rejected indices. Vectorized where
    /// the hardware allows; the result does not depend on the path.
    /// </summary>
    public static int TransformInPlace(Span<double> values, Span<int> rejected)
    {
        if (rejected.Length < values.Length)
            throw new ArgumentException("rejected: needs room for one index per value", nameof(rejected));
        var done = 0;
        var count = 0;
        if (Is512Supported) done = Transform512(values, rejected, ref count);
        else if (Is256Supported) done = Transform256(values, rejected, ref count);
        TransformScalar(values, done, rejected, ref count);
        return count;
    }

    /// <summary>The reference path of <see cref="TransformInPlace"/> from index <paramref name="from"/> on.</summary>
    internal static void TransformScalar(Span<double> values, int from, Span<int> rejected, ref int count)
    {
        for (var i = from; i < values.Length; i++)
        {
            var word = BitConverter.DoubleToUInt64Bits(values[i]);
            if (TryFast(word, out var value)) values[i] = value;
            else rejected[count++] = i;
        }
    }

    /// <remarks>
    /// The 8 table entries are read by scalar loads (two per 128-bit half, vmovsd/vmovhpd) and joined into one vector:
    /// on Zen 5 that is faster than two 4-lane AVX2 gathers (.NET has no 8-lane one), and joining the halves into a
    /// fresh register (not into the previous iteration's) leaves no chain between iterations (measured 1.7× the
    /// transform's rate, docs/performance.md §1a). Loads and bitwise joins do not change the entries' bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Transform512(Span<double> values, Span<int> rejected, ref int count)
    {
        var i = 0;
        fixed (double* width = ZigguratTables.Width)
        fixed (double* start = values)
        {
            var signMask = Vector512.Create(SignMask);
            var keyMask = Vector512.Create(KeyMask);
            var oneBits = Vector512.Create(OneBits);
            for (; i <= values.Length - 8; i += 8)
            {
                var words = (ulong*)(start + i);
                var word = Vector512.Load(words);
                var widths01 = Sse2.LoadHigh(Vector128.CreateScalarUnsafe(width[(nint)(words[0] & LayerMask)]), width + (nint)(words[1] & LayerMask));
                var widths23 = Sse2.LoadHigh(Vector128.CreateScalarUnsafe(width[(nint)(words[2] & LayerMask)]), width + (nint)(words[3] & LayerMask));
                var widths45 = Sse2.LoadHigh(Vector128.CreateScalarUnsafe(width[(nint)(words[4] & LayerMask)]), width + (nint)(words[5] & LayerMask));
                var widths67 = Sse2.LoadHigh(Vector128.CreateScalarUnsafe(width[(nint)(words[6] & LayerMask)]), width + (nint)(words[7] & LayerMask));
                var widths = Avx512F.InsertVector256(
                    Vector256.Create(widths01, widths23).ToVector512Unsafe(), Vector256.Create(widths45, widths67), 1);
                // 1 + k·2^−52 has the bits of 1.0 | k, so subtracting 1 gives u = k·2^−52 exactly.
                var x = (((word >>> UniformShift) | oneBits).AsDouble() - Vector512<double>.One) * widths;
                var signed = (x.AsUInt64() ^ ((word & signMask) << SignToTopShift)).AsDouble();
                var top = (word >>> KeyShift).AsInt64();
                var key = (widths.AsUInt64() & keyMask).AsInt64();
                Vector512.ConditionalSelect(Vector512.LessThan(top, key).AsDouble(), signed, word.AsDouble()).Store(start + i);
                // The complement as a second compare: both stay in mask registers.
                var rejectedLanes = Vector512.GreaterThanOrEqual(top, key).ExtractMostSignificantBits();
                while (rejectedLanes != 0)
                {
                    rejected[count++] = i + BitOperations.TrailingZeroCount(rejectedLanes);
                    rejectedLanes &= rejectedLanes - 1;
                }
            }
        }
        return i;
    }

    /// <summary>As <see cref="Transform512"/>, 4 lanes at a time (scalar loads: faster than a 4-lane gather on Zen 5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int Transform256(Span<double> values, Span<int> rejected, ref int count)
    {
        var i = 0;
        fixed (double* width = ZigguratTables.Width)
        fixed (double* start = values)
        {
            var signMask = Vector256.Create(SignMask);
            var keyMask = Vector256.Create(KeyMask);
            var oneBits = Vector256.Create(OneBits);
            for (; i <= values.Length - 4; i += 4)
            {
                var words = (ulong*)(start + i);
                var word = Vector256.Load(words);
                var widths = Vector256.Create(
                    Sse2.LoadHigh(Vector128.CreateScalarUnsafe(width[(nint)(words[0] & LayerMask)]), width + (nint)(words[1] & LayerMask)),
                    Sse2.LoadHigh(Vector128.CreateScalarUnsafe(width[(nint)(words[2] & LayerMask)]), width + (nint)(words[3] & LayerMask)));
                var x = (((word >>> UniformShift) | oneBits).AsDouble() - Vector256<double>.One) * widths;
                var signed = (x.AsUInt64() ^ ((word & signMask) << SignToTopShift)).AsDouble();
                var accept = Vector256.LessThan((word >>> KeyShift).AsInt64(), (widths.AsUInt64() & keyMask).AsInt64());
                Vector256.ConditionalSelect(accept.AsDouble(), signed, word.AsDouble()).Store(start + i);
                var rejectedLanes = (~accept).ExtractMostSignificantBits();
                while (rejectedLanes != 0)
                {
                    rejected[count++] = i + BitOperations.TrailingZeroCount(rejectedLanes);
                    rejectedLanes &= rejectedLanes - 1;
                }
            }
        }
        return i;
    }
}
