using System.Runtime.CompilerServices;

namespace Ntk.Numerics.LinearAlgebra;

/// <summary>
/// Elementary functions built from IEEE-754 basic operations only, so their results are identical on every platform
/// (Math.Log/Sin/Cos call the C runtime and may differ in the last bit between systems). Accuracy: a few ulp.
/// </summary>
internal static class PortableMath
{
    // ln 2 split so that k·Ln2High is exact for |k| < 2^11 (fdlibm's e_log.c / e_exp.c constants).
    internal const double Ln2High = 6.93147180369123816490e-01;
    internal const double Ln2Low = 1.90821492927058770002e-10;
    internal const double InverseLn2 = 1.44269504088896338700e+00;
    private const double Sqrt2 = 1.41421356237309504880;
    private const double TwoPi = 6.28318530717958647692;
    internal const double TwoToMinus64 = 1.0 / 18446744073709551616.0;
    internal const double TwoTo64 = 18446744073709551616.0;
    // π and π/2 as the nearest double plus the rest (fdlibm's e_acos.c splits them the same way).
    internal const double PiHigh = 3.14159265358979311600e+00;
    internal const double PiLow = 1.22464679914735317720e-16;
    internal const double PiOver2High = 1.57079632679489655800e+00;
    internal const double PiOver2Low = 6.12323399573676588610e-17;
    // arcsin's Taylor coefficients C(2k, k)/((2k + 1)·4^k), k = 1..24, as reduced ratios of integers below 2^53.
    internal const double Arcsin1 = 1.0 / 6;
    internal const double Arcsin2 = 3.0 / 40;
    internal const double Arcsin3 = 5.0 / 112;
    internal const double Arcsin4 = 35.0 / 1152;
    internal const double Arcsin5 = 63.0 / 2816;
    internal const double Arcsin6 = 231.0 / 13312;
    internal const double Arcsin7 = 143.0 / 10240;
    internal const double Arcsin8 = 6435.0 / 557056;
    internal const double Arcsin9 = 12155.0 / 1245184;
    internal const double Arcsin10 = 46189.0 / 5505024;
    internal const double Arcsin11 = 88179.0 / 12058624;
    internal const double Arcsin12 = 676039.0 / 104857600;
    internal const double Arcsin13 = 1300075.0 / 226492416;
    internal const double Arcsin14 = 5014575.0 / 973078528;
    internal const double Arcsin15 = 9694845.0 / 2080374784;
    internal const double Arcsin16 = 100180065.0 / 23622320128;
    internal const double Arcsin17 = 116680311.0 / 30064771072;
    internal const double Arcsin18 = 2268783825.0 / 635655159808;
    internal const double Arcsin19 = 1472719325.0 / 446676598784;
    internal const double Arcsin20 = 34461632205.0 / 11269994184704;
    internal const double Arcsin21 = 67282234305.0 / 23639499997184;
    internal const double Arcsin22 = 17534158031.0 / 6597069766656;
    internal const double Arcsin23 = 514589420475.0 / 206708186021888;
    internal const double Arcsin24 = 8061900920775.0 / 3448068464705536;

    /// <summary>
    /// Natural logarithm of a positive normal double (not subnormal, not infinite; callers pass values ≥ 2^−1022):
    /// x = 2^e f with f ∈ [√½, √2), ln f = 2 atanh s = 2(s + s³/3 + … + s²³/23), s = (f − 1)/(f + 1), |s| ≤ 0.172,
    /// so the truncated series is below 1e−18 relative.
    /// </summary>
    public static double Log(double x)
    {
        var bits = BitConverter.DoubleToInt64Bits(x);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        var fraction = BitConverter.Int64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L);
        if (fraction > Sqrt2)
        {
            fraction *= 0.5;
            exponent++;
        }
        var s = (fraction - 1) / (fraction + 1);
        var s2 = s * s;
        var series = 1.0 / 23;
        series = series * s2 + 1.0 / 21;
        series = series * s2 + 1.0 / 19;
        series = series * s2 + 1.0 / 17;
        series = series * s2 + 1.0 / 15;
        series = series * s2 + 1.0 / 13;
        series = series * s2 + 1.0 / 11;
        series = series * s2 + 1.0 / 9;
        series = series * s2 + 1.0 / 7;
        series = series * s2 + 1.0 / 5;
        series = series * s2 + 1.0 / 3;
        var logFraction = 2 * s + 2 * s * s2 * series;
        return exponent * Ln2High + (exponent * Ln2Low + logFraction);
    }

    /// <summary>
    /// e^x: x = k ln 2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r^16 (truncation &lt; 1e−19), scaled by 2^k
    /// through the exponent bits. Outside [−700, 700] 2^k may not be a double: the result is scaled by 2^(k∓64) (exact)
    /// and then by 2^±64, which rounds once (to a subnormal, or to +∞ past the largest double); below −750 it is 0
    /// (e^−745.2 is half the smallest subnormal) and above 710 it is +∞. NaN gives NaN.
    /// </summary>
    public static double Exp(double x)
    {
        if (x < -750) return 0;
        if (x > 710) return double.PositiveInfinity;
        var k = Math.Round(x * InverseLn2);
        var r = (x - k * Ln2High) - k * Ln2Low;
        var series = 1.0 / 20922789888000; // 1/16!
        series = series * r + 1.0 / 1307674368000;
        series = series * r + 1.0 / 87178291200;
        series = series * r + 1.0 / 6227020800;
        series = series * r + 1.0 / 479001600;
        series = series * r + 1.0 / 39916800;
        series = series * r + 1.0 / 3628800;
        series = series * r + 1.0 / 362880;
        series = series * r + 1.0 / 40320;
        series = series * r + 1.0 / 5040;
        series = series * r + 1.0 / 720;
        series = series * r + 1.0 / 120;
        series = series * r + 1.0 / 24;
        series = series * r + 1.0 / 6;
        series = series * r + 0.5;
        var expR = 1 + (r + r * r * series);
        if (Math.Abs(x) <= 700) return expR * BitConverter.Int64BitsToDouble((long)(k + 1023) << 52);
        if (double.IsNaN(x)) return x;
        return x < 0
            ? expR * BitConverter.Int64BitsToDouble((long)(k + 64 + 1023) << 52) * TwoToMinus64
            : expR * BitConverter.Int64BitsToDouble((long)(k - 64 + 1023) << 52) * TwoTo64;
    }

    /// <summary>
    /// arccos x for x ∈ [−1, 1] (NaN outside): with z = x² and s = x for |x| ≤ ½, or z = (1 ∓ x)/2 (exact) and s = √z
    /// for x ≷ ±½, so that z ≤ ¼ always, arcsin s = s + s·z·P(z) where P(z) = Σ_{k=1..24} C(2k, k)/((2k + 1)·4^k)·z^(k−1)
    /// is arcsin's Taylor series (each coefficient an exact ratio of integers below 2^53, so one correctly rounded
    /// division); the first term left out is below 2·10^−18 relative at z = ¼. Then arccos x = π/2 − arcsin x,
    /// 2 arcsin s, or π − 2 arcsin s, with π and π/2 in two parts. P is evaluated as E(z²) + z·O(z²), two Horner chains
    /// of 12 terms each, to halve the latency. Accuracy: a few ulp (PortableMathTests against the C runtime).
    /// </summary>
    public static double Acos(double x)
    {
        var magnitude = Math.Abs(x);
        var z = magnitude <= 0.5 ? x * x : (1 - magnitude) * 0.5;
        var s = magnitude <= 0.5 ? x : Math.Sqrt(z);
        var tail = s * (z * ArcsinSeries(z)); // arcsin s − s
        if (magnitude <= 0.5) return PiOver2High - x + (PiOver2Low - tail);
        var twiceArcsin = 2 * (s + tail);
        return x > 0 ? twiceArcsin : PiHigh - (twiceArcsin - PiLow);
    }

    /// <summary>P(z) of <see cref="Acos"/>, for 0 ≤ z ≤ ¼.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ArcsinSeries(double z)
    {
        var u = z * z;
        var even = Arcsin23;
        even = even * u + Arcsin21;
        even = even * u + Arcsin19;
        even = even * u + Arcsin17;
        even = even * u + Arcsin15;
        even = even * u + Arcsin13;
        even = even * u + Arcsin11;
        even = even * u + Arcsin9;
        even = even * u + Arcsin7;
        even = even * u + Arcsin5;
        even = even * u + Arcsin3;
        even = even * u + Arcsin1;
        var odd = Arcsin24;
        odd = odd * u + Arcsin22;
        odd = odd * u + Arcsin20;
        odd = odd * u + Arcsin18;
        odd = odd * u + Arcsin16;
        odd = odd * u + Arcsin14;
        odd = odd * u + Arcsin12;
        odd = odd * u + Arcsin10;
        odd = odd * u + Arcsin8;
        odd = odd * u + Arcsin6;
        odd = odd * u + Arcsin4;
        odd = odd * u + Arcsin2;
        return even + z * odd;
    }

    /// <summary>
    /// sin(2πt) and cos(2πt) for t ∈ [0, 1]: q = round(4t) picks the quadrant, d = t − q/4 ∈ [−1/8, 1/8] is exact,
    /// r = 2πd ∈ [−π/4, π/4], and sin r, cos r come from their Taylor series to r^17 / r^18 (truncation &lt; 1e−19).
    /// </summary>
    public static void SinCosTwoPi(double t, out double sine, out double cosine)
    {
        var quadrant = Math.Round(4 * t);
        var r = (t - 0.25 * quadrant) * TwoPi;
        var r2 = r * r;
        var sinSeries = -1.0 / 355687428096000; // −1/17!
        sinSeries = sinSeries * r2 + 1.0 / 1307674368000;
        sinSeries = sinSeries * r2 - 1.0 / 6227020800;
        sinSeries = sinSeries * r2 + 1.0 / 39916800;
        sinSeries = sinSeries * r2 - 1.0 / 362880;
        sinSeries = sinSeries * r2 + 1.0 / 5040;
        sinSeries = sinSeries * r2 - 1.0 / 120;
        sinSeries = sinSeries * r2 + 1.0 / 6;
        var sinR = r - r * r2 * sinSeries;
        var cosSeries = 1.0 / 6402373705728000; // 1/18!
        cosSeries = cosSeries * r2 - 1.0 / 20922789888000;
        cosSeries = cosSeries * r2 + 1.0 / 87178291200;
        cosSeries = cosSeries * r2 - 1.0 / 479001600;
        cosSeries = cosSeries * r2 + 1.0 / 3628800;
        cosSeries = cosSeries * r2 - 1.0 / 40320;
        cosSeries = cosSeries * r2 + 1.0 / 720;
        cosSeries = cosSeries * r2 - 1.0 / 24;
        cosSeries = cosSeries * r2 + 0.5;
        var cosR = 1 - r2 * cosSeries;
        switch ((int)quadrant & 3)
        {
            case 0: sine = sinR; cosine = cosR; break;
            case 1: sine = cosR; cosine = -sinR; break;
            case 2: sine = -sinR; cosine = -cosR; break;
            default: sine = -cosR; cosine = sinR; break;
        }
    }
}
