namespace Ntk.Numerics.LinearAlgebra;

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
