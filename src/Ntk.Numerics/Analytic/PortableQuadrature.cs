using Ntk.Numerics.LinearAlgebra;

namespace Ntk.Numerics.Analytic;

/// <summary>
/// What Theorem 2.1's hypercap integral needs, from IEEE operations and <see cref="PortableMath"/> only, so that its
/// predictions are the same bits on every system (docs/numerics.md §14): the double-exponential (tanh-sinh) rule, the
/// regularized incomplete beta function for a half-integer or integer parameter against ½, and the sphere-area ratio
/// A_{n−1}/A_n.
/// </summary>
internal static class PortableQuadrature
{
    private const double HalfPi = Math.PI / 2;

    /// <summary>
    /// ∫_a^b f by the tanh-sinh rule (Takahasi &amp; Mori 1974): x = c + h·tanh(π/2·sinh t), dx/dt = h·(π/2)·cosh t /
    /// cosh²(π/2·sinh t), the trapezoidal rule in t on [−3.2, 3.2] (beyond it the weights fall below 1e−15 of the
    /// middle one's, super-exponentially, and the integrands here are bounded), with steps 1, ½, ¼, … until two successive sums differ by at most <paramref name="tolerance"/>
    /// (from step ⅛ on; at most step 2^−10). Nodes are placed by their distance from the nearer end, 2h/(e^{2|s|} + 1),
    /// s = π/2·sinh t, so the ones that crowd an end keep their full precision; an algebraic singularity at an end is
    /// absorbed by the rule.
    /// </summary>
    public static double TanhSinh(Func<double, double> f, double a, double b, double tolerance)
    {
        const double Reach = 3.2;
        const int MaxLevel = 10;
        var half = (b - a) / 2;
        var sum = Node(0); // t = 0: weight π/2, the middle
        for (var k = 1; k <= (int)Reach; k++) sum += Node(k) + Node(-k);
        var estimate = half * sum; // step 1
        var step = 1.0;
        for (var level = 1; level <= MaxLevel; level++)
        {
            step /= 2;
            // The new nodes of this level: odd multiples of the step.
            var added = 0.0;
            for (var t = step; t <= Reach; t += 2 * step) added += Node(t) + Node(-t);
            sum += added;
            var next = half * sum * step;
            var change = Math.Abs(next - estimate);
            estimate = next;
            if (level >= 3 && change <= tolerance) break;
        }
        return estimate;

        // f at the node of t times its weight dx/dt / h (without the step).
        double Node(double t)
        {
            var et = PortableMath.Exp(t);
            var inverse = 1 / et;
            var s = HalfPi * ((et - inverse) / 2);      // π/2 · sinh t
            var e2s = PortableMath.Exp(2 * Math.Abs(s)); // e^{2|s|}
            var fromEnd = 2 * half / (e2s + 1);          // distance of the node from the nearer end
            var x = t >= 0 ? b - fromEnd : a + fromEnd;
            var weight = HalfPi * ((et + inverse) / 2) * (4 * e2s / ((e2s + 1) * (e2s + 1))); // (π/2) cosh t · sech² s
            return weight == 0 ? 0 : f(x) * weight;
        }
    }

    /// <summary>
    /// I_x(a, b), the regularized incomplete beta function, for b = ½ and a = k/2 ≥ ½ or the reverse (the two forms of
    /// Theorem 2.1's cap), by its continued fraction (modified Lentz) on whichever of I_x(a, b) = 1 − I_{1−x}(b, a) converges
    /// fast (x &lt; (a + 1)/(a + b + 2)), with the prefactor x^a (1 − x)^b / (a B(a, b)) from the portable log and exp
    /// and B(a, ½) by its recurrence (<see cref="BetaHalf"/>).
    /// </summary>
    /// <param name="logBeta">ln B(a, b) = ln B(b, a), from <see cref="BetaHalf"/> (once per integral, not per node).</param>
    public static double RegularizedBeta(double a, double b, double x, double logBeta)
    {
        if (!(x > 0)) return 0;
        if (!(x < 1)) return 1;
        return x < (a + 1) / (a + b + 2) ? Direct(a, b, x, logBeta) : 1 - Direct(b, a, 1 - x, logBeta);

        static double Direct(double a, double b, double x, double logBeta)
        {
            // x^a is below 1e−154 for x under the smallest normal: I_x is 0 at the precision of 1 − I.
            if (x < 2.2250738585072014E-308) return 0;
            var logFront = a * PortableMath.Log(x) + b * PortableMath.Log(1 - x) - logBeta;
            return PortableMath.Exp(logFront) / a * ContinuedFraction(a, b, x);
        }
    }

    /// <summary>The continued fraction of I_x(a, b) (Numerical Recipes §6.4), to 1e−16 relative.</summary>
    private static double ContinuedFraction(double a, double b, double x)
    {
        const double Tiny = 1e-300;
        var qab = a + b;
        var qap = a + 1;
        var qam = a - 1;
        var c = 1.0;
        var d = 1 - qab * x / qap;
        if (Math.Abs(d) < Tiny) d = Tiny;
        d = 1 / d;
        var h = d;
        for (var m = 1; m <= 100_000; m++)
        {
            var m2 = 2 * m;
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < Tiny) d = Tiny;
            c = 1 + aa / c;
            if (Math.Abs(c) < Tiny) c = Tiny;
            d = 1 / d;
            var delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) <= 1e-16) return h;
        }
        throw new InvalidOperationException($"incomplete beta: no convergence for a = {a}, b = {b}, x = {x}");
    }

    /// <summary>
    /// B(a, ½) for a = k/2 ≥ ½: B(½, ½) = π, B(1, ½) = 2 and B(a + 1, ½) = B(a, ½)·a/(a + ½), one rounding per step
    /// (a relative error of about a ulps, far below the quadrature's 1e−12).
    /// </summary>
    public static double BetaHalf(double a)
    {
        var twice = (int)Math.Round(2 * a);
        if (twice < 1 || twice != 2 * a) throw new ArgumentOutOfRangeException(nameof(a), a, "B(a, ½) here needs a = k/2 ≥ ½");
        var value = twice % 2 == 1 ? Math.PI : 2.0;
        for (var current = twice % 2 == 1 ? 0.5 : 1.0; current < a; current += 1) value = value * current / (current + 0.5);
        return value;
    }

    /// <summary>
    /// A_{n−1}/A_n = Γ(n/2)/(√π Γ((n−1)/2)) for n ≥ 2, the ratio of the areas of the unit spheres S^{n−2} and S^{n−1}:
    /// 1/π at n = 2, ½ at n = 3, and A_{n+1}/A_{n+2} = (A_{n−1}/A_n)·n/(n − 1).
    /// </summary>
    public static double SphereAreaRatio(int n)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "the sphere-area ratio needs n ≥ 2");
        var value = n % 2 == 0 ? 1 / Math.PI : 0.5;
        for (var k = n % 2 == 0 ? 2 : 3; k < n; k += 2) value = value * k / (k - 1);
        return value;
    }

    /// <summary>x^k for an integer k ≥ 0 by binary powering: IEEE products only, in one order.</summary>
    public static double PowInteger(double x, int k)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be non-negative");
        var result = 1.0;
        var power = x;
        while (k > 0)
        {
            if ((k & 1) != 0) result *= power;
            k >>= 1;
            if (k > 0) power *= power;
        }
        return result;
    }

    /// <summary>sin ψ and cos ψ for ψ ∈ [0, 2π] from <see cref="PortableMath.SinCosTwoPi"/> of ψ in turns.</summary>
    public static void SinCos(double psi, out double sine, out double cosine) =>
        PortableMath.SinCosTwoPi(psi / (2 * Math.PI), out sine, out cosine);
}
