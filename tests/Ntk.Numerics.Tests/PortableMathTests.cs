using Ntk.Numerics.Analytic;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// <see cref="PortableMath.Acos"/> and <see cref="PortableMath.Exp"/> outside [−700, 700], the parts the measurement writer's
/// conditional statistics use (Log, Exp above −700 and SinCosTwoPi are checked in RandomStreamTests). The C runtime
/// of this machine is the reference: its arccos and exp are within an ulp of exact, so a difference of a few ulp
/// bounds the portable function's error.
/// </summary>
public sealed class PortableMathTests(ITestOutputHelper output)
{
    // Differences in units of the last place of the runtime's result.
    private const double MaxUlps = 4;

    [Fact]
    public void Acos_agrees_with_the_runtime_to_a_few_ulp_over_the_whole_range()
    {
        var stream = RandomStream.For(11, 0, 0);
        var worst = 0.0;
        for (var i = 0; i < 200_000; i++)
        {
            var u = stream.NextUniform();
            // Uniform over [−1, 1], and values crowded towards ±1 and 0 where the reductions change.
            var x = (i % 4) switch
            {
                0 => 2 * u - 1,
                1 => 1 - Math.Pow(2, -52 * u),
                2 => -1 + Math.Pow(2, -52 * u),
                _ => (u - 0.5) * Math.Pow(2, -60 * stream.NextUniform()),
            };
            worst = Math.Max(worst, Ulps(Math.Acos(x), PortableMath.Acos(x), $"acos {x:R}"));
        }
        foreach (var x in new[] { 0.5, -0.5, Math.BitIncrement(0.5), Math.BitDecrement(-0.5), 1e-300, -1e-300, 0.0 })
            worst = Math.Max(worst, Ulps(Math.Acos(x), PortableMath.Acos(x), $"acos {x:R}"));
        output.WriteLine($"worst difference from the runtime's arccos: {worst:F2} ulp");
        Assert.True(worst <= MaxUlps, $"worst {worst} ulp");
    }

    [Fact]
    public void Acos_is_exact_at_the_ends_and_NaN_outside_its_domain()
    {
        Assert.Equal(0.0, PortableMath.Acos(1.0));
        Assert.Equal(Math.PI, PortableMath.Acos(-1.0));
        Assert.Equal(Math.PI / 2, PortableMath.Acos(0.0));
        Assert.True(double.IsNaN(PortableMath.Acos(Math.BitIncrement(1.0))));
        Assert.True(double.IsNaN(PortableMath.Acos(-2.0)));
        Assert.True(double.IsNaN(PortableMath.Acos(double.NaN)));
    }

    [Fact]
    public void Acos_is_monotone_across_the_points_where_its_reduction_changes()
    {
        // 64 ulp either side of ±½, and the 128 doubles next to ±1 inside the domain.
        foreach (var (start, steps) in new[] { (Down(-0.5, 64), 128), (Down(0.5, 64), 128), (-1.0, 128), (Down(1.0, 128), 128) })
        {
            var x = start;
            var previous = PortableMath.Acos(x);
            for (var i = 0; i < steps; i++)
            {
                x = Math.BitIncrement(x);
                var value = PortableMath.Acos(x);
                Assert.True(value <= previous, $"acos not decreasing at {x:R}: {previous:R} then {value:R}");
                previous = value;
            }
        }

        static double Down(double x, int ulps)
        {
            for (var i = 0; i < ulps; i++) x = Math.BitDecrement(x);
            return x;
        }
    }

    [Fact]
    public void Exp_outside_plus_minus_700_reaches_the_subnormals_and_zero_below_and_infinity_above()
    {
        var stream = RandomStream.For(12, 0, 0);
        for (var i = 0; i < 100_000; i++)
        {
            var x = -700 - 50 * stream.NextUniform();
            var expected = Math.Exp(x);
            var actual = PortableMath.Exp(x);
            if (expected >= double.Epsilon * (1L << 52))
                Ulps(expected, actual, $"exp {x:R}"); // normal results
            else // subnormal results carry an absolute rounding of half the smallest subnormal, once
                Assert.True(Math.Abs(expected - actual) <= double.Epsilon, $"exp {x:R}: runtime {expected:R}, portable {actual:R}");
        }
        Assert.Equal(0.0, PortableMath.Exp(-750.5));
        Assert.Equal(0.0, PortableMath.Exp(double.NegativeInfinity));
        Ulps(Math.Exp(-700.0), PortableMath.Exp(-700.0), "exp -700");
        for (var i = 0; i < 10_000; i++)
        {
            var x = 700 + 9.78 * stream.NextUniform(); // up to ln of the largest double, 709.78
            Ulps(Math.Exp(x), PortableMath.Exp(x), $"exp {x:R}");
        }
        Assert.Equal(double.PositiveInfinity, PortableMath.Exp(709.79));
        Assert.Equal(double.PositiveInfinity, PortableMath.Exp(1e6));
        Assert.True(double.IsNaN(PortableMath.Exp(double.NaN)));
    }

    [Fact]
    public void Pair_inputs_are_exact_at_quarter_turns_and_agree_with_the_runtime_elsewhere()
    {
        foreach (var (degrees, cosine, sine) in new[] { (0.0, 1.0, 0.0), (90.0, 0.0, 1.0), (180.0, -1.0, 0.0), (270.0, 0.0, -1.0),
                     (360.0, 1.0, 0.0), (-90.0, 0.0, -1.0), (450.0, 0.0, 1.0) })
        {
            var pair = InputSet.PairDegrees(3, degrees);
            Assert.Equal([1.0, 0.0, 0.0], pair.Input(0).ToArray());
            Assert.Equal(cosine, pair.Input(1)[0]);
            Assert.Equal(sine, pair.Input(1)[1]);
            Assert.Equal(0.0, pair.Input(1)[2]);
        }
        var stream = RandomStream.For(13, 0, 0);
        for (var i = 0; i < 20_000; i++)
        {
            var theta = 720 * stream.NextUniform() - 360;
            var phase = i % 2 == 0 ? 0 : 360 * stream.NextUniform();
            var pair = InputSet.PairDegrees(4, theta, phase);
            var radians = (phase + theta) * Math.PI / 180;
            // Absolute, growing with the angle: both sides round it (degrees / 360 here; degrees · π/180 for the
            // runtime, whose argument carries an ulp of up to 12.6 rad, 1.8e-15).
            var tolerance = 1e-15 * (1 + Math.Abs(radians));
            Assert.True(Math.Abs(pair.Input(1)[0] - Math.Cos(radians)) <= tolerance, $"cos {phase + theta:R}°");
            Assert.True(Math.Abs(pair.Input(1)[1] - Math.Sin(radians)) <= tolerance, $"sin {phase + theta:R}°");
            var norm = AnalyticNtk.Dot(pair.Input(1), pair.Input(1));
            Assert.True(Math.Abs(norm - 1) <= 4e-16, $"|x_b|² = {norm:R} at {phase + theta:R}°");
        }
        // Radians go through turns too: a quarter turn is exact from π/2 as well.
        Assert.Equal(0.0, InputSet.Pair(3, Math.PI / 2).Input(1)[0]);
    }

    private static double Ulps(double expected, double actual, string what)
    {
        var ulps = Math.Abs(expected - actual) / (Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected));
        Assert.True(ulps <= MaxUlps, $"{what}: runtime {expected:R}, portable {actual:R} ({ulps:F1} ulp)");
        return ulps;
    }
}
