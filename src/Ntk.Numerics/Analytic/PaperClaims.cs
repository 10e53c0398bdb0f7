using MathNet.Numerics;
using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Analytic;

/// <summary>
/// The paper's statements as pure functions of the inputs and the depth (docs/science.md §6), computed exactly as the paper
/// writes them, so that the engine can put each next to its measurement. Several are known to be wrong (docs/science.md
/// §6, docs/numerics.md §6); they are implemented literally, not corrected.
/// </summary>
public static class PaperClaims
{
    /// <summary>
    /// The paper whose claims are scored, cited wherever its claims are (claims.md, report.md, README). The copy this
    /// project works from carries no arXiv identifier, so none is given.
    /// </summary>
    public const string Citation =
        "D. Shustin and E. Dogariu (Princeton University), \"The Distribution of Elements of the Neural Tangent Kernel " +
        "on Initialization in ReLU Networks\"";

    /// <summary>The Remark of §2.2: the paper's limit of the deep correlators c_l (the truth is 1/2).</summary>
    public const double RemarkDeepCorrelatorLimit = 0.25;

    /// <summary>
    /// Theorem 1.1: E[K_ab] = (x_a·x_b)(L/n0) 2^{L+1} Π_{l=1}^{L} c_l, with the infinite-width correlators c_l of
    /// <see cref="AnalyticNtk"/>. For a = b (c_l = 1/2) it reduces to <see cref="Corollary11"/>.
    /// </summary>
    public static double Theorem11(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, int depth)
    {
        var analytic = AnalyticNtk.Pair(xa, xb, depth);
        return InnerProduct(xa, xb) * depth / xa.Length * Math.ScaleB(1.0, depth + 1) * analytic.PathProduct;
    }

    /// <summary>Corollary 1.1: E[K_aa] = 2L‖x‖²/n0 (the exact value is 2(L+1)‖x‖²/n0).</summary>
    public static double Corollary11(ReadOnlySpan<double> x, int depth)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be at least 1");
        if (x.IsEmpty) throw new ArgumentException("input must have at least one coordinate", nameof(x));
        return 2.0 * depth * AnalyticNtk.Dot(x, x) / x.Length;
    }

    /// <summary>
    /// Theorem 2.1, the hypercap formula for the first-layer correlator of inputs at angle θ in R^{n0}:
    /// c_1 = 1/2 − J_n^{π/2−θ}/A_n for θ ≤ π/2 and c_1 = J_n^{θ−π/2}/A_n for θ &gt; π/2 (n = n0), with
    /// <see cref="HypercapIntegral"/> J_n^φ and <see cref="SphereArea"/> A_n. For Gaussian weights it equals
    /// (π − θ)/(2π) (to ~1e-14); the paper asserts it for every symmetric law, which the measurements refute.
    /// </summary>
    /// <remarks>The ratio J_n/A_n is evaluated in log space (<see cref="HypercapFraction"/>), so any n0 works even where
    /// A_n underflows (n ≳ 800).</remarks>
    public static double Theorem21(int inputDim, double thetaRadians)
    {
        if (inputDim < 1) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "input dimension must be at least 1");
        if (!(thetaRadians >= 0 && thetaRadians <= Math.PI))
            throw new ArgumentOutOfRangeException(nameof(thetaRadians), thetaRadians, "angle must be in [0, π]");
        if (Theorem21Cache.TryGetValue((inputDim, thetaRadians), out var cached)) return cached;
        var value = thetaRadians <= Math.PI / 2
            ? 0.5 - HypercapFraction(inputDim, Math.PI / 2 - thetaRadians)
            : HypercapFraction(inputDim, thetaRadians - Math.PI / 2);
        // Bounded: cleared when full (a sweep of 100,000 angles must not keep them all).
        if (Theorem21Cache.Count >= Theorem21CacheSize) Theorem21Cache.Clear();
        Theorem21Cache[(inputDim, thetaRadians)] = value;
        return value;
    }

    /// <summary>
    /// Theorem 2.1's values by (n0, θ): an adaptive integral per call, asked for by every pair point's predictions and
    /// again by its claims, and by every network of a sweep at the same angle — most of a many-point sweep's claim
    /// CPU (docs/performance.md §7.2). A pure function of its arguments, so a cached value is the same double.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, double), double> Theorem21Cache = new();
    private const int Theorem21CacheSize = 1 << 16;

    /// <summary>
    /// A_n = 2π^{n/2}/Γ(n/2), the area of the unit sphere S^{n−1} ⊂ R^n. Underflows to 0 for n ≳ 800.
    /// </summary>
    public static double SphereArea(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "dimension must be at least 1");
        return Math.Exp(LogSphereArea(n));
    }

    /// <summary>
    /// J_n^φ, the area of the part of the hemisphere {w ∈ S^{n−1} : w·u &gt; 0} that also lies in {w·v &gt; 0}, where
    /// the angle between u and v is π/2 + φ (0 ≤ φ ≤ π/2). Writing w = cos ψ u + sin ψ s with s uniform on the unit
    /// sphere S^{n−2} of u⊥, the condition w·v &gt; 0 cuts a cap of angular radius β(ψ), cos β = tan φ / tan ψ, from
    /// that S^{n−2}, of normalized area ½ I_{sin²β}((n−2)/2, ½); integrating these caps over the hemisphere gives
    /// <code>
    /// J_n^φ = A_{n−1} ∫_φ^{π/2} sin^{n−2}ψ · ½ I_{1 − tan²φ cot²ψ}((n−2)/2, ½) dψ
    /// </code>
    /// (A_{n−1} = area of S^{n−2}; I is the regularized incomplete beta function, with the limit I_x(0, ½) = 1 for
    /// x &gt; 0 at n = 2). J_n^φ = 0 for φ ≥ π/2. Underflows for n ≳ 800, like A_n.
    /// </summary>
    public static double HypercapIntegral(int n, double phi)
    {
        CheckPhi(phi);
        if (phi >= Math.PI / 2) return 0;
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "the hypercap integral needs n ≥ 2 when φ < π/2");
        return Math.Exp(LogSphereArea(n - 1)) / 2.0 * CapIntegral(n, phi);
    }

    /// <summary>
    /// J_n^φ / A_n, computed as (A_{n−1}/(2A_n)) ∫ … with A_{n−1}/A_n = Γ(n/2) / (√π Γ((n−1)/2)) in log space.
    /// Equals 1/4 − φ/(2π) for every n ≥ 2 (the Gaussian value).
    /// </summary>
    public static double HypercapFraction(int n, double phi)
    {
        CheckPhi(phi);
        if (phi >= Math.PI / 2) return 0;
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "the hypercap integral needs n ≥ 2 when φ < π/2");
        return PortableQuadrature.SphereAreaRatio(n) / 2.0 * CapIntegral(n, phi);
    }

    /// <summary>
    /// Theorem 2.2's bound |E K_ab| ≤ |x_a·x_b| (4L/n0) c_1, with c_1 from <see cref="Theorem21"/> (the paper's own c_1).
    /// </summary>
    public static double Theorem22Bound(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb, int depth)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth must be at least 1");
        var c1 = Theorem21(xa.Length, AnalyticNtk.Angle(xa, xb));
        return Math.Abs(InnerProduct(xa, xb)) * 4.0 * depth / xa.Length * c1;
    }

    /// <summary>
    /// x_a·x_b for the claims that scale with it (Theorem 1.1, Theorem 2.2's bound), with the rounding residue of
    /// orthogonal inputs taken as the exact 0 it stands for: sweep pairs at θ = 90° are exactly orthogonal
    /// (<see cref="Networks.InputSet.PairDegrees"/>), but inputs built with the runtime's cos(π/2) = 6.1e-17, or read
    /// from a file, may not be, and a claim of exactly 0 should read 0, not 6e-18. The cut, 8 ulps of ‖x_a‖‖x_b‖ per coordinate, is far below any
    /// angle a sweep can ask for (cos 89.9999° = 1.7e-6).
    /// </summary>
    private static double InnerProduct(ReadOnlySpan<double> xa, ReadOnlySpan<double> xb)
    {
        var dot = AnalyticNtk.Dot(xa, xb);
        var scale = Math.Sqrt(AnalyticNtk.Dot(xa, xa) * AnalyticNtk.Dot(xb, xb));
        return Math.Abs(dot) <= 8 * xa.Length * RoundingUnit * scale ? 0 : dot;
    }

    /// <summary>The unit roundoff of double precision, 2^-52.</summary>
    private const double RoundingUnit = 2.220446049250313e-16;

    /// <summary>
    /// The independence step's right-hand side Π_l E[ξ^l_a ξ^l_b] = Π_l c_l, the product of the per-layer correlators
    /// (the paper asserts that it equals E[Π_l ξ^l_a ξ^l_b]). 1 for an empty list.
    /// </summary>
    public static double IndependenceProduct(ReadOnlySpan<double> correlators)
    {
        var product = 1.0;
        foreach (var c in correlators) product *= c;
        return product;
    }

    /// <summary>ln A_n = ln 2 + (n/2) ln π − ln Γ(n/2).</summary>
    private static double LogSphereArea(int n) =>
        Math.Log(2.0) + n / 2.0 * Math.Log(Math.PI) - SpecialFunctions.GammaLn(n / 2.0);

    /// <summary>
    /// ∫_φ^{π/2} sin^{n−2}ψ · I_{1 − tan²φ cot²ψ}((n−2)/2, ½) dψ by double-exponential quadrature, every step from IEEE
    /// operations and the portable functions (<see cref="PortableQuadrature"/>; docs/numerics.md §14), so that Theorem
    /// 2.1's predictions are the same bits on every system.
    /// </summary>
    private static double CapIntegral(int n, double phi)
    {
        var a = (n - 2) / 2.0;
        PortableQuadrature.SinCos(phi, out var sinPhi, out var cosPhi);
        var tanPhi = sinPhi / cosPhi;
        var logBeta = n > 2 ? PortableMath.Log(PortableQuadrature.BetaHalf(a)) : 0; // ln B(a, ½)
        double Integrand(double psi)
        {
            PortableQuadrature.SinCos(psi, out var sine, out var cosine);
            var ratio = tanPhi * cosine / sine;         // cos β = tan φ cot ψ
            var cosineSquared = ratio * ratio;          // 1 − x, with x = sin²β
            if (!(cosineSquared < 1)) return 0;
            double capFraction;
            if (n == 2) capFraction = 1.0; // the cap of S^0 is one of its two points: I_x(0, ½) = 1 for x > 0 (limit a → 0)
            else if (cosineSquared < 0.5)
                // x = 1 − cos²β rounds to 1 when cos²β < 1e-16 (φ → 0): use I_x(a, ½) = 1 − I_{1−x}(½, a) instead.
                capFraction = 1.0 - PortableQuadrature.RegularizedBeta(0.5, a, cosineSquared, logBeta);
            else capFraction = PortableQuadrature.RegularizedBeta(a, 0.5, 1.0 - cosineSquared, logBeta);
            return PortableQuadrature.PowInteger(sine, n - 2) * capFraction;
        }
        // The integrand is bounded with an algebraic endpoint singularity at ψ = φ (x ~ ψ − φ, I_x ~ x^a), which the
        // tanh-sinh rule absorbs.
        return PortableQuadrature.TanhSinh(Integrand, phi, Math.PI / 2, IntegrationTolerance);
    }

    /// <summary>
    /// Target error of the quadrature (the integral is at most π/2), between two successive halvings of the step; the
    /// result is then within 1e-14 of the exact value for n up to 3072 at every whole degree (PortableQuadratureTests;
    /// 0.05–0.3 ms per angle). A smaller target is below what the rounded integrand supports and only multiplies the
    /// work (the rule then refines to its last level).
    /// </summary>
    private const double IntegrationTolerance = 1e-12;

    private static void CheckPhi(double phi)
    {
        if (!(phi >= 0)) throw new ArgumentOutOfRangeException(nameof(phi), phi, "φ must be in [0, π/2]");
    }
}
