using Ntk.Numerics.Claims;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;
using Xunit;
using static Ntk.Numerics.Tests.Support.PairPoints;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The verdicts on real samples (docs/numerics.md §7): honest standard errors of derived quantities, the heavy-tail
/// guard, applicability and degenerate points, and the Remark as a limit.
/// </summary>
public sealed class VerdictTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(10, 2, 128, 70.0, 2000)]
    [InlineData(10, 4, 8, 45.0, 2000)]
    [InlineData(5, 3, 32, 110.0, 2000)]
    public void The_independence_standard_error_agrees_with_the_spread_over_seeds(int inputDim, int depth, int width, double theta, int trials)
    {
        // 32 independent master seeds: the reported SE of (measured − predicted) must match the standard deviation of
        // that difference over the seeds within a factor 1.5 (with 31 degrees of freedom the sample SD is within 1.5×
        // of the truth with probability > 0.999). Before the covariances were used, the reported SE was 6–25× too large.
        const int seeds = 32;
        var differences = new double[seeds];
        var errors = new double[seeds];
        for (var s = 0; s < seeds; s++)
        {
            var point = Point(inputDim, depth, width, theta, 9_000 + (ulong)s);
            var claim = ClaimEvaluator.Evaluate(point, Sample(point, trials)).Single(c => c.ClaimId == ClaimIds.Independence);
            differences[s] = claim.Measured - claim.Predicted;
            errors[s] = claim.StandardError;
        }
        var mean = differences.Average();
        var spread = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (seeds - 1));
        var reported = Math.Sqrt(errors.Average(e => e * e));
        var ratio = reported / spread;
        output.WriteLine($"L = {depth}, n = {width}, θ = {theta}°: mean difference {mean:G3}, spread {spread:G3}, reported SE {reported:G3}, ratio {ratio:F2}");
        Assert.InRange(ratio, 1 / 1.5, 1.5);
    }

    [Theory]
    [InlineData(50_000)]
    [InlineData(200_000)]
    public void Width_4_depth_16_is_unreliable_for_the_mean_of_the_diagonal(int trials)
    {
        var point = Point(10, 16, 4, 45, 20191107);
        var results = ClaimEvaluator.Evaluate(point, Sample(point, trials));
        var diagonal = results.Where(c => c.ClaimId == ClaimIds.Corollary11).ToList();
        Assert.Equal(2, diagonal.Count);
        foreach (var claim in diagonal)
        {
            output.WriteLine($"{claim.Statistic}: {claim.Measured:G4} ± {claim.StandardError:G3}, z = {claim.Z:F1}: {claim.Reason}");
            Assert.Equal(ClaimVerdict.Unreliable, claim.Verdict);
            Assert.Contains("heavy tail", claim.Reason);
        }
        Assert.Equal(ClaimVerdict.Unreliable, results.Single(c => c.ClaimId == ClaimIds.Theorem11).Verdict);
    }

    [Fact]
    public void Width_256_depth_16_fails_Corollary_1_1_at_20000_trials_and_a_light_tailed_control_is_trusted()
    {
        var wide = Point(10, 16, 256, 45, 20191107);
        foreach (var claim in ClaimEvaluator.Evaluate(wide, Sample(wide, 20_000)).Where(c => c.ClaimId == ClaimIds.Corollary11))
        {
            output.WriteLine($"width 256: {claim.Measured:G5} ± {claim.StandardError:G3} vs {claim.Predicted}, z = {claim.Z:F1}");
            Assert.Equal(ClaimVerdict.Fails, claim.Verdict);
        }
        // A shallow narrow network is light-tailed enough: nothing is flagged.
        var shallow = Point(10, 2, 4, 45, 20191107);
        Assert.DoesNotContain(ClaimEvaluator.Evaluate(shallow, Sample(shallow, 20_000)), c => c.Verdict == ClaimVerdict.Unreliable);
    }

    [Fact]
    public void The_analytic_indicator_has_its_closed_form_moments()
    {
        // E[Y] = 1, E[Y²] = 1 + 5/n for Y = (2/n) Σ relu(g)²; n = 1: E[Y⁴] = 16·E[relu(g)⁸] = 16·105/2.
        foreach (var n in new[] { 1, 2, 4, 16, 256 })
            Assert.Equal(1 + 5.0 / n, HeavyTailGuard.LayerFactorMoments(n).Second, 12);
        Assert.Equal(16 * 52.5, HeavyTailGuard.LayerFactorMoments(1).Fourth, 10);
        Assert.Equal(Math.Pow(2.25, 16), HeavyTailGuard.SecondMomentRatio(Enumerable.Repeat(4, 16).ToList()), 6);
        Assert.True(HeavyTailGuard.FourthMomentRatio(Enumerable.Repeat(4, 16).ToList()) > 1e12);
        Assert.True(HeavyTailGuard.FourthMomentRatio(Enumerable.Repeat(256, 16).ToList()) < 4);
    }

    [Fact]
    public void Non_gaussian_laws_make_section_2_not_applicable_and_atoms_make_every_claim_not_applicable()
    {
        var uniform = Point(5, 2, 8, 60, 3, WeightLaw.Uniform);
        var results = ClaimEvaluator.Evaluate(uniform, Sample(uniform, 2_000));
        foreach (var id in new[] { ClaimIds.Theorem21, ClaimIds.Theorem22 })
        {
            var claim = results.Single(c => c.ClaimId == id);
            Assert.Equal(ClaimVerdict.NotApplicable, claim.Verdict);
            Assert.Contains("Gaussian", claim.Reason);
            Assert.False(double.IsNaN(claim.Z));
        }
        Assert.DoesNotContain(results.Where(c => c.ClaimId is not (ClaimIds.Theorem21 or ClaimIds.Theorem22)),
            c => c.Verdict == ClaimVerdict.NotApplicable);

        var rademacher = Point(5, 2, 8, 60, 3, WeightLaw.Rademacher);
        // The checks of the measurement (Jensen, the off-diagonal variance) are not the paper's claims: they apply to every law.
        Assert.All(ClaimEvaluator.Evaluate(rademacher, Sample(rademacher, 2_000))
            .Where(c => c.ClaimId is not (ClaimIds.JensenSpectrum or ClaimIds.OffDiagonalVariance)), c =>
        {
            Assert.Equal(ClaimVerdict.NotApplicable, c.Verdict);
            Assert.Contains("atoms", c.Reason);
        });
    }

    [Fact]
    public void Antipodal_inputs_at_depth_one_are_degenerate_not_evidence()
    {
        // θ = 180°, L = 1: no unit is active for both inputs, so K_01 = 0 and ĉ_1 = 0 in every network, and the
        // paper's formulas are 0 too.
        var point = Point(10, 1, 8, 180, 11);
        var results = ClaimEvaluator.Evaluate(point, Sample(point, 2_000));
        foreach (var id in new[] { ClaimIds.Theorem11, ClaimIds.Theorem21, ClaimIds.Theorem22 })
            Assert.Equal(ClaimVerdict.Degenerate, results.Single(c => c.ClaimId == id).Verdict);
        Assert.All(results.Where(c => c.ClaimId == ClaimIds.Corollary11), c => Assert.Equal(ClaimVerdict.Fails, c.Verdict));

        // Deeper, the layer-1 correlator is still 0 in every network, so the path product and the product of the
        // layer means both vanish identically, although the deeper correlators vary.
        var deep = Point(10, 3, 8, 180, 11);
        var independence = ClaimEvaluator.Evaluate(deep, Sample(deep, 2_000)).Single(c => c.ClaimId == ClaimIds.Independence);
        Assert.Equal(ClaimVerdict.Degenerate, independence.Verdict);
    }

    [Fact]
    public void Pair_inputs_at_different_angles_hash_apart_so_limit_points_of_a_large_sweep_are_found_in_linear_time()
    {
        // LimitPoints keys a dictionary by the inputs; a hash of the first coordinate alone (cos φ, the same for every
        // pair point) made 100,000 points 10^10 comparisons.
        var sets = Enumerable.Range(0, 5_000).Select(i => InputSet.Pair(4, Math.PI * i / 4_999)).ToList();
        Assert.True(sets.Select(s => s.GetHashCode()).Distinct().Count() >= 4_990);
        Assert.Equal(InputSet.Pair(4, 0.5).GetHashCode(), InputSet.Pair(4, 0.5).GetHashCode());
        var points = sets.Select(s => new PointDefinition(0, NetworkSpec.Uniform(4, 1, 4, WeightLaw.Gaussian), s,
            EngineKind.Conditional, 1)).ToList();
        Assert.Equal(5_000, LimitPoints.Of(points).Count);
    }

    [Fact]
    public void The_remark_is_a_limit_evaluated_only_at_the_deepest_widest_point_of_its_group()
    {
        PointDefinition P(int depth, int width, double theta) => Point(10, depth, width, theta, 1);
        var points = new List<PointDefinition> { P(2, 4, 0), P(8, 4, 0), P(8, 64, 0), P(2, 64, 0), P(8, 64, 90), P(4, 256, 90) };
        Assert.Equal(new HashSet<int> { 2, 4 }, LimitPoints.Of(points));

        // Wide and deep: the correlators climb past 1/4 toward 1/2 and keep moving away: the limit fails.
        var wide = P(8, 64, 90);
        var merged = Sample(wide, 4_000);
        var remark = ClaimEvaluator.Evaluate(wide, merged, limitPoint: true).Single(c => c.ClaimId == ClaimIds.Remark22);
        output.WriteLine($"{remark.Measured:G4} ± {remark.StandardError:G2}: {remark.Reason}");
        Assert.Equal(ClaimVerdict.Fails, remark.Verdict);
        Assert.Contains("away from 1/4", remark.Reason);
        Assert.DoesNotContain(ClaimEvaluator.Evaluate(wide, merged, limitPoint: false), c => c.ClaimId == ClaimIds.Remark22);
    }

    [Fact]
    public void Co_moments_merge_like_one_pass_and_restore_bit_for_bit()
    {
        var point = Point(10, 3, 8, 60, 5);
        var sampler = point.CreateSampler();
        var whole = ShardRunner.Run(sampler, 0, 600);
        var parts = ShardRunner.Run(sampler, 0, 250);
        parts.Merge(ShardRunner.Run(sampler, 250, 350));
        var group = point.Layout.CovariantIndices;
        Assert.Equal(point.Network.Depth + 1, group.Length);
        for (var i = 0; i < group.Length; i++)
            for (var j = 0; j < group.Length; j++)
            {
                var expected = whole.Covariance(group[i], group[j]);
                Assert.True(Math.Abs(parts.Covariance(group[i], group[j]) - expected) <= 1e-12 * Math.Max(1e-3, Math.Abs(expected)),
                    $"cov({i},{j})");
            }
        // Diagonal co-moments equal the variances of the moment accumulator.
        var c = new CoMomentAccumulator(point.Layout.Count, group.AsSpan());
        var measurement = new double[point.Layout.Count];
        for (var t = 0; t < 600; t++)
        {
            sampler.Sample(t, measurement);
            c.Push(measurement);
        }
        for (var i = 0; i < group.Length; i++)
            Assert.True(Math.Abs(c.Covariance(i, i) - whole.Variance(group[i])) <= 1e-12 * Math.Max(1e-6, whole.Variance(group[i])));
        for (var s = 0; s < point.Layout.Count; s++)
        {
            Assert.Equal(whole.Minimum(s), parts.Minimum(s));
            Assert.Equal(whole.Maximum(s), parts.Maximum(s));
        }
        var restored = PointAccumulator.FromBytes(point.Layout, parts.ToBytes());
        Assert.Equal(parts.ToBytes(), restored.ToBytes());
        Assert.Equal(parts.Covariance(group[0], group[1]), restored.Covariance(group[0], group[1]));
    }
}
