using System.Collections.Immutable;
using Ntk.Numerics.Analytic;
using Ntk.Numerics.Claims;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;
using Xunit;

namespace Ntk.Numerics.Tests;

public sealed class ClaimEvaluatorTests
{
    /// <summary>Trials of the synthetic accumulators: each statistic alternates target ± spread, so its mean is the
    /// target (to rounding) and its standard error is spread/√(N − 1).</summary>
    private const int Trials = 2000;

    /// <summary>z-scores of the synthetic data are exact up to rounding of the means (~1e-16 / SE).</summary>
    private const double ZTolerance = 1e-6;

    private static PointDefinition Point(int depth, double thetaDegrees, int inputDim = 5, WeightLaw? law = null) =>
        new(0, NetworkSpec.Uniform(inputDim, depth, 16, law ?? WeightLaw.Gaussian),
            InputSet.Pair(inputDim, thetaDegrees * Math.PI / 180), EngineKind.Dense, 7);

    [Fact]
    public void Every_claim_holds_when_the_measurements_equal_the_predictions()
    {
        var point = Point(depth: 3, thetaDegrees: 60);
        var targets = ClaimedValues(point);
        var results = ClaimEvaluator.Evaluate(point, Synthetic(point.Layout, targets, spread: 0.01));

        Assert.Equal(
            [ClaimIds.Corollary11, ClaimIds.Corollary11, ClaimIds.Theorem11, ClaimIds.Theorem21, ClaimIds.Theorem22,
             ClaimIds.Remark22, ClaimIds.Independence, ClaimIds.JensenSpectrum, ClaimIds.OffDiagonalVariance],
            results.Select(r => r.ClaimId));
        // The last two are checks of the measurement (MeasurementChecksTests), not claims with a prediction here.
        foreach (var result in results.Where(r => r.ClaimId is not (ClaimIds.JensenSpectrum or ClaimIds.OffDiagonalVariance)))
        {
            // Theorem 2.2 is a bound; K_01 sits at Theorem 1.1's value here, which may be on either side of it.
            if (result.ClaimId == ClaimIds.Theorem22) continue;
            Assert.True(Math.Abs(result.Z) <= ZTolerance, $"{result.ClaimId}: z = {result.Z}");
            Assert.Equal(ClaimVerdict.Holds, result.Verdict);
            Assert.Equal(point.Layout.Keys[Index(point.Layout, result.Statistic)], result.Statistic);
        }
    }

    [Theory]
    [InlineData(2.0, ClaimVerdict.Holds)]
    [InlineData(-2.9, ClaimVerdict.Holds)]
    [InlineData(4.0, ClaimVerdict.Inconclusive)]
    [InlineData(-4.5, ClaimVerdict.Inconclusive)]
    [InlineData(6.0, ClaimVerdict.Fails)]
    [InlineData(-50.0, ClaimVerdict.Fails)]
    public void Equality_verdicts_follow_the_z_thresholds(double shiftInStandardErrors, ClaimVerdict expected)
    {
        var point = Point(depth: 2, thetaDegrees: 45);
        var layout = point.Layout;
        const double spread = 0.02;
        var standardError = spread / Math.Sqrt(Trials - 1);
        var targets = ClaimedValues(point);
        var shifted = new Dictionary<int, double>(targets);
        foreach (var index in new[] { layout.Ntk(0, 0), layout.Ntk(0, 1), layout.Correlator(1, 0, 1), layout.Correlator(2, 0, 1) })
            shifted[index] = targets[index] + shiftInStandardErrors * standardError;

        var results = ClaimEvaluator.Evaluate(point, Synthetic(layout, shifted, spread));
        foreach (var id in new[] { ClaimIds.Theorem11, ClaimIds.Theorem21 })
        {
            var result = results.Single(r => r.ClaimId == id);
            Assert.True(Math.Abs(result.Z - shiftInStandardErrors) <= ZTolerance, $"{id}: z = {result.Z}");
            Assert.True(Math.Abs(result.StandardError - standardError) <= 1e-12);
            Assert.Equal(expected, result.Verdict);
        }
        var corollary = results.First(r => r.ClaimId == ClaimIds.Corollary11);
        Assert.Equal(layout.Ntk(0, 0), Index(layout, corollary.Statistic));
        Assert.Equal(expected, corollary.Verdict);
    }

    [Theory]
    [InlineData(-30.0, ClaimVerdict.Holds)]
    [InlineData(2.5, ClaimVerdict.Holds)]
    [InlineData(4.0, ClaimVerdict.Inconclusive)]
    [InlineData(5.5, ClaimVerdict.Fails)]
    public void The_Theorem_2_2_bound_fails_only_when_the_measurement_exceeds_it_by_five_standard_errors(
        double excessInStandardErrors, ClaimVerdict expected)
    {
        var point = Point(depth: 2, thetaDegrees: 120);
        var layout = point.Layout;
        const double spread = 0.02;
        var standardError = spread / Math.Sqrt(Trials - 1);
        var xa = point.Inputs.Input(0);
        var xb = point.Inputs.Input(1);
        var bound = PaperClaims.Theorem22Bound(xa, xb, 2);
        var targets = ClaimedValues(point);
        // K_01 is negative at 120°: the bound is on |E K_01|.
        targets[layout.Ntk(0, 1)] = -(bound + excessInStandardErrors * standardError);

        var result = ClaimEvaluator.Evaluate(point, Synthetic(layout, targets, spread)).Single(r => r.ClaimId == ClaimIds.Theorem22);
        Assert.Equal(bound, result.Predicted);
        Assert.True(Math.Abs(result.Measured - (bound + excessInStandardErrors * standardError)) <= 1e-12);
        Assert.True(Math.Abs(result.Z - excessInStandardErrors) <= ZTolerance, $"z = {result.Z}");
        Assert.Equal(expected, result.Verdict);
    }

    [Fact]
    public void The_exact_depth_one_Gaussian_means_refute_Theorem_1_1_and_Corollary_1_1_but_not_Theorem_2_1()
    {
        // For L = 1 and Gaussian weights, E[K_ab] = Θ_ab and E[K_aa] = 4‖x‖²/n0 at every width (docs/science.md §5).
        var point = Point(depth: 1, thetaDegrees: 90);
        var layout = point.Layout;
        var targets = ClaimedValues(point);
        targets[layout.Ntk(0, 0)] = AnalyticNtk.ExactDiagonal(point.Inputs.Input(0), 1);
        targets[layout.Ntk(1, 1)] = AnalyticNtk.ExactDiagonal(point.Inputs.Input(1), 1);
        targets[layout.Ntk(0, 1)] = AnalyticNtk.Theta(point.Inputs.Input(0), point.Inputs.Input(1), 1);
        var results = ClaimEvaluator.Evaluate(point, Synthetic(layout, targets, spread: 0.01));

        Assert.Equal(7, results.Length); // no Remark and no independence step at L = 1; the two checks of the measurement
        Assert.All(results.Where(r => r.ClaimId is ClaimIds.Corollary11 or ClaimIds.Theorem11 or ClaimIds.Theorem22),
            r => Assert.Equal(ClaimVerdict.Fails, r.Verdict));
        Assert.Equal(ClaimVerdict.Holds, results.Single(r => r.ClaimId == ClaimIds.Theorem21).Verdict);
    }

    [Fact]
    public void A_noiseless_statistic_equal_to_its_prediction_is_degenerate_and_one_off_by_more_than_rounding_fails()
    {
        // At θ = π the first-layer indicators never coincide: ĉ_1 is exactly 0 in every network, SE = 0.
        var point = Point(depth: 2, thetaDegrees: 180);
        var layout = point.Layout;
        var targets = ClaimedValues(point);
        var constant = new HashSet<int> { layout.Correlator(1, 0, 1) };
        var result = ClaimEvaluator.Evaluate(point, Synthetic(layout, targets, 0.01, constant)).Single(r => r.ClaimId == ClaimIds.Theorem21);
        Assert.Equal(0.0, result.Predicted);
        Assert.Equal(0.0, result.StandardError);
        Assert.Equal(0.0, result.Z);
        Assert.Equal(ClaimVerdict.Degenerate, result.Verdict);
        Assert.Contains("identically", result.Reason);

        targets[layout.Correlator(1, 0, 1)] = 1e-3;
        var off = ClaimEvaluator.Evaluate(point, Synthetic(layout, targets, 0.01, constant)).Single(r => r.ClaimId == ClaimIds.Theorem21);
        Assert.True(double.IsPositiveInfinity(off.Z) || off.Z > 1e6);
        Assert.Equal(ClaimVerdict.Fails, off.Verdict);
    }

    [Fact]
    public void The_independence_step_compares_the_path_product_with_the_product_of_layer_means_using_the_full_covariance()
    {
        var point = Point(depth: 3, thetaDegrees: 30);
        var layout = point.Layout;
        const double spread = 0.05;
        var targets = ClaimedValues(point);
        double[] layerMeans = [0.42, 0.44, 0.46];
        for (var l = 1; l <= 3; l++) targets[layout.Correlator(l, 0, 1)] = layerMeans[l - 1];
        targets[layout.PathProduct(0, 1)] = 0.1;

        var result = ClaimEvaluator.Evaluate(point, Synthetic(layout, targets, spread)).Single(r => r.ClaimId == ClaimIds.Independence);
        var se = spread / Math.Sqrt(Trials - 1);
        var product = layerMeans[0] * layerMeans[1] * layerMeans[2];
        // Every statistic of the synthetic data moves together (correlation 1), so the delta-method variance
        // gᵀΣg with g = (1, −Π_{k≠l} c̄_k) collapses to σ²(1 − Σ_l Π_{k≠l} c̄_k)²: the covariances cancel most of it.
        var expectedSe = se * Math.Abs(1
            - layerMeans[1] * layerMeans[2] - layerMeans[0] * layerMeans[2] - layerMeans[0] * layerMeans[1]);
        Assert.True(Math.Abs(result.Predicted - product) <= 1e-14);
        Assert.True(Math.Abs(result.Measured - 0.1) <= 1e-14);
        Assert.True(Math.Abs(result.StandardError - expectedSe) <= 1e-12);
        Assert.True(Math.Abs(result.Z - (0.1 - product) / expectedSe) <= ZTolerance);
        Assert.Equal(new StatisticKey(StatisticKind.PathProduct, 0, 0, 1), result.Statistic);
    }

    [Fact]
    public void Many_inputs_are_reported_for_the_pair_0_1_and_the_diagonal_of_input_0_only()
    {
        var values = new[] { 1.0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1 };
        var inputs = new InputSet(3, ImmutableArray.Create(values));
        var point = new PointDefinition(0, NetworkSpec.Uniform(3, 2, 8, WeightLaw.Uniform), inputs, EngineKind.Dense, 1);
        var results = ClaimEvaluator.Evaluate(point, Synthetic(point.Layout, ClaimedValues(point), 0.01));
        Assert.Equal(8, results.Length); // six claims, then jensen-spectrum (about λ_max) and offdiag-variance
        Assert.Equal(ClaimIds.JensenSpectrum, results[6].ClaimId);
        Assert.Equal(ClaimIds.OffDiagonalVariance, results[7].ClaimId);
        Assert.All(results.Where(r => r.ClaimId != ClaimIds.JensenSpectrum), r => Assert.True(r.Statistic.A == 0 && r.Statistic.B is 0 or 1, r.Statistic.ToString()));

        var single = new PointDefinition(0, NetworkSpec.Uniform(3, 2, 8, WeightLaw.Gaussian),
            new InputSet(3, ImmutableArray.Create(1.0, 2, 3)), EngineKind.Dense, 1);
        var only = Assert.Single(ClaimEvaluator.Evaluate(single, Synthetic(single.Layout, ClaimedValues(single), 0.01)));
        Assert.Equal(ClaimIds.Corollary11, only.ClaimId);
    }

    [Fact]
    public void Without_a_standard_error_every_verdict_is_inconclusive_and_a_foreign_layout_is_rejected()
    {
        var point = Point(depth: 2, thetaDegrees: 45);
        var one = new PointAccumulator(point.Layout);
        one.Push(new double[point.Layout.Count]);
        Assert.All(ClaimEvaluator.Evaluate(point, one), r =>
        {
            Assert.True(double.IsNaN(r.Z), $"{r.ClaimId}: z = {r.Z}");
            Assert.Equal(ClaimVerdict.Inconclusive, r.Verdict);
        });
        Assert.Throws<ArgumentException>(() =>
            ClaimEvaluator.Evaluate(point, new PointAccumulator(MeasurementLayout.For(2, 3, true))));
    }

    [Fact]
    public void Verdict_rule_thresholds_are_three_and_five_standard_errors()
    {
        Assert.Equal(ClaimVerdict.Holds, ClaimVerdicts.ForEquality(3.0));
        Assert.Equal(ClaimVerdict.Inconclusive, ClaimVerdicts.ForEquality(3.0001));
        Assert.Equal(ClaimVerdict.Fails, ClaimVerdicts.ForEquality(-5.0));
        Assert.Equal(ClaimVerdict.Inconclusive, ClaimVerdicts.ForEquality(double.NaN));
        Assert.Equal(ClaimVerdict.Holds, ClaimVerdicts.ForUpperBound(-1e9));
        Assert.Equal(ClaimVerdict.Fails, ClaimVerdicts.ForUpperBound(5.0));
        Assert.Equal(ClaimVerdict.Inconclusive, ClaimVerdicts.ForUpperBound(4.99));
        Assert.Equal(0.0, ClaimVerdicts.ZScore(1.5, 1.5, 0));
        Assert.Equal(2.0, ClaimVerdicts.ZScore(1.2, 1.0, 0.1), 12);
        Assert.True(double.IsNaN(ClaimVerdicts.ZScore(1.2, 1.0, double.NaN)));
        // A zero standard error is floored at 1e-12 relative: rounding-level differences are not failures.
        Assert.True(Math.Abs(ClaimVerdicts.ZScore(1.0 + 1e-15, 1.0, 0)) < 3);
    }

    [Fact]
    public void Predictions_give_the_infinite_width_and_paper_columns_for_every_statistic()
    {
        const int depth = 3;
        var point = Point(depth, thetaDegrees: 70, inputDim: 4);
        var layout = point.Layout;
        var xa = point.Inputs.Input(0);
        var xb = point.Inputs.Input(1);
        var analytic = AnalyticNtk.Pair(xa, xb, depth);
        var table = Predictions.ForPoint(point);

        foreach (var key in layout.Keys)
        {
            var (infinite, paper) = Predictions.For(point, key);
            Assert.Equal(table.For(key), (infinite, paper));
            switch (key.Kind)
            {
                case StatisticKind.Ntk when key.A == key.B:
                    Assert.Equal(AnalyticNtk.Theta(point.Inputs.Input(key.A), point.Inputs.Input(key.A), depth), infinite);
                    Assert.Equal(PaperClaims.Corollary11(point.Inputs.Input(key.A), depth), paper);
                    break;
                case StatisticKind.Ntk:
                    Assert.Equal(analytic.Theta, infinite);
                    Assert.Equal(PaperClaims.Theorem11(xa, xb, depth), paper);
                    break;
                case StatisticKind.Correlator or StatisticKind.CorrelatorCond:
                    Assert.Equal(analytic.Correlator(key.Layer), infinite);
                    Assert.Equal(key.Layer == 1 ? PaperClaims.Theorem21(4, AnalyticNtk.Angle(xa, xb)) : 0.25, paper);
                    break;
                case StatisticKind.PathProduct:
                    Assert.Equal(analytic.PathProduct, infinite);
                    Assert.Equal(analytic.PathProduct, paper);
                    break;
                case StatisticKind.ActiveFraction:
                    Assert.Equal(0.5, infinite);
                    Assert.Null(paper);
                    break;
                case StatisticKind.PatternAgreement:
                    Assert.Equal(2 * analytic.Correlator(key.Layer), infinite!.Value, 14);
                    Assert.Null(paper);
                    break;
                default:
                    Assert.Null(infinite);
                    Assert.Null(paper);
                    break;
            }
        }
        var firstLayerPaper = Predictions.For(point, new StatisticKey(StatisticKind.Correlator, 1, 0, 1)).Paper!.Value;
        Assert.True(Math.Abs(firstLayerPaper - (180 - 70) / 360.0) <= 1e-10);
        Assert.Throws<ArgumentOutOfRangeException>(() => Predictions.For(point, new StatisticKey(StatisticKind.Correlator, 4, 0, 1)));
    }

    /// <summary>Per statistic index, the value each claim predicts (and 0.3 / 0.5 / 0 where no claim speaks).</summary>
    private static Dictionary<int, double> ClaimedValues(PointDefinition point)
    {
        var layout = point.Layout;
        var depth = point.Network.Depth;
        var targets = new Dictionary<int, double>();
        for (var i = 0; i < layout.Count; i++)
        {
            var key = layout.Keys[i];
            targets[i] = key.Kind switch
            {
                StatisticKind.Ntk when key.A == key.B => PaperClaims.Corollary11(point.Inputs.Input(key.A), depth),
                StatisticKind.Ntk => PaperClaims.Theorem11(point.Inputs.Input(key.A), point.Inputs.Input(key.B), depth),
                StatisticKind.Correlator or StatisticKind.CorrelatorCond when key.Layer == 1 =>
                    PaperClaims.Theorem21(point.Network.InputDim, AnalyticNtk.Angle(point.Inputs.Input(key.A), point.Inputs.Input(key.B))),
                StatisticKind.Correlator or StatisticKind.CorrelatorCond when key.Layer == depth => 0.25,
                StatisticKind.Correlator or StatisticKind.CorrelatorCond => 0.3,
                StatisticKind.ActiveFraction => 0.5,
                _ => 0,
            };
        }
        if (layout.InputCount >= 2)
        {
            var product = 1.0;
            for (var l = 1; l <= depth; l++) product *= targets[layout.Correlator(l, 0, 1)];
            targets[layout.PathProduct(0, 1)] = product;
        }
        return targets;
    }

    /// <summary>
    /// An accumulator of <see cref="Trials"/> networks in which statistic i alternates target_i ± spread (mean target_i,
    /// SE spread/√(N−1)), except the indices in <paramref name="constant"/>, which stay at their target.
    /// </summary>
    private static PointAccumulator Synthetic(
        MeasurementLayout layout, IReadOnlyDictionary<int, double> targets, double spread, ISet<int>? constant = null)
    {
        var accumulator = new PointAccumulator(layout);
        var row = new double[layout.Count];
        for (var t = 0; t < Trials; t++)
        {
            var sign = t % 2 == 0 ? 1.0 : -1.0;
            for (var i = 0; i < row.Length; i++)
                row[i] = targets[i] + (constant?.Contains(i) == true ? 0 : sign * spread);
            accumulator.Push(row);
        }
        return accumulator;
    }

    private static int Index(MeasurementLayout layout, StatisticKey key) => layout.Keys.IndexOf(key);
}
