using Ntk.Numerics.Claims;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Statistics;
using Xunit;

namespace Ntk.Numerics.Tests;

/// <summary>
/// A sweep may record a subset of the statistics (<see cref="StatisticGroups"/>): the layout then holds only those,
/// every index function and key agree, and both engines write, for each recorded key, bitwise the value they write
/// when every group is recorded.
/// </summary>
public sealed class StatisticGroupsTests
{
    private static readonly StatisticGroups[] Selections =
    [
        StatisticGroups.All,
        StatisticGroups.Kernel,
        StatisticGroups.Spectrum,
        StatisticGroups.Kernel | StatisticGroups.Spectrum,
        StatisticGroups.Kernel | StatisticGroups.Spectrum | StatisticGroups.Activity,
        StatisticGroups.PathProduct,
        StatisticGroups.Activity | StatisticGroups.PathProduct,
        StatisticGroups.Correlators | StatisticGroups.Spectrum,
        StatisticGroups.Patterns,
        StatisticGroups.Kernel | StatisticGroups.Patterns,
        StatisticGroups.Correlators | StatisticGroups.Patterns,
    ];

    /// <summary>The keys of every index function, in the documented order (absent groups left out).</summary>
    private static List<StatisticKey> ExpectedKeys(int m, int depth, bool conditional, StatisticGroups groups)
    {
        bool Has(StatisticGroups g) => (groups & g) != 0;
        var keys = new List<StatisticKey>();
        if (Has(StatisticGroups.Kernel))
            for (var a = 0; a < m; a++)
                for (var b = a; b < m; b++) keys.Add(new(StatisticKind.Ntk, 0, a, b));
        for (var l = 1; l <= depth; l++)
        {
            if (Has(StatisticGroups.Correlators))
            {
                for (var a = 0; a < m; a++)
                    for (var b = a + 1; b < m; b++) keys.Add(new(StatisticKind.Correlator, l, a, b));
                if (conditional)
                    for (var a = 0; a < m; a++)
                        for (var b = a + 1; b < m; b++) keys.Add(new(StatisticKind.CorrelatorCond, l, a, b));
            }
            if (Has(StatisticGroups.Activity))
                for (var a = 0; a < m; a++) keys.Add(new(StatisticKind.ActiveFraction, l, a, -1));
        }
        if (Has(StatisticGroups.PathProduct))
            for (var a = 0; a < m; a++)
                for (var b = a + 1; b < m; b++) keys.Add(new(StatisticKind.PathProduct, 0, a, b));
        if (Has(StatisticGroups.Activity))
            for (var a = 0; a < m; a++) keys.Add(new(StatisticKind.DeadLayer, 0, a, -1));
        if (Has(StatisticGroups.Spectrum))
        {
            keys.Add(new(StatisticKind.LambdaMax, 0, -1, -1));
            keys.Add(new(StatisticKind.LambdaMin, 0, -1, -1));
            keys.Add(new(StatisticKind.Condition, 0, -1, -1));
        }
        if (Has(StatisticGroups.Patterns))
            for (var l = 1; l <= depth; l++)
            {
                for (var a = 0; a < m; a++)
                    for (var b = a + 1; b < m; b++) keys.Add(new(StatisticKind.PatternAgreement, l, a, b));
                for (var a = 0; a < m; a++)
                    for (var b = a + 1; b < m; b++) keys.Add(new(StatisticKind.PatternEqual, l, a, b));
                if (conditional)
                    for (var a = 0; a < m; a++)
                        for (var b = a + 1; b < m; b++) keys.Add(new(StatisticKind.PatternEqualCond, l, a, b));
            }
        return keys;
    }

    [Fact]
    public void Keys_index_functions_and_sizes_agree_for_every_selection()
    {
        foreach (var groups in Selections)
        foreach (var (m, depth, conditional) in new[] { (1, 1, true), (2, 3, true), (5, 2, false), (9, 1, true) })
        {
            var layout = MeasurementLayout.For(m, depth, conditional, groups);
            var expected = ExpectedKeys(m, depth, conditional, groups);
            Assert.Equal(expected.Count, layout.Count);
            Assert.Equal(expected.Count, StatisticSelection.StatisticCount(m, depth, conditional, groups));
            Assert.Equal(expected, layout.Keys.ToList());
            for (var i = 0; i < layout.Count; i++)
            {
                var key = layout.Keys[i];
                var index = key.Kind switch
                {
                    StatisticKind.Ntk => layout.Ntk(key.A, key.B),
                    StatisticKind.Correlator => layout.Correlator(key.Layer, key.A, key.B),
                    StatisticKind.CorrelatorCond => layout.CorrelatorCond(key.Layer, key.A, key.B),
                    StatisticKind.ActiveFraction => layout.ActiveFraction(key.Layer, key.A),
                    StatisticKind.PathProduct => layout.PathProduct(key.A, key.B),
                    StatisticKind.DeadLayer => layout.DeadLayer(key.A),
                    StatisticKind.LambdaMax => layout.LambdaMaxIndex,
                    StatisticKind.LambdaMin => layout.LambdaMinIndex,
                    StatisticKind.PatternAgreement => layout.PatternAgreement(key.Layer, key.A, key.B),
                    StatisticKind.PatternEqual => layout.PatternEqual(key.Layer, key.A, key.B),
                    StatisticKind.PatternEqualCond => layout.PatternEqualCond(key.Layer, key.A, key.B),
                    _ => layout.ConditionIndex,
                };
                Assert.Equal(i, index);
                Assert.Equal(i, layout.Keys.IndexOf(key));
            }
            Assert.Equal(-1, layout.IndexOf(new StatisticKey(StatisticKind.Ntk, 0, m, m)));
            if (!layout.Has(StatisticGroups.Kernel)) Assert.Throws<InvalidOperationException>(() => layout.Ntk(0, 0));
            if (!layout.Has(StatisticGroups.Spectrum)) Assert.Equal(-1, layout.LambdaMaxIndex);
        }
    }

    [Fact]
    public void Every_engine_writes_the_same_bits_for_each_recorded_statistic_whatever_the_selection()
    {
        // m = 9 takes the dense engine's panel path and the tridiagonal spectrum; m = 3 the pair-style paths.
        foreach (var (m, depth, engine) in new[] { (3, 2, EngineKind.Dense), (9, 2, EngineKind.Dense), (3, 3, EngineKind.Conditional), (9, 1, EngineKind.Conditional) })
        {
            var network = NetworkSpec.Uniform(4, depth, 6, WeightLaw.Gaussian);
            var inputs = InputSets.Sphere(4, m, 3);
            var full = new PointDefinition(2, network, inputs, engine, 77, StatisticGroups.All);
            var fullSampler = full.CreateSampler();
            var fullMeasurement = new double[full.Layout.Count];
            foreach (var groups in Selections)
            {
                var point = new PointDefinition(2, network, inputs, engine, 77, groups);
                var sampler = point.CreateSampler();
                var measurement = new double[point.Layout.Count];
                for (var trial = 0L; trial < 6; trial++)
                {
                    fullSampler.Sample(trial, fullMeasurement);
                    sampler.Sample(trial, measurement);
                    for (var i = 0; i < measurement.Length; i++)
                    {
                        var key = point.Layout.Keys[i];
                        var j = full.Layout.IndexOf(key);
                        Assert.True(BitConverter.DoubleToInt64Bits(fullMeasurement[j]) == BitConverter.DoubleToInt64Bits(measurement[i]),
                            $"{engine} m = {m}, {StatisticSelection.Describe(groups)}, trial {trial}, {key}: {measurement[i]} vs {fullMeasurement[j]}");
                    }
                }
            }
        }
    }

    [Fact]
    public void The_default_drops_the_m_squared_correlators_only_for_large_m()
    {
        Assert.Equal(StatisticGroups.All, StatisticSelection.Default(2));
        Assert.Equal(StatisticGroups.All, StatisticSelection.Default(StatisticSelection.EveryGroupUpToInputs));
        var large = StatisticSelection.Default(StatisticSelection.EveryGroupUpToInputs + 1);
        Assert.Equal(StatisticGroups.Kernel | StatisticGroups.Spectrum | StatisticGroups.Activity, large);
        // m = 2048, L = 1: the kernel's 2.1 million entries, 4,096 activity entries and the spectrum.
        Assert.Equal(2048L * 2049 / 2 + 2 * 2048 + 3, StatisticSelection.StatisticCount(2048, 1, true, large));
        Assert.Equal(StatisticGroups.Kernel, StatisticSelection.Parse("kernel"));
        Assert.Equal(StatisticGroups.PathProduct, StatisticSelection.Parse("Path-Product"));
        Assert.Contains("expected one of kernel, spectrum, correlators, activity, path-product",
            Assert.Throws<FormatException>(() => StatisticSelection.Parse("moments")).Message);
        Assert.Throws<ArgumentException>(() => MeasurementLayout.For(2, 1, true, StatisticGroups.None));
    }

    [Fact]
    public void Accumulators_carry_their_selection_and_refuse_another()
    {
        var kernelOnly = MeasurementLayout.For(3, 2, true, StatisticGroups.Kernel | StatisticGroups.Spectrum);
        var accumulator = new PointAccumulator(kernelOnly);
        var values = new double[kernelOnly.Count];
        for (var i = 0; i < values.Length; i++) values[i] = i + 0.5;
        accumulator.Push(values);
        var bytes = accumulator.ToBytes();
        Assert.Equal(bytes, PointAccumulator.FromBytes(kernelOnly, bytes).ToBytes());
        Assert.Equal(PointAccumulator.SerializedSizeWithoutSketches(kernelOnly.Count, kernelOnly.SketchedIndices.Length),
            new PointAccumulator(kernelOnly).ToBytes().LongLength - kernelOnly.SketchedIndices.Length * (long)(new QuantileSketch().SerializedSize));
        // Version 2 (main's, written before statistic groups: no groups byte after the conditional flag) reads as every group.
        var everything = MeasurementLayout.For(3, 2, true);
        var full = new PointAccumulator(everything);
        full.Push(Enumerable.Range(0, everything.Count).Select(i => i * 0.25).ToArray());
        var current = full.ToBytes();
        var version2 = current[..4].Concat(new byte[] { 2 }).Concat(current[5..14]).Concat(current[15..]).ToArray();
        Assert.Equal(current, PointAccumulator.FromBytes(everything, version2).ToBytes());
        var other = MeasurementLayout.For(3, 2, true, StatisticGroups.Kernel | StatisticGroups.Activity);
        Assert.Throws<ArgumentException>(() => PointAccumulator.FromBytes(other, bytes));
        Assert.Throws<ArgumentException>(() => accumulator.Merge(new PointAccumulator(other)));
    }

    [Fact]
    public void Claims_whose_statistics_are_not_recorded_are_left_out()
    {
        var network = NetworkSpec.Uniform(3, 2, 8, WeightLaw.Gaussian);
        var inputs = InputSet.Pair(3, 1.0);
        var all = new PointDefinition(0, network, inputs, EngineKind.Dense, 1, StatisticGroups.All);
        var kernel = new PointDefinition(0, network, inputs, EngineKind.Dense, 1, StatisticGroups.Kernel);
        var spectrum = new PointDefinition(0, network, inputs, EngineKind.Dense, 1, StatisticGroups.Spectrum);
        static IReadOnlyList<string> Claims(PointDefinition p) =>
            [.. ClaimEvaluator.Evaluate(p, ShardRunner.Run(p.CreateSampler(), 0, 20)).Select(c => c.ClaimId)];
        Assert.Equal(9, Claims(all).Count); // two diagonals, then five claims for the pair, then the two checks
        // Jensen needs the spectrum as well as the kernel; the off-diagonal variance only the kernel.
        Assert.Equal([ClaimIds.Corollary11, ClaimIds.Corollary11, ClaimIds.Theorem11, ClaimIds.Theorem22, ClaimIds.OffDiagonalVariance],
            Claims(kernel));
        Assert.Empty(Claims(spectrum));
    }
}
