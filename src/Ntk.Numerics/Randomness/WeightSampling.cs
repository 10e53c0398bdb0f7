using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// Maps uniformly random 64-bit words to variates of the weight laws (docs/science.md §1). Every transform uses only
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
    /// Box–Muller (Box &amp; Muller 1958), the previous generator's Gaussian transform (kept for
    /// <see cref="BoxMullerGenerator"/>, which <c>ntk bench</c> times; streams draw Gaussians by
    /// <see cref="ZigguratGaussian"/>): two independent N(0, 1) variates from two words,
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
    /// bitwise the values of <see cref="GaussianPair"/> (see <see cref="PortableVectorMath"/>).
    /// </summary>
    public static void GaussianPairs(ReadOnlySpan<ulong> words, Span<double> destination)
    {
        var count = words.Length & ~1;
        if (destination.Length < count)
            throw new ArgumentException("destination: needs one value per word", nameof(destination));
        var done = 0;
        ref var wordStart = ref MemoryMarshal.GetReference(words);
        ref var destinationStart = ref MemoryMarshal.GetReference(destination);
        if (PortableVectorMath.Is512Supported)
            done = PortableVectorMath.GaussianPairs512(ref wordStart, ref destinationStart, count);
        else if (PortableVectorMath.Is256Supported)
            done = PortableVectorMath.GaussianPairs256(ref wordStart, ref destinationStart, count);
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
