using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The conditional Gaussian sampler on its own: determinism, exact structural zeros and ties, and the exact
/// finite-width oracles of docs/science.md §5 (E[K_aa], c_1, and E[K_ab] for L = 1).
/// </summary>
public sealed class ConditionalSamplerTests
{
    /// <summary>Monte Carlo tolerance: |z| ≤ 5 with z = (measured mean − exact) / standard error (docs/architecture.md §5).</summary>
    private const double MaxAbsZ = 5;

    /// <summary>The layer-1 conditional correlator is (π − θ̂)/(2π) of the inputs' Gram matrix; θ̂ differs from θ only
    /// by the rounding of cos/sin/acos, a few ε.</summary>
    private const double ClosedFormTolerance = 1e-14;

    private const int OracleTrials = 20_000;

    private readonly ITestOutputHelper _output;

    public ConditionalSamplerTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Same_trial_gives_bitwise_identical_measurements()
    {
        const ulong seed = 20241;
        _output.WriteLine($"master seed {seed}");
        var point = Point(seed, inputDim: 5, widths: [7, 3, 9], InputSets.Sphere(5, 3, 77));
        var first = new ConditionalGaussianSampler(point);
        var second = new ConditionalGaussianSampler(point);
        var layoutCount = point.Layout.Count;
        var once = new double[layoutCount];
        var again = new double[layoutCount];
        var other = new double[layoutCount];

        first.Sample(42, once);
        for (var t = 0; t < 5; t++) first.Sample(t, other);
        first.Sample(42, again);
        AssertBitwiseEqual(once, again);
        second.Sample(42, again);
        AssertBitwiseEqual(once, again);

        first.Sample(43, other);
        Assert.NotEqual(once[point.Layout.Ntk(0, 1)], other[point.Layout.Ntk(0, 1)]);
    }

    /// <summary>
    /// SHA-256 of the measurements of fixed trials of five points (pairs at n = 256, a rank drop below m and a one-unit layer, ties with an
    /// opposite and a zero input, m = 1, m = 6), pinned to the values the engine gave before its fast paths (issue 12),
    /// regenerated once for engines conditional/3 (the portable arccos, log and exp of the conditional statistics):
    /// every speed change of the engine must keep these bits. Run with DOTNET_EnableAVX512=0 and
    /// DOTNET_EnableHWIntrinsic=0 too (docs/performance.md §4): every vector path must give them.
    /// </summary>
    [Fact]
    public void Measurements_of_fixed_trials_have_a_pinned_hash_on_every_vector_path()
    {
        var x = new[] { 0.3, -1.1, 0.7, 0.2 };
        PointDefinition[] points =
        [
            Point(11, inputDim: 10, widths: [256, 256, 256], InputSet.Pair(10, Math.PI / 6)),
            Point(12, inputDim: 6, widths: [64, 3, 32, 1], InputSets.Sphere(6, 4, 5)),
            Point(13, inputDim: 4, widths: [16, 2, 16], new InputSet(4, [.. x, .. x, .. x.Select(v => -v), 0.5, 0.5, -0.2, 0.1])),
            Point(14, inputDim: 3, widths: [8], InputSets.Sphere(3, 1, 6)),
            Point(15, inputDim: 10, widths: [40, 40, 40], InputSets.Sphere(10, 6, 9)),
        ];
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var point in points)
        {
            var sampler = new ConditionalGaussianSampler(point);
            var measurement = new double[point.Layout.Count];
            for (var t = 0; t < 40; t++)
            {
                sampler.Sample(t, measurement);
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(measurement.AsSpan()));
            }
        }
        var digest = Convert.ToHexString(hash.GetHashAndReset());
        _output.WriteLine(digest);
        Assert.Equal(PinnedMeasurementHash, digest);
    }

    /// <summary>
    /// For m ≤ 4 a trial draws in one fill sized by the last trial's fills, and leaves that plan where a rank or a path
    /// differs (tiny layers, where units and whole inputs die, and tied inputs make that frequent here): every trial must give the bits of a sampler
    /// that has no plan (a new one per trial), and both cases must have occurred.
    /// </summary>
    [Fact]
    public void Planned_and_separate_fills_give_the_same_bits()
    {
        var x = new[] { 0.3, -1.1, 0.7 };
        PointDefinition[] points =
        [
            Point(21, inputDim: 3, widths: [2, 1, 3], InputSets.Sphere(3, 2, 4)),
            Point(22, inputDim: 3, widths: [3, 2, 2, 4], new InputSet(3, [.. x, .. x, 0.5, 0.5, -0.2, .. x.Select(v => -v)])),
            Point(23, inputDim: 5, widths: [4, 4], InputSets.Sphere(5, 4, 8)),
            Point(24, inputDim: 10, widths: [16, 16], InputSet.Pair(10, Math.PI / 3)),
        ];
        int onPlan = 0, offPlan = 0;
        foreach (var point in points)
        {
            var reused = new ConditionalGaussianSampler(point);
            var planned = new double[point.Layout.Count];
            var separate = new double[point.Layout.Count];
            for (var t = 0; t < 300; t++)
            {
                reused.Sample(t, planned);
                if (reused.FollowedPlan) onPlan++;
                else offPlan++;
                var fresh = new ConditionalGaussianSampler(point);
                fresh.Sample(t, separate);
                Assert.False(fresh.FollowedPlan);
                AssertBitwiseEqual(separate, planned);
            }
        }
        _output.WriteLine($"trials on the plan {onPlan}, off it {offPlan}");
        Assert.True(onPlan > 100, $"only {onPlan} trials followed the plan");
        Assert.True(offPlan > 100, $"only {offPlan} trials left the plan");
    }

    private const string PinnedMeasurementHash = "83A1689BC1596965DDBDC978BBBEBBBF3E22E34D7878A9DAB6DCE2BFF66F082B";

    [Fact]
    public void Sampling_allocates_nothing()
    {
        const ulong seed = 6;
        _output.WriteLine($"master seed {seed}");
        var point = Point(seed, inputDim: 4, widths: [9, 2, 6], InputSets.Sphere(4, 3, 8));
        var sampler = new ConditionalGaussianSampler(point);
        var measurement = new double[point.Layout.Count];
        var windows = AllocationProbe.BytesPerWindow(trial => sampler.Sample(trial, measurement));
        _output.WriteLine("bytes allocated per window: " + string.Join(", ", windows));

        Assert.Equal(0, windows.Min());
    }

    [Fact]
    public void A_dead_input_has_an_exactly_zero_kernel_row_and_no_activity_above_its_dead_layer()
    {
        // Widths 1–2 kill inputs often; without exact zeros a ~1e-17 residue would revive them (docs/science.md §3).
        const ulong seed = 515;
        _output.WriteLine($"master seed {seed}");
        var point = Point(seed, inputDim: 3, widths: [2, 1, 2, 3], InputSets.Sphere(3, 4, 5));
        var layout = point.Layout;
        var sampler = new ConditionalGaussianSampler(point);
        var measurement = new double[layout.Count];
        var deadEvents = 0;
        var aliveEvents = 0;

        for (var t = 0; t < 2000; t++)
        {
            sampler.Sample(t, measurement);
            for (var a = 0; a < layout.InputCount; a++)
            {
                var firstDead = 0;
                for (var l = 1; l <= layout.Depth && firstDead == 0; l++)
                    if (measurement[layout.ActiveFraction(l, a)] == 0) firstDead = l;
                Assert.Equal(firstDead > 0 ? 1.0 : 0.0, measurement[layout.DeadLayer(a)]);
                if (firstDead == 0)
                {
                    aliveEvents++;
                    Assert.True(measurement[layout.Ntk(a, a)] > 0);
                    continue;
                }
                deadEvents++;
                for (var l = firstDead; l <= layout.Depth; l++)
                    Assert.True(measurement[layout.ActiveFraction(l, a)] == 0, $"trial {t}: input {a} active at layer {l}");
                for (var b = 0; b < layout.InputCount; b++)
                    Assert.True(measurement[layout.Ntk(a, b)] == 0, $"trial {t}: K[{a},{b}] = {measurement[layout.Ntk(a, b)]:e3}");
            }
        }
        _output.WriteLine($"dead (trial, input) events: {deadEvents}, alive: {aliveEvents}");
        Assert.True(deadEvents > 100 && aliveEvents > 100);
    }

    [Fact]
    public void Identical_inputs_give_identical_values_and_opposite_inputs_never_share_a_first_layer_unit()
    {
        const ulong seed = 99;
        _output.WriteLine($"master seed {seed}");
        var x = new[] { 0.3, -1.1, 0.7, 0.2 };
        // Inputs: x, x (θ = 0), −x (θ = π).
        var inputs = new InputSet(4, [.. x, .. x, .. x.Select(v => -v)]);
        var point = Point(seed, inputDim: 4, widths: [3, 5, 2, 4], inputs);
        var layout = point.Layout;
        var sampler = new ConditionalGaussianSampler(point);
        var measurement = new double[layout.Count];

        for (var t = 0; t < 500; t++)
        {
            sampler.Sample(t, measurement);
            Assert.Equal(measurement[layout.Ntk(0, 0)], measurement[layout.Ntk(0, 1)]);
            Assert.Equal(measurement[layout.Ntk(0, 0)], measurement[layout.Ntk(1, 1)]);
            Assert.Equal(measurement[layout.Ntk(0, 2)], measurement[layout.Ntk(1, 2)]);
            for (var l = 1; l <= layout.Depth; l++)
            {
                Assert.Equal(measurement[layout.ActiveFraction(l, 0)], measurement[layout.Correlator(l, 0, 1)]);
                Assert.Equal(measurement[layout.ActiveFraction(l, 0)], measurement[layout.ActiveFraction(l, 1)]);
            }
            Assert.Equal(0.0, measurement[layout.Correlator(1, 0, 2)]);
            // cos θ̂ = −1 up to the rounding of √(G_aa G_bb); acos amplifies an ulp to ~1e-8.
            Assert.Equal(0.0, measurement[layout.CorrelatorCond(1, 0, 2)], 1e-7);
        }
    }

    /// <summary>
    /// Inputs 1e-9 rad apart are not tied bit for bit, so H has a tiny second singular value that the QR keeps; the
    /// sampler never inverts R, so nothing blows up and the kernel is continuous at θ = 0: K_01 = K_00 up to the
    /// O(θ) change of the second input (indicators differ only for |z| ≲ 1e-9, probability ~1e-9 per unit).
    /// </summary>
    [Fact]
    public void Nearly_identical_inputs_give_a_nearly_singular_finite_kernel()
    {
        const ulong seed = 1234;
        _output.WriteLine($"master seed {seed}");
        var point = Point(seed, inputDim: 3, widths: [6, 2, 5], InputSet.Pair(3, 1e-9, 0.2));
        var layout = point.Layout;
        var sampler = new ConditionalGaussianSampler(point);
        var measurement = new double[layout.Count];

        for (var t = 0; t < 300; t++)
        {
            sampler.Sample(t, measurement);
            Assert.All(measurement, v => Assert.True(double.IsFinite(v)));
            var diagonal = measurement[layout.Ntk(0, 0)];
            Assert.True(Math.Abs(measurement[layout.Ntk(0, 1)] - diagonal) <= 1e-6 * diagonal + 1e-300,
                $"trial {t}: K_00 {diagonal:R}, K_01 {measurement[layout.Ntk(0, 1)]:R}");
        }
    }

    /// <summary>
    /// The Gram path (docs/numerics.md §13) is taken where h^{l−1}'s columns are well separated (every pivoted
    /// Cholesky pivot of their Gram matrix above 1e-6 of the largest) and m ≤ 4; exactly dependent, nearly parallel
    /// (angle ~1e-4), opposite (θ = π: rank 1 at layer 1) and m &gt; 4 inputs take the Householder QR.
    /// </summary>
    [Theory]
    [InlineData(30.0, 2, new[] { true, true, true })]
    [InlineData(90.0, 4, new[] { true, true, true })]
    [InlineData(0.3, 2, new[] { true, true, true })]      // sin²θ ≈ 2.7e-5: still the Gram path
    [InlineData(0.005, 2, new[] { false, false, false })] // sin²θ ≈ 7.6e-9: ReLU keeps the columns nearly parallel
    [InlineData(180.0, 2, new[] { false, true, true })]   // x_b = −x_a; after the first ReLU disjoint supports
    [InlineData(60.0, 5, new[] { false, false, false })]
    public void The_Gram_path_is_taken_exactly_where_the_inputs_are_well_separated(double thetaDegrees, int m, bool[] expected)
    {
        const ulong seed = 77;
        var inputs = m == 2 ? InputSet.Pair(6, thetaDegrees * Math.PI / 180) : InputSets.Sphere(6, m, 12);
        var sampler = new ConditionalGaussianSampler(Point(seed, inputDim: 6, widths: [64, 64], inputs));
        var measurement = new double[sampler.Layout.Count];
        for (var t = 0; t < 20; t++)
        {
            sampler.Sample(t, measurement);
            for (var l = 1; l <= 3; l++)
                Assert.True(expected[l - 1] == sampler.SampledViaGram(l), $"θ = {thetaDegrees}°, m = {m}, trial {t}, layer {l}");
        }
    }

    public static IEnumerable<object[]> DiagonalCases() =>
    [
        [4, new[] { 2 }, 60.0, OracleTrials],
        [3, new[] { 5, 5, 5 }, 30.0, OracleTrials],
        [10, new[] { 2, 8, 3, 16 }, 120.0, OracleTrials],
        [2, new[] { 2, 2 }, 180.0, OracleTrials],
        [6, new[] { 64, 64, 64, 64, 64 }, 45.0, 4_000],
    ];

    /// <summary>E[K_aa] = 2(L+1)‖x_a‖²/n0 at every width (docs/science.md §5), for unit inputs.</summary>
    [Theory]
    [MemberData(nameof(DiagonalCases))]
    public void Mean_diagonal_kernel_is_two_L_plus_one_over_n0(int inputDim, int[] widths, double thetaDegrees, int trials)
    {
        const ulong seed = 31337;
        _output.WriteLine($"master seed {seed}, n0 {inputDim}, widths {string.Join("x", widths)}, θ {thetaDegrees}°");
        var point = Point(seed, inputDim, widths, InputSet.Pair(inputDim, thetaDegrees * Math.PI / 180, 0.4));
        var sample = MeasurementSample.Collect(new ConditionalGaussianSampler(point), 0, trials);
        var exact = 2.0 * (widths.Length + 1) / inputDim;

        foreach (var a in new[] { 0, 1 })
        {
            var z = sample.ZAgainst(point.Layout.Ntk(a, a), exact);
            _output.WriteLine($"K[{a},{a}]: mean {sample.Mean(point.Layout.Ntk(a, a)):F5}, exact {exact:F5}, z {z:F2}");
            Assert.True(Math.Abs(z) <= MaxAbsZ, $"K[{a},{a}]: z = {z:F2}");
        }
    }

    /// <summary>A single input in one dimension (m = 1, n0 = 1, a width-1 layer): E[K_00] = 2(L+1)x²/n0.</summary>
    [Fact]
    public void Mean_kernel_of_a_single_scalar_input_is_two_L_plus_one_x_squared()
    {
        const ulong seed = 8080;
        _output.WriteLine($"master seed {seed}");
        const double x = -1.5;
        var point = Point(seed, inputDim: 1, widths: [3, 1, 4], new InputSet(1, [x]));
        var sample = MeasurementSample.Collect(new ConditionalGaussianSampler(point), 0, OracleTrials);
        var exact = 2.0 * 4 * x * x;

        var z = sample.ZAgainst(point.Layout.Ntk(0, 0), exact);
        _output.WriteLine($"K[0,0]: mean {sample.Mean(point.Layout.Ntk(0, 0)):F4}, exact {exact:F4}, z {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"K[0,0]: z = {z:F2}");
    }

    /// <summary>c_1 = (π − θ)/(2π) for Gaussian weights and every n0 ≥ 2 (docs/science.md §5); the conditional correlator of
    /// layer 1 equals it in every trial.</summary>
    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(2, 30.0)]
    [InlineData(5, 90.0)]
    [InlineData(3, 150.0)]
    [InlineData(7, 180.0)]
    public void First_layer_correlator_is_pi_minus_theta_over_two_pi(int inputDim, double thetaDegrees)
    {
        const ulong seed = 4242;
        _output.WriteLine($"master seed {seed}, n0 {inputDim}, θ {thetaDegrees}°");
        var theta = thetaDegrees * Math.PI / 180;
        var point = Point(seed, inputDim, [3, 4], InputSet.Pair(inputDim, theta, 1.1));
        var sample = MeasurementSample.Collect(new ConditionalGaussianSampler(point), 0, OracleTrials);
        var exact = (Math.PI - theta) / (2 * Math.PI);
        var layout = point.Layout;

        var z = sample.ZAgainst(layout.Correlator(1, 0, 1), exact);
        _output.WriteLine($"ĉ_1: mean {sample.Mean(layout.Correlator(1, 0, 1)):F5}, exact {exact:F5}, z {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"ĉ_1: z = {z:F2}");
        for (var t = 0; t < sample.Trials; t++)
            Assert.Equal(exact, sample.Value(t, layout.CorrelatorCond(1, 0, 1)), ClosedFormTolerance);
    }

    /// <summary>For L = 1, E[K_ab] = Θ_ab = (2/n0)[2(π−θ)cos θ + sin θ]/π at every width (docs/science.md §4–5).</summary>
    [Theory]
    [InlineData(3, 2, 45.0)]
    [InlineData(4, 7, 120.0)]
    [InlineData(10, 32, 80.0)]
    [InlineData(2, 1, 10.0)]
    public void One_hidden_layer_mean_off_diagonal_kernel_is_the_arc_cosine_kernel(
        int inputDim, int width, double thetaDegrees)
    {
        const ulong seed = 777;
        _output.WriteLine($"master seed {seed}, n0 {inputDim}, width {width}, θ {thetaDegrees}°");
        var theta = thetaDegrees * Math.PI / 180;
        var point = Point(seed, inputDim, [width], InputSet.Pair(inputDim, theta, 0.3));
        var sample = MeasurementSample.Collect(new ConditionalGaussianSampler(point), 0, OracleTrials);
        var exact = 2.0 / inputDim * (2 * (Math.PI - theta) * Math.Cos(theta) + Math.Sin(theta)) / Math.PI;

        var z = sample.ZAgainst(point.Layout.Ntk(0, 1), exact);
        _output.WriteLine($"K[0,1]: mean {sample.Mean(point.Layout.Ntk(0, 1)):F5}, exact {exact:F5}, z {z:F2}");
        Assert.True(Math.Abs(z) <= MaxAbsZ, $"K[0,1]: z = {z:F2}");
    }

    [Fact]
    public void Non_gaussian_weights_are_rejected()
    {
        var network = new NetworkSpec(2, [3], WeightLaw.Uniform);
        var point = new PointDefinition(0, network, InputSet.Pair(2, 1.0), EngineKind.Dense, 1);
        Assert.Throws<ArgumentException>(() => new ConditionalGaussianSampler(point));
    }

    internal static PointDefinition Point(ulong seed, int inputDim, int[] widths, InputSet inputs, int pointIndex = 3) =>
        new(pointIndex, new NetworkSpec(inputDim, ImmutableArray.Create(widths), WeightLaw.Gaussian), inputs,
            EngineKind.Conditional, seed);

    private static void AssertBitwiseEqual(double[] expected, double[] actual)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]),
                $"entry {i}: {expected[i]:R} vs {actual[i]:R}");
    }
}

/// <summary>
/// The measurements of consecutive trials of one sampler, kept in memory, with the moments the Monte Carlo tests need:
/// mean and its standard error, sample variance and its standard error sqrt((m4 − m2²)/N) (the asymptotic variance of
/// the sample variance, with central moments m2, m4 estimated from the same sample; two-pass, so no cancellation).
/// </summary>
internal sealed class MeasurementSample
{
    private readonly double[] _values;

    private MeasurementSample(double[] values, int trials, int count)
    {
        _values = values;
        Trials = trials;
        Count = count;
    }

    public int Trials { get; }

    public int Count { get; }

    /// <summary>Samples trials [firstTrial, firstTrial + trials).</summary>
    public static MeasurementSample Collect(ITrialSampler sampler, long firstTrial, int trials)
    {
        var count = sampler.Layout.Count;
        var values = new double[trials * count];
        for (var t = 0; t < trials; t++) sampler.Sample(firstTrial + t, values.AsSpan(t * count, count));
        return new MeasurementSample(values, trials, count);
    }

    public double Value(int trial, int index) => _values[trial * Count + index];

    /// <summary>Mean, summed as offsets from the first value so a constant statistic has exactly that mean (and
    /// variance exactly 0, rather than rounding noise that a z-score would blow up).</summary>
    public double Mean(int index)
    {
        var origin = _values[index];
        var sum = 0.0;
        for (var t = 0; t < Trials; t++) sum += _values[t * Count + index] - origin;
        return origin + sum / Trials;
    }

    /// <summary>Unbiased sample variance.</summary>
    public double Variance(int index) => CentralMoment(index, 2) * Trials / (Trials - 1);

    public double StandardError(int index) => Math.Sqrt(Variance(index) / Trials);

    /// <summary>Standard error of <see cref="Variance"/>: sqrt((m4 − m2²)/N).</summary>
    public double VarianceStandardError(int index)
    {
        var m2 = CentralMoment(index, 2);
        return Math.Sqrt(Math.Max(0, CentralMoment(index, 4) - m2 * m2) / Trials);
    }

    /// <summary>(mean − exact)/standard error; 0 when both the difference and the spread are exactly 0.</summary>
    public double ZAgainst(int index, double exact) => Ratio(Mean(index) - exact, StandardError(index));

    /// <summary>z of the difference of two independent means: (μ1 − μ2)/sqrt(se1² + se2²).</summary>
    public static double MeanZ(MeasurementSample first, MeasurementSample second, int index) =>
        Ratio(first.Mean(index) - second.Mean(index),
            Math.Sqrt(Square(first.StandardError(index)) + Square(second.StandardError(index))), first.Mean(index));

    /// <summary>z of the difference of two independent sample variances, with <see cref="VarianceStandardError"/>.</summary>
    public static double VarianceZ(MeasurementSample first, MeasurementSample second, int index) =>
        Ratio(first.Variance(index) - second.Variance(index),
            Math.Sqrt(Square(first.VarianceStandardError(index)) + Square(second.VarianceStandardError(index))));

    /// <summary>
    /// Two-sample Kolmogorov–Smirnov statistic √(N1 N2/(N1 + N2)) · sup_x |F1(x) − F2(x)| of statistic
    /// <paramref name="index"/>; ties (atoms) are stepped over together, which only makes it smaller.
    /// </summary>
    public static double KolmogorovSmirnov(MeasurementSample first, MeasurementSample second, int index)
    {
        var a = first.Sorted(index);
        var b = second.Sorted(index);
        int i = 0, j = 0;
        var largest = 0.0;
        while (i < a.Length && j < b.Length)
        {
            var x = Math.Min(a[i], b[j]);
            while (i < a.Length && a[i] <= x) i++;
            while (j < b.Length && b[j] <= x) j++;
            largest = Math.Max(largest, Math.Abs((double)i / a.Length - (double)j / b.Length));
        }
        return largest * Math.Sqrt((double)a.Length * b.Length / (a.Length + b.Length));
    }

    private double[] Sorted(int index)
    {
        var values = new double[Trials];
        for (var t = 0; t < Trials; t++) values[t] = _values[t * Count + index];
        Array.Sort(values);
        return values;
    }

    private double CentralMoment(int index, int order)
    {
        var mean = Mean(index);
        var sum = 0.0;
        for (var t = 0; t < Trials; t++)
        {
            var d = _values[t * Count + index] - mean;
            var power = d * d;
            if (order == 4) power *= power;
            sum += power;
        }
        return sum / Trials;
    }

    private static double Square(double x) => x * x;

    /// <summary>
    /// Two engines compute a statistic that does not vary between trials (e.g. the layer-1 conditional correlator, a
    /// function of the inputs only) with different summation orders: equal up to this relative rounding tolerance.
    /// </summary>
    private const double DeterministicTolerance = 1e-12;

    /// <summary>difference/error; with no spread at all (error 0), 0 if the difference is rounding, else ∞.</summary>
    private static double Ratio(double difference, double error, double magnitude = 0) =>
        error == 0
            ? (Math.Abs(difference) <= DeterministicTolerance * Math.Max(1, Math.Abs(magnitude)) ? 0 : double.PositiveInfinity)
            : difference / error;
}
