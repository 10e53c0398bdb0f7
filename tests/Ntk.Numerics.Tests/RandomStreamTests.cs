using MathNet.Numerics.Distributions;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

public sealed class RandomStreamTests(ITestOutputHelper output)
{
    /// <summary>Monte Carlo tolerance of the project: |z| ≤ 5 (docs/architecture.md §5).</summary>
    private const double MaxAbsZ = 5;

    /// <summary>PortableMath against the C runtime's libm: both are within a few ulp of the truth.</summary>
    private const double ElementaryRelativeTolerance = 1e-15;

    private static readonly string[] LawNames = ["gaussian", "uniform", "laplace", "student-t:10", "student-t:5", "student-t:3", "rademacher"];

    /// <summary>Rounding of 2·Math.PI·u (≤ 4.4e-16) plus Math.PI's own error (≤ 2.5e-16 at 2π), with margin.</summary>
    private const double SinCosAbsoluteTolerance = 1.5e-15;

    public static TheoryData<string> Laws => new(LawNames);

    [Fact]
    public void The_same_seed_point_and_trial_give_the_same_numbers_for_every_law()
    {
        foreach (var name in LawNames)
        {
            var law = WeightLaw.Parse(name);
            var first = new double[1001];
            var second = new double[1001];
            var a = RandomStream.For(12345, 3, 77);
            var b = RandomStream.For(12345, 3, 77);
            a.Fill(law, first);
            b.Fill(law, second);
            Assert.Equal(first, second);
        }
    }

    [Fact]
    public void Different_trials_points_and_seeds_give_different_streams()
    {
        var reference = Draw(RandomStream.For(1, 0, 0));
        Assert.NotEqual(reference, Draw(RandomStream.For(1, 0, 1)));
        Assert.NotEqual(reference, Draw(RandomStream.For(1, 1, 0)));
        Assert.NotEqual(reference, Draw(RandomStream.For(2, 0, 0)));
        Assert.NotEqual(reference, Draw(RandomStream.For(1UL << 32, 0, 0))); // high key word
        Assert.NotEqual(reference, Draw(RandomStream.For(1, 0, 1L << 32)));  // high trial word
        Assert.NotEqual(Draw(RandomStream.For(1, 0, 1L << 32)), Draw(RandomStream.For(1, 1, 0)));

        static double[] Draw(RandomStream stream)
        {
            var values = new double[8];
            stream.FillGaussian(values);
            return values;
        }
    }

    [Fact]
    public void Stream_words_are_Philox_blocks_of_the_documented_counter()
    {
        const ulong seed = 0x0123456789abcdefUL;
        const int point = 17;
        const long trial = 0x0000000500000009L;
        var stream = RandomStream.For(seed, point, trial);
        for (uint block = 0; block < 5; block++)
        {
            uint x0 = block, x1 = 9, x2 = 5, x3 = point;
            Philox4x32.Encrypt(ref x0, ref x1, ref x2, ref x3, 0x89abcdef, 0x01234567);
            Assert.Equal(x0 | ((ulong)x1 << 32), stream.NextWord());
            Assert.Equal(x2 | ((ulong)x3 << 32), stream.NextWord());
        }
    }

    [Fact]
    public void The_first_Gaussians_of_a_fixed_stream_are_pinned()
    {
        // Regression guard: these values define the sequence of RandomStream.GeneratorVersion; a change here needs a
        // new version string (docs/numerics.md §12).
        var stream = RandomStream.For(42, 3, 7);
        var values = new double[4];
        stream.FillGaussian(values);
        output.WriteLine(string.Join(", ", values.Select(v => BitConverter.DoubleToInt64Bits(v).ToString())));
        Assert.Equal(PinnedGaussians, values.Select(BitConverter.DoubleToInt64Bits).ToArray());
    }

    // Bit patterns of the first four Gaussians of (seed 42, point 3, trial 7) (printed by this test when pinned).
    private static readonly long[] PinnedGaussians =
        [4603225038321448435, 4613120481674572095, -4623331168212156848, 4600300881416851874];

    [Fact]
    public void A_million_Gaussians_of_fixed_streams_have_a_pinned_hash_on_every_vector_path()
    {
        // 2^20 Gaussians from four trials, in fills of varied lengths mixed with single draws and uniforms, so both
        // the fast and the slow path (~4,600 slow words) and every chunk boundary enter the hash. Run with
        // DOTNET_EnableAVX512=0 and DOTNET_EnableHWIntrinsic=0 too (docs/performance.md §4): every path must give it.
        int[] lengths = [1, 7, 512, 513, 3, 4096, 1000, 65_536];
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var total = 0;
        for (var trial = 0; trial < 4; trial++)
        {
            var stream = RandomStream.For(0xC0FFEE, 11, trial);
            for (var piece = 0; total < (trial + 1) << 18; piece++)
            {
                var values = new double[Math.Min(lengths[piece % lengths.Length], ((trial + 1) << 18) - total)];
                stream.FillGaussian(values);
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
                total += values.Length;
                if (piece % 5 == 4) hash.AppendData(BitConverter.GetBytes(stream.NextGaussian() + stream.NextUniform()));
            }
        }
        var hex = Convert.ToHexString(hash.GetHashAndReset());
        output.WriteLine($"{total} Gaussians, SHA-256 {hex}");
        Assert.Equal(PinnedHash, hex);
    }

    // SHA-256 of the little-endian bytes hashed above (printed by the test when pinned).
    private const string PinnedHash = "EABD1980290BA4AD3F8DA42D8292AAA61FA4F286A31AFAB3389E04CCCE5CE8C7";

    [Fact]
    public void FillGaussian_equals_one_NextGaussian_per_element_in_any_split()
    {
        // Odd numbers of uniforms leave half a block buffered; odd fill lengths leave a spare Gaussian.
        int[] pieces = [1, 3, 0, 128, 129, 2, 255, 7, 1, 1000];
        var bulk = RandomStream.For(9, 2, 5);
        var single = RandomStream.For(9, 2, 5);
        for (var p = 0; p < pieces.Length; p++)
        {
            Assert.Equal(single.NextUniform(), bulk.NextUniform());
            var expected = new double[pieces[p]];
            for (var i = 0; i < expected.Length; i++) expected[i] = single.NextGaussian();
            var actual = new double[pieces[p]];
            bulk.FillGaussian(actual);
            Assert.Equal(expected, actual);
            if (p % 3 == 0) Assert.Equal(single.NextUniform(), bulk.NextUniform());
        }
    }

    [Fact]
    public void NextUniform_lies_in_the_open_unit_interval_with_mean_one_half_and_variance_one_twelfth()
    {
        const ulong seed = 314159;
        const int count = 200_000;
        output.WriteLine($"seed {seed}");
        var stream = RandomStream.For(seed, 0, 0);
        var first = new RunningMoments();
        var second = new RunningMoments();
        for (var i = 0; i < count; i++)
        {
            var u = stream.NextUniform();
            Assert.True(u > 0 && u < 1, $"draw {i} = {u} is outside (0, 1)");
            first.Push(u);
            second.Push((u - 0.5) * (u - 0.5));
        }
        AssertZ(first, 0.5, "mean");
        AssertZ(second, 1.0 / 12, "variance");
    }

    [Theory]
    [MemberData(nameof(Laws))]
    public void Fill_draws_have_mean_zero_variance_one_and_the_known_fourth_moment(string lawName)
    {
        const ulong seed = 271828;
        const int count = 400_000;
        var law = WeightLaw.Parse(lawName);
        output.WriteLine($"law {law.Name}, seed {seed}, point 1, trial 2, {count} draws");
        var stream = RandomStream.For(seed, 1, 2);
        var draws = new double[count];
        stream.Fill(law, draws);

        var first = new RunningMoments();
        var second = new RunningMoments();
        var fourth = new RunningMoments();
        foreach (var x in draws)
        {
            first.Push(x);
            second.Push(x * x);
            fourth.Push(x * x * x * x);
        }
        var nu = law.DegreesOfFreedom;
        var isStudent = law.Kind == WeightLawKind.StudentT;
        AssertZ(first, 0, "mean");
        // The z-test of a moment needs the moment of twice its order: E X⁴ for the variance, E X⁸ for E X⁴.
        if (!isStudent || nu > 4) AssertZ(second, 1, "second moment");
        if (!isStudent || nu > 8)
        {
            var exactFourth = law.Kind switch
            {
                WeightLawKind.Gaussian => 3.0,
                WeightLawKind.Uniform => 9.0 / 5,
                WeightLawKind.Laplace => 6.0,
                WeightLawKind.StudentT => 3 * (nu - 2) / (nu - 4),
                WeightLawKind.Rademacher => 1.0,
                _ => throw new InvalidOperationException(),
            };
            AssertZ(fourth, exactFourth, "fourth moment");
        }
    }

    [Fact]
    public void Gaussian_draws_match_the_normal_distribution_function_at_several_points()
    {
        const ulong seed = 161803;
        const int count = 400_000;
        output.WriteLine($"seed {seed}");
        double[] points = [-3, -1.5, -0.5, 0, 0.7, 2, 3.5];
        var stream = RandomStream.For(seed, 0, 0);
        var draws = new double[count];
        stream.FillGaussian(draws);
        foreach (var t in points)
        {
            var below = new RunningMoments();
            foreach (var x in draws) below.Push(x < t ? 1 : 0);
            AssertZ(below, Normal.CDF(0, 1, t), $"P(X < {t})");
        }
    }

    [Fact]
    public void Uniform_and_rademacher_draws_stay_in_their_support()
    {
        var stream = RandomStream.For(5, 5, 5);
        var draws = new double[100_000];
        stream.Fill(WeightLaw.Uniform, draws);
        Assert.All(draws, x => Assert.True(Math.Abs(x) < Math.Sqrt(3)));
        stream.Fill(WeightLaw.Rademacher, draws);
        Assert.All(draws, x => Assert.True(x == 1 || x == -1));
    }

    [Fact]
    public void Portable_elementary_functions_agree_with_the_runtime_ones()
    {
        var stream = RandomStream.For(7, 7, 7);
        for (var i = 0; i < 20_000; i++)
        {
            var u = stream.NextUniform();
            var x = i % 2 == 0 ? u : Math.Pow(2, -1000 * u) * (1 + u); // spread over exponents too
            AssertClose(Math.Log(x), PortableMath.Log(x), $"log {x:R}");
            var y = 1400 * (u - 0.5);
            AssertClose(Math.Exp(y), PortableMath.Exp(y), $"exp {y:R}");
            PortableMath.SinCosTwoPi(u, out var sine, out var cosine);
            // Absolute comparison: the runtime's argument 2·Math.PI·u ≤ 2π carries up to ~7e-16 of rounding itself.
            Assert.True(Math.Abs(Math.Sin(2 * Math.PI * u) - sine) <= SinCosAbsoluteTolerance, $"sin 2π·{u:R}");
            Assert.True(Math.Abs(Math.Cos(2 * Math.PI * u) - cosine) <= SinCosAbsoluteTolerance, $"cos 2π·{u:R}");
        }
        Assert.Equal(0.0, PortableMath.Log(1.0));
        Assert.Equal(1.0, PortableMath.Exp(0.0));

        static void AssertClose(double expected, double actual, string what) =>
            Assert.True(Math.Abs(expected - actual) <= ElementaryRelativeTolerance * Math.Abs(expected),
                $"{what}: runtime {expected:R}, portable {actual:R}");
    }

    [Fact]
    public void For_rejects_negative_point_indices_and_trials()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomStream.For(0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomStream.For(0, 0, -1));
    }

    private void AssertZ(RunningMoments moments, double exact, string what)
    {
        var z = moments.ZScore(exact);
        output.WriteLine($"{what}: measured {moments.Mean:G6} ± {moments.StandardError:G3}, exact {exact:G6}, z = {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"{what}: measured {moments.Mean:R} ± {moments.StandardError:R}, exact {exact:R}, z = {z:F2}");
    }
}
