using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Lane-wise versions of <see cref="PortableMath.Log"/>, <see cref="PortableMath.SinCosTwoPi"/> and the Box–Muller
/// transform of <see cref="WeightSampling.GaussianPair"/> for Vector256/Vector512, and of <see cref="PortableMath.Acos"/>
/// and <see cref="PortableMath.Exp"/> for Vector256 (the measurement writer's four pairs per step). Every lane performs exactly the
/// scalar operations in the scalar order — IEEE +, −, ×, ÷, √, exact integer↔double conversions, exact selects and
/// sign flips, never a fused multiply-add (RyuJIT does not contract vector multiply-adds either) — so each lane's
/// result is bitwise identical to the scalar function's (FastPathTests checks it at every length and offset).
/// </summary>
internal static class PortableVectorMath
{
    private const double TwoToMinus53 = 1.0 / 9007199254740992.0; // 2^-53
    private const double TwoTo52 = 4503599627370496.0;             // 2^52
    private const double Ln2High = 6.93147180369123816490e-01;     // the constants of PortableMath
    private const double Ln2Low = 1.90821492927058770002e-10;
    private const double Sqrt2 = 1.41421356237309504880;
    private const double TwoPi = 6.28318530717958647692;
    private const ulong MantissaMask = 0x000F_FFFF_FFFF_FFFFUL;
    private const ulong OneBits = 0x3FF0_0000_0000_0000UL;

    /// <summary>True when <see cref="GaussianPairs512"/> can run on this machine.</summary>
    public static bool Is512Supported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    /// <summary>True when <see cref="GaussianPairs256"/> can run on this machine.</summary>
    public static bool Is256Supported => Vector256.IsHardwareAccelerated && Avx2.IsSupported;

    /// <summary>
    /// Box–Muller for the word pairs 0 .. 8⌊count/16⌋·2 − 1 of <paramref name="words"/> (count = number of words),
    /// 8 pairs per step; returns the number of words (= values) done. destination[2p], [2p+1] from words[2p], [2p+1].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int GaussianPairs512(ref ulong words, ref double destination, int count)
    {
        var i = 0;
        for (; i <= count - 16; i += 16)
        {
            var a = Vector512.LoadUnsafe(ref words, (nuint)i);
            var b = Vector512.LoadUnsafe(ref words, (nuint)(i + 8));
            // Per 128-bit lane: radius words of pairs (0,4), (1,5), (2,6), (3,7); the angle words likewise.
            var radiusWords = Avx512F.UnpackLow(a, b);
            var angleWords = Avx512F.UnpackHigh(a, b);
            GaussianPair(radiusWords, angleWords, out var first, out var second);
            Avx512F.UnpackLow(first, second).StoreUnsafe(ref destination, (nuint)i);
            Avx512F.UnpackHigh(first, second).StoreUnsafe(ref destination, (nuint)(i + 8));
        }
        return i;
    }

    /// <summary>As <see cref="GaussianPairs512"/> with AVX2, 4 pairs per step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int GaussianPairs256(ref ulong words, ref double destination, int count)
    {
        var i = 0;
        for (; i <= count - 8; i += 8)
        {
            var a = Vector256.LoadUnsafe(ref words, (nuint)i);
            var b = Vector256.LoadUnsafe(ref words, (nuint)(i + 4));
            var radiusWords = Avx2.UnpackLow(a, b);
            var angleWords = Avx2.UnpackHigh(a, b);
            GaussianPair(radiusWords, angleWords, out var first, out var second);
            Avx.UnpackLow(first, second).StoreUnsafe(ref destination, (nuint)i);
            Avx.UnpackHigh(first, second).StoreUnsafe(ref destination, (nuint)(i + 4));
        }
        return i;
    }

    /// <summary>Lane-wise <see cref="WeightSampling.GaussianPair"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GaussianPair(
        Vector512<ulong> radiusWords, Vector512<ulong> angleWords, out Vector512<double> first, out Vector512<double> second)
    {
        // UnitOpenZero: ((w >> 11) + 1)·2^−53; UnitClosedZero: (w >> 11)·2^−53 (integers < 2^54 convert exactly).
        var u = Vector512.ConvertToDouble((radiusWords >>> 11) + Vector512<ulong>.One) * Vector512.Create(TwoToMinus53);
        var t = Vector512.ConvertToDouble(angleWords >>> 11) * Vector512.Create(TwoToMinus53);
        var radius = Vector512.Sqrt(Vector512.Create(-2.0) * Log(u));
        SinCosTwoPi(t, out var sine, out var cosine);
        first = radius * cosine;
        second = radius * sine;
    }

    /// <summary>Lane-wise <see cref="WeightSampling.GaussianPair"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GaussianPair(
        Vector256<ulong> radiusWords, Vector256<ulong> angleWords, out Vector256<double> first, out Vector256<double> second)
    {
        var u = Vector256.ConvertToDouble((radiusWords >>> 11) + Vector256<ulong>.One) * Vector256.Create(TwoToMinus53);
        var t = Vector256.ConvertToDouble(angleWords >>> 11) * Vector256.Create(TwoToMinus53);
        var radius = Vector256.Sqrt(Vector256.Create(-2.0) * Log(u));
        SinCosTwoPi(t, out var sine, out var cosine);
        first = radius * cosine;
        second = radius * sine;
    }

    /// <summary>Lane-wise <see cref="PortableMath.Log"/> (positive normal lanes only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Log(Vector512<double> x)
    {
        var bits = x.AsUInt64();
        // The biased exponent (0..2047) converts exactly; subtracting 1023 is exact.
        var exponent = Vector512.ConvertToDouble((bits >>> 52) & Vector512.Create(0x7FFUL)) - Vector512.Create(1023.0);
        var fraction = ((bits & Vector512.Create(MantissaMask)) | Vector512.Create(OneBits)).AsDouble();
        var large = Vector512.GreaterThan(fraction, Vector512.Create(Sqrt2));
        fraction = Vector512.ConditionalSelect(large, fraction * Vector512.Create(0.5), fraction);
        exponent = Vector512.ConditionalSelect(large, exponent + Vector512<double>.One, exponent);
        var one = Vector512<double>.One;
        var s = (fraction - one) / (fraction + one);
        var s2 = s * s;
        var series = Vector512.Create(1.0 / 23);
        series = series * s2 + Vector512.Create(1.0 / 21);
        series = series * s2 + Vector512.Create(1.0 / 19);
        series = series * s2 + Vector512.Create(1.0 / 17);
        series = series * s2 + Vector512.Create(1.0 / 15);
        series = series * s2 + Vector512.Create(1.0 / 13);
        series = series * s2 + Vector512.Create(1.0 / 11);
        series = series * s2 + Vector512.Create(1.0 / 9);
        series = series * s2 + Vector512.Create(1.0 / 7);
        series = series * s2 + Vector512.Create(1.0 / 5);
        series = series * s2 + Vector512.Create(1.0 / 3);
        var twoS = Vector512.Create(2.0) * s;
        var logFraction = twoS + twoS * s2 * series;
        return exponent * Vector512.Create(Ln2High) + (exponent * Vector512.Create(Ln2Low) + logFraction);
    }

    /// <summary>Lane-wise <see cref="PortableMath.Log"/> (positive normal lanes only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Log(Vector256<double> x)
    {
        var bits = x.AsUInt64();
        var exponent = Vector256.ConvertToDouble((bits >>> 52) & Vector256.Create(0x7FFUL)) - Vector256.Create(1023.0);
        var fraction = ((bits & Vector256.Create(MantissaMask)) | Vector256.Create(OneBits)).AsDouble();
        var large = Vector256.GreaterThan(fraction, Vector256.Create(Sqrt2));
        fraction = Vector256.ConditionalSelect(large, fraction * Vector256.Create(0.5), fraction);
        exponent = Vector256.ConditionalSelect(large, exponent + Vector256<double>.One, exponent);
        var one = Vector256<double>.One;
        var s = (fraction - one) / (fraction + one);
        var s2 = s * s;
        var series = Vector256.Create(1.0 / 23);
        series = series * s2 + Vector256.Create(1.0 / 21);
        series = series * s2 + Vector256.Create(1.0 / 19);
        series = series * s2 + Vector256.Create(1.0 / 17);
        series = series * s2 + Vector256.Create(1.0 / 15);
        series = series * s2 + Vector256.Create(1.0 / 13);
        series = series * s2 + Vector256.Create(1.0 / 11);
        series = series * s2 + Vector256.Create(1.0 / 9);
        series = series * s2 + Vector256.Create(1.0 / 7);
        series = series * s2 + Vector256.Create(1.0 / 5);
        series = series * s2 + Vector256.Create(1.0 / 3);
        var twoS = Vector256.Create(2.0) * s;
        var logFraction = twoS + twoS * s2 * series;
        return exponent * Vector256.Create(Ln2High) + (exponent * Vector256.Create(Ln2Low) + logFraction);
    }

    /// <summary>Lane-wise <see cref="PortableMath.SinCosTwoPi"/> for t ∈ [0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCosTwoPi(Vector512<double> t, out Vector512<double> sine, out Vector512<double> cosine)
    {
        // Math.Round rounds half to even, as vroundpd's nearest mode does.
        var quadrant = Vector512.Round(t * Vector512.Create(4.0));
        var r = (t - Vector512.Create(0.25) * quadrant) * Vector512.Create(TwoPi);
        var r2 = r * r;
        var sinSeries = Vector512.Create(-1.0 / 355687428096000);
        sinSeries = sinSeries * r2 + Vector512.Create(1.0 / 1307674368000);
        sinSeries = sinSeries * r2 - Vector512.Create(1.0 / 6227020800);
        sinSeries = sinSeries * r2 + Vector512.Create(1.0 / 39916800);
        sinSeries = sinSeries * r2 - Vector512.Create(1.0 / 362880);
        sinSeries = sinSeries * r2 + Vector512.Create(1.0 / 5040);
        sinSeries = sinSeries * r2 - Vector512.Create(1.0 / 120);
        sinSeries = sinSeries * r2 + Vector512.Create(1.0 / 6);
        var sinR = r - r * r2 * sinSeries;
        var cosSeries = Vector512.Create(1.0 / 6402373705728000);
        cosSeries = cosSeries * r2 - Vector512.Create(1.0 / 20922789888000);
        cosSeries = cosSeries * r2 + Vector512.Create(1.0 / 87178291200);
        cosSeries = cosSeries * r2 - Vector512.Create(1.0 / 479001600);
        cosSeries = cosSeries * r2 + Vector512.Create(1.0 / 3628800);
        cosSeries = cosSeries * r2 - Vector512.Create(1.0 / 40320);
        cosSeries = cosSeries * r2 + Vector512.Create(1.0 / 720);
        cosSeries = cosSeries * r2 - Vector512.Create(1.0 / 24);
        cosSeries = cosSeries * r2 + Vector512.Create(0.5);
        var cosR = Vector512<double>.One - r2 * cosSeries;
        // quadrant is an integer in 0..4, so 2^52 + quadrant holds it in the low mantissa bits.
        var q = (quadrant + Vector512.Create(TwoTo52)).AsUInt64();
        var swap = Vector512.Equals(q & Vector512<ulong>.One, Vector512<ulong>.One).AsDouble();
        var sineSign = ((q & Vector512.Create(2UL)) << 62).AsDouble();                          // q = 2, 3
        var cosineSign = (((q + Vector512<ulong>.One) & Vector512.Create(2UL)) << 62).AsDouble(); // q = 1, 2
        sine = Vector512.ConditionalSelect(swap, cosR, sinR) ^ sineSign;
        cosine = Vector512.ConditionalSelect(swap, sinR, cosR) ^ cosineSign;
    }

    /// <summary>Lane-wise <see cref="PortableMath.SinCosTwoPi"/> for t ∈ [0, 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SinCosTwoPi(Vector256<double> t, out Vector256<double> sine, out Vector256<double> cosine)
    {
        var quadrant = Vector256.Round(t * Vector256.Create(4.0));
        var r = (t - Vector256.Create(0.25) * quadrant) * Vector256.Create(TwoPi);
        var r2 = r * r;
        var sinSeries = Vector256.Create(-1.0 / 355687428096000);
        sinSeries = sinSeries * r2 + Vector256.Create(1.0 / 1307674368000);
        sinSeries = sinSeries * r2 - Vector256.Create(1.0 / 6227020800);
        sinSeries = sinSeries * r2 + Vector256.Create(1.0 / 39916800);
        sinSeries = sinSeries * r2 - Vector256.Create(1.0 / 362880);
        sinSeries = sinSeries * r2 + Vector256.Create(1.0 / 5040);
        sinSeries = sinSeries * r2 - Vector256.Create(1.0 / 120);
        sinSeries = sinSeries * r2 + Vector256.Create(1.0 / 6);
        var sinR = r - r * r2 * sinSeries;
        var cosSeries = Vector256.Create(1.0 / 6402373705728000);
        cosSeries = cosSeries * r2 - Vector256.Create(1.0 / 20922789888000);
        cosSeries = cosSeries * r2 + Vector256.Create(1.0 / 87178291200);
        cosSeries = cosSeries * r2 - Vector256.Create(1.0 / 479001600);
        cosSeries = cosSeries * r2 + Vector256.Create(1.0 / 3628800);
        cosSeries = cosSeries * r2 - Vector256.Create(1.0 / 40320);
        cosSeries = cosSeries * r2 + Vector256.Create(1.0 / 720);
        cosSeries = cosSeries * r2 - Vector256.Create(1.0 / 24);
        cosSeries = cosSeries * r2 + Vector256.Create(0.5);
        var cosR = Vector256<double>.One - r2 * cosSeries;
        var q = (quadrant + Vector256.Create(TwoTo52)).AsUInt64();
        var swap = Vector256.Equals(q & Vector256<ulong>.One, Vector256<ulong>.One).AsDouble();
        var sineSign = ((q & Vector256.Create(2UL)) << 62).AsDouble();
        var cosineSign = (((q + Vector256<ulong>.One) & Vector256.Create(2UL)) << 62).AsDouble();
        sine = Vector256.ConditionalSelect(swap, cosR, sinR) ^ sineSign;
        cosine = Vector256.ConditionalSelect(swap, sinR, cosR) ^ cosineSign;
    }

    /// <summary>Lane-wise <see cref="PortableMath.Acos"/>: both reductions are computed and each lane takes its own.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Acos(Vector256<double> x)
    {
        var magnitude = Vector256.Abs(x);
        var small = Vector256.LessThanOrEqual(magnitude, Vector256.Create(0.5));
        var z = Vector256.ConditionalSelect(small, x * x, (Vector256<double>.One - magnitude) * Vector256.Create(0.5));
        var s = Vector256.ConditionalSelect(small, x, Vector256.Sqrt(z));
        var u = z * z;
        var even = Vector256.Create(PortableMath.Arcsin23);
        even = even * u + Vector256.Create(PortableMath.Arcsin21);
        even = even * u + Vector256.Create(PortableMath.Arcsin19);
        even = even * u + Vector256.Create(PortableMath.Arcsin17);
        even = even * u + Vector256.Create(PortableMath.Arcsin15);
        even = even * u + Vector256.Create(PortableMath.Arcsin13);
        even = even * u + Vector256.Create(PortableMath.Arcsin11);
        even = even * u + Vector256.Create(PortableMath.Arcsin9);
        even = even * u + Vector256.Create(PortableMath.Arcsin7);
        even = even * u + Vector256.Create(PortableMath.Arcsin5);
        even = even * u + Vector256.Create(PortableMath.Arcsin3);
        even = even * u + Vector256.Create(PortableMath.Arcsin1);
        var odd = Vector256.Create(PortableMath.Arcsin24);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin22);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin20);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin18);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin16);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin14);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin12);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin10);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin8);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin6);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin4);
        odd = odd * u + Vector256.Create(PortableMath.Arcsin2);
        var tail = s * (z * (even + z * odd));
        var nearZero = Vector256.Create(PortableMath.PiOver2High) - x + (Vector256.Create(PortableMath.PiOver2Low) - tail);
        var twiceArcsin = Vector256.Create(2.0) * (s + tail);
        var nearOne = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<double>.Zero), twiceArcsin,
            Vector256.Create(PortableMath.PiHigh) - (twiceArcsin - Vector256.Create(PortableMath.PiLow)));
        return Vector256.ConditionalSelect(small, nearZero, nearOne);
    }

    /// <summary>
    /// Lane-wise <see cref="PortableMath.Exp"/>. 2^k is assembled from 2^52 + k + 1023 (exact for these integers), whose
    /// low bits are the biased exponent; lanes beyond ±700 take 2^(k ± 64) and the second factor 2^∓64, as the scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x)
    {
        var k = Vector256.Round(x * Vector256.Create(PortableMath.InverseLn2));
        var r = (x - k * Vector256.Create(PortableMath.Ln2High)) - k * Vector256.Create(PortableMath.Ln2Low);
        var series = Vector256.Create(1.0 / 20922789888000);
        series = series * r + Vector256.Create(1.0 / 1307674368000);
        series = series * r + Vector256.Create(1.0 / 87178291200);
        series = series * r + Vector256.Create(1.0 / 6227020800);
        series = series * r + Vector256.Create(1.0 / 479001600);
        series = series * r + Vector256.Create(1.0 / 39916800);
        series = series * r + Vector256.Create(1.0 / 3628800);
        series = series * r + Vector256.Create(1.0 / 362880);
        series = series * r + Vector256.Create(1.0 / 40320);
        series = series * r + Vector256.Create(1.0 / 5040);
        series = series * r + Vector256.Create(1.0 / 720);
        series = series * r + Vector256.Create(1.0 / 120);
        series = series * r + Vector256.Create(1.0 / 24);
        series = series * r + Vector256.Create(1.0 / 6);
        series = series * r + Vector256.Create(0.5);
        var expR = Vector256<double>.One + (r + r * r * series);
        var low = Vector256.LessThan(x, Vector256.Create(-700.0));
        var high = Vector256.GreaterThan(x, Vector256.Create(700.0));
        var shift = Vector256.ConditionalSelect(low, Vector256.Create(64.0), Vector256.ConditionalSelect(high, Vector256.Create(-64.0), Vector256<double>.Zero));
        var scale = (((k + shift) + Vector256.Create(TwoTo52 + 1023)).AsUInt64() << 52).AsDouble();
        var value = expR * scale;
        value = Vector256.ConditionalSelect(low, value * Vector256.Create(PortableMath.TwoToMinus64),
            Vector256.ConditionalSelect(high, value * Vector256.Create(PortableMath.TwoTo64), value));
        value = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-750.0)), Vector256<double>.Zero, value);
        value = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(710.0)), Vector256.Create(double.PositiveInfinity), value);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), value, x); // NaN stays NaN
    }
}
