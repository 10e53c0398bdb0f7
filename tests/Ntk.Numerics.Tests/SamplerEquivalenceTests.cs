using System.Collections.Immutable;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The conditional Gaussian sampler and the dense sampler sample the same law of the whole measurement vector
/// (docs/science.md §3). For each configuration both run with different master seeds (independent samples), and every
/// statistic's mean AND variance must agree: z = (μ1 − μ2)/√(se1² + se2²) for means and
/// z = (v1 − v2)/√(se(v1)² + se(v2)²) for sample variances, with se(v) = √((m4 − m2²)/N) estimated from each sample
/// (asymptotic standard error of the sample variance; see <see cref="MeasurementSample"/>). The kernel entries and
/// eigenvalues, the only statistics the backward pass touches, also pass a two-sample Kolmogorov–Smirnov test.
/// </summary>
/// <remarks>
/// The configurations target the failure modes: narrow layers and a 2-unit bottleneck (where reusing a fresh W in the
/// backward pass shows), depth ≥ 5, m ≥ 4 inputs, identical (θ = 0) and opposite (θ = π) inputs, n0 &lt; m.
/// The condition number is not compared (it is capped at 1e12 whenever K is singular, so its moments are dominated by
/// rare cap events); λ_min is not compared when two inputs are identical (K is then exactly singular and λ_min is
/// rounding noise of order 1e-16 in both engines).
/// </remarks>
public sealed class SamplerEquivalenceTests
{
    /// <summary>|z| ≤ 5 per statistic (docs/architecture.md §5). With ~100 statistics per configuration the chance of a false
    /// alarm under exact equivalence is ~1e-4 per configuration for Gaussian z.</summary>
    private const double MaxAbsZ = 5;

    /// <summary>
    /// Two-sample Kolmogorov–Smirnov bound on √(N/2)·sup|F1 − F2| for the kernel entries and eigenvalues: under equal
    /// laws P(&gt; 2.5) ≈ 2e^{−2·2.5²} = 7.5e-6 per statistic (Kolmogorov's limit law; conservative with atoms, e.g.
    /// K = 0 for dead inputs). Only these statistics depend on the backward pass; K's heavy tails at narrow widths make
    /// its variance z weak, while the KS distance sees the change of shape a mis-conditioned backward pass causes.
    /// </summary>
    private const double MaxKolmogorov = 2.5;

    private const ulong DenseSeed = 1_000_003;
    private const ulong ConditionalSeed = 2_000_029;

    private readonly ITestOutputHelper _output;

    public SamplerEquivalenceTests(ITestOutputHelper output) => _output = output;

    public static IEnumerable<object[]> Configurations() =>
    [
        ["bottleneck 8-2-8, m = 4", 3, new[] { 8, 2, 8 }, Sphere(3, 4, 101), 60_000],
        ["widths 2-4-2, m = 2 (backward-conditioning power)", 3, new[] { 2, 4, 2 }, InputSet.Pair(3, 1.0), 150_000],
        ["depth 5 width 4, x, x, −x, rotated x (n0 = 2 < m)", 2, new[] { 4, 4, 4, 4, 4 }, TiedInputs(), 25_000],
        ["depth 6, widths 6-3-7-2-5-4, m = 5", 5, new[] { 6, 3, 7, 2, 5, 4 }, Sphere(5, 5, 202), 20_000],
        ["widths 2-3, θ = π", 4, new[] { 2, 3 }, InputSet.Pair(4, Math.PI, 0.5), 40_000],
        ["widths 16-8-12, m = 4", 10, new[] { 16, 8, 12 }, Sphere(10, 4, 303), 15_000],
        ["depth 5 width 2, m = 3", 3, new[] { 2, 2, 2, 2, 2 }, Sphere(3, 3, 404), 40_000],
        // The Gram path near its cut (κ(h)² ~ 1e5 at layer 1) and the QR path just past it.
        ["widths 24-24-24, θ = 0.3° (Gram path, ill-conditioned)", 5, new[] { 24, 24, 24 }, InputSet.Pair(5, 0.3 * Math.PI / 180), 30_000],
        ["widths 24-24, θ = 0.005° (QR path)", 5, new[] { 24, 24 }, InputSet.Pair(5, 0.005 * Math.PI / 180), 30_000],
    ];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Conditional_and_dense_samplers_agree_in_mean_and_variance_of_every_statistic(
        string name, int inputDim, int[] widths, InputSet inputs, int trials)
    {
        _output.WriteLine($"{name}: dense seed {DenseSeed}, conditional seed {ConditionalSeed}, {trials} trials each");
        var network = new NetworkSpec(inputDim, ImmutableArray.Create(widths), WeightLaw.Gaussian);
        var densePoint = new PointDefinition(7, network, inputs, EngineKind.Dense, DenseSeed);
        var conditionalPoint = new PointDefinition(7, network, inputs, EngineKind.Conditional, ConditionalSeed);
        var dense = MeasurementSample.Collect(new DenseSampler(densePoint), 0, trials);
        var conditional = MeasurementSample.Collect(new ConditionalGaussianSampler(conditionalPoint), 0, trials);

        var layout = conditionalPoint.Layout;
        var tied = HasTiedInputs(inputs);
        var worst = 0.0;
        var worstKolmogorov = 0.0;
        var failures = new List<string>();
        for (var i = 0; i < layout.Count; i++)
        {
            var key = layout.Keys[i];
            if (key.Kind == StatisticKind.Condition) continue;
            if (key.Kind == StatisticKind.LambdaMin && tied) continue;
            var meanZ = MeasurementSample.MeanZ(conditional, dense, i);
            var varianceZ = MeasurementSample.VarianceZ(conditional, dense, i);
            worst = Math.Max(worst, Math.Max(Math.Abs(meanZ), Math.Abs(varianceZ)));
            var line = $"{Label(key),-28} mean {conditional.Mean(i),11:G5} vs {dense.Mean(i),11:G5} (z {meanZ,6:F2})  " +
                       $"var {conditional.Variance(i),11:G5} vs {dense.Variance(i),11:G5} (z {varianceZ,6:F2})";
            _output.WriteLine(line);
            if (!(Math.Abs(meanZ) <= MaxAbsZ) || !(Math.Abs(varianceZ) <= MaxAbsZ)) failures.Add(line);
            if (key.Kind is StatisticKind.Ntk or StatisticKind.LambdaMax or StatisticKind.LambdaMin)
            {
                var kolmogorov = MeasurementSample.KolmogorovSmirnov(conditional, dense, i);
                worstKolmogorov = Math.Max(worstKolmogorov, kolmogorov);
                var ksLine = $"{Label(key),-28} Kolmogorov–Smirnov √(N/2)·D = {kolmogorov:F2}";
                _output.WriteLine(ksLine);
                if (!(kolmogorov <= MaxKolmogorov)) failures.Add(ksLine);
            }
        }
        _output.WriteLine($"largest Kolmogorov–Smirnov statistic: {worstKolmogorov:F2}");
        _output.WriteLine($"largest |z|: {worst:F2}");
        Assert.True(failures.Count == 0, "conditional and dense disagree:\n" + string.Join("\n", failures));
    }

    private static string Label(StatisticKey key) =>
        $"{StatisticNames.Of(key.Kind)}[l={key.Layer},{key.A},{key.B}]";

    private static InputSet Sphere(int inputDim, int count, ulong seed) => InputSets.Sphere(inputDim, count, seed);

    /// <summary>x, x (θ = 0), −x (θ = π) and x rotated by 60°, in R².</summary>
    private static InputSet TiedInputs()
    {
        var phase = 0.7;
        double[] x = [Math.Cos(phase), Math.Sin(phase)];
        double[] rotated = [Math.Cos(phase + Math.PI / 3), Math.Sin(phase + Math.PI / 3)];
        return new InputSet(2, [.. x, .. x, -x[0], -x[1], .. rotated]);
    }

    private static bool HasTiedInputs(InputSet inputs)
    {
        for (var a = 0; a < inputs.Count; a++)
            for (var b = a + 1; b < inputs.Count; b++)
                if (inputs.Input(a).SequenceEqual(inputs.Input(b))) return true;
        return false;
    }
}
