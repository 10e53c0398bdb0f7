using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ntk.Numerics.Networks;

/// <summary>
/// Maps uniformly random 64-bit words to variates of the weight laws (SCIENCE.md §1). Every transform uses only
/// IEEE-754 basic operations (+, −, ×, ÷, √, fused multiply-add) and the polynomial elementary functions of
/// <see cref="PortableMath"/>, never Math.Log/Sin/Cos, so a word sequence gives the same variates bit for bit on every
/// runtime, operating system and (for a later SIMD version) vector width.
/// </summary>
internal static class WeightSampling
{
    private const double TwoToMinus53 = 1.0 / 9007199254740992.0; // 2^-53
    private const double TwoTo53 = 9007199254740992.0;

    /// <summary>Laplace scale b = 1/√2, so the variance 2b² is 1.</summary>
    private const double LaplaceScale = 0.70710678118654752440;

    private const double SqrtThree = 1.7320508075688772935;

    /// <summary>(k + 1)·2^−53 for the top 53 bits k of <paramref name="word"/>: uniform on (0, 1], never 0.</summary>
    public static double UnitOpenZero(ulong word) => ((word >> 11) + 1) * TwoToMinus53;

    /// <summary>k·2^−53 for the top 53 bits k of <paramref name="word"/>: uniform on [0, 1).</summary>
    public static double UnitClosedZero(ulong word) => (word >> 11) * TwoToMinus53;

    /// <summary>(2k + 1 − 2^53)·2^−53 for the top 53 bits k: uniform on (−1, 1), symmetric, never 0 (exact).</summary>
    public static double SymmetricUnit(ulong word) => ((double)(2 * (long)(word >> 11) + 1) - TwoTo53) * TwoToMinus53;

    /// <summary>
    /// Box–Muller (Box &amp; Muller 1958): two independent N(0, 1) variates from two words,
    /// r = √(−2 ln u), u ∈ (0, 1]; (r cos 2πt, r sin 2πt), t ∈ [0, 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void GaussianPair(ulong radiusWord, ulong angleWord, out double first, out double second)
    {
        var radius = Math.Sqrt(-2.0 * PortableMath.Log(UnitOpenZero(radiusWord)));
        PortableMath.SinCosTwoPi(UnitClosedZero(angleWord), out var sine, out var cosine);
        first = radius * cosine;
        second = radius * sine;
    }

    /// <summary>
    /// Gaussian pairs for consecutive word pairs: destination[2p], destination[2p+1] come from words[2p], words[2p+1].
    /// Vectorized with AVX-512 (8 pairs per step) or AVX2 (4 pairs) where present, the rest scalar; every path gives
    /// bitwise the values of <see cref="GaussianPair"/> (see <see cref="Performance.PortableVectorMath"/>).
    /// </summary>
    public static void GaussianPairs(ReadOnlySpan<ulong> words, Span<double> destination)
    {
        var count = words.Length & ~1;
        if (destination.Length < count)
            throw new ArgumentException("destination: needs one value per word", nameof(destination));
        var done = 0;
        ref var wordStart = ref MemoryMarshal.GetReference(words);
        ref var destinationStart = ref MemoryMarshal.GetReference(destination);
        if (Performance.PortableVectorMath.Is512Supported)
            done = Performance.PortableVectorMath.GaussianPairs512(ref wordStart, ref destinationStart, count);
        else if (Performance.PortableVectorMath.Is256Supported)
            done = Performance.PortableVectorMath.GaussianPairs256(ref wordStart, ref destinationStart, count);
        GaussianPairsScalar(words[done..count], destination[done..count]);
    }

    /// <summary>The reference path of <see cref="GaussianPairs"/>: one <see cref="GaussianPair"/> per word pair.</summary>
    internal static void GaussianPairsScalar(ReadOnlySpan<ulong> words, Span<double> destination)
    {
        var count = words.Length & ~1;
        if (destination.Length < count)
            throw new ArgumentException("destination: needs one value per word", nameof(destination));
        destination = destination[..count];
        for (var i = 0; i < destination.Length; i += 2)
        {
            GaussianPair(words[i], words[i + 1], out var first, out var second);
            destination[i] = first;
            destination[i + 1] = second;
        }
    }

    /// <summary>Uniform on (−√3, √3): variance 1, fourth moment 9/5.</summary>
    public static double Uniform(ulong word) => SqrtThree * SymmetricUnit(word);

    /// <summary>
    /// Laplace with b = 1/√2: an Exp(1) magnitude −ln u (u ∈ (0, 1] from the top 53 bits) times b, with the sign taken
    /// from the lowest bit (unused by the magnitude). Variance 2b² = 1, fourth moment 24b⁴ = 6.
    /// </summary>
    public static double Laplace(ulong word)
    {
        var magnitude = -LaplaceScale * PortableMath.Log(UnitOpenZero(word));
        return (word & 1) == 0 ? magnitude : -magnitude;
    }

    /// <summary>±1 from the top bit.</summary>
    public static double Rademacher(ulong word) => (word >> 63) == 0 ? 1.0 : -1.0;

    /// <summary>
    /// One attempt of Bailey's polar method for Student-t (Bailey 1994, Math. Comp. 62, "Polar generation of random
    /// variates with the t-distribution"): U, V uniform on (−1, 1), W = U² + V²; if W ≤ 1,
    /// T = U √(ν (W^(−2/ν) − 1) / W) is t_ν. Returns false (reject, draw two new words) when W &gt; 1
    /// (probability 1 − π/4). The result is scaled by √((ν−2)/ν) to unit variance.
    /// </summary>
    public static bool TryStudentT(ulong firstWord, ulong secondWord, double degreesOfFreedom, out double value)
    {
        var u = SymmetricUnit(firstWord);
        var v = SymmetricUnit(secondWord);
        var w = u * u + v * v; // > 0: SymmetricUnit is never 0
        if (w > 1)
        {
            value = 0;
            return false;
        }
        var power = PortableMath.Exp(-2.0 / degreesOfFreedom * PortableMath.Log(w)); // W^(−2/ν) ≥ 1
        var t = u * Math.Sqrt(degreesOfFreedom * (power - 1) / w);
        value = t * Math.Sqrt((degreesOfFreedom - 2) / degreesOfFreedom);
        return true;
    }
}

/// <summary>
/// Elementary functions built from IEEE-754 basic operations only, so their results are identical on every platform
/// (Math.Log/Sin/Cos call the C runtime and may differ in the last bit between systems). Accuracy: a few ulp.
/// </summary>
internal static class PortableMath
{
    // ln 2 split so that k·Ln2High is exact for |k| < 2^11 (fdlibm's e_log.c / e_exp.c constants).
    private const double Ln2High = 6.93147180369123816490e-01;
    private const double Ln2Low = 1.90821492927058770002e-10;
    private const double InverseLn2 = 1.44269504088896338700e+00;
    private const double Sqrt2 = 1.41421356237309504880;
    private const double TwoPi = 6.28318530717958647692;

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
    /// e^x for |x| ≤ 700: x = k ln 2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r^16 (truncation &lt; 1e−19),
    /// scaled by 2^k through the exponent bits.
    /// </summary>
    public static double Exp(double x)
    {
        if (!(Math.Abs(x) <= 700))
            throw new ArgumentOutOfRangeException(nameof(x), x, "PortableMath.Exp: argument outside [−700, 700]");
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
        return expR * BitConverter.Int64BitsToDouble((long)(k + 1023) << 52);
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
