using System.Collections.Immutable;
using System.Numerics.Tensors;
using Ntk.Numerics.Kernels;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The register-blocked kernels of the dense engine and the blocked dense engine itself against the plain
/// one-pair-at-a-time implementation: same algorithm and summation order, so bitwise equal.
/// </summary>
public sealed class SimdKernelTests(ITestOutputHelper output)
{
    [Fact]
    public void Blocked_dot_products_equal_the_pairwise_Dot_bitwise_for_every_shape()
    {
        output.WriteLine($"AVX-512 tiles: {DenseKernels.IsAccelerated}");
        var random = new Random(12);
        int[] lengths = [0, 1, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64, 100];
        foreach (var length in lengths)
        {
            for (var rowCount = 1; rowCount <= 9; rowCount++)
            {
                for (var columnCount = 1; columnCount <= 9; columnCount++)
                {
                    var rowStride = length + 3;
                    var columnStride = length + 1;
                    var rows = RandomValues(random, rowCount * rowStride);
                    var columns = RandomValues(random, columnCount * columnStride);
                    var productStride = columnCount + 2;
                    var products = new double[rowCount * productStride];
                    DenseKernels.DotProducts(rows, rowStride, rowCount, columns, columnStride, columnCount, length, products, productStride);
                    for (var r = 0; r < rowCount; r++)
                        for (var c = 0; c < columnCount; c++)
                        {
                            var expected = DenseSampler.Dot(rows.AsSpan(r * rowStride, length), columns.AsSpan(c * columnStride, length));
                            AssertBitwise(expected, products[r * productStride + c], $"length {length}, {rowCount}×{columnCount}, ({r},{c})");
                        }
                }
            }
        }
    }

    [Fact]
    public void Blocked_Gram_equals_the_pairwise_Gram_bitwise()
    {
        var random = new Random(5);
        foreach (var length in new[] { 1, 6, 8, 13, 40 })
        {
            for (var m = 1; m <= 11; m++)
            {
                var vectors = RandomValues(random, m * length);
                var gram = new double[m * m];
                DenseKernels.Gram(vectors, length, m, gram);
                for (var a = 0; a < m; a++)
                    for (var b = 0; b < m; b++)
                        AssertBitwise(DenseSampler.Dot(vectors.AsSpan(a * length, length), vectors.AsSpan(b * length, length)),
                            gram[a * m + b], $"length {length}, m {m}, ({a},{b})");
            }
        }
    }

    [Fact]
    public void Blocked_transposed_product_equals_row_by_row_fused_axpy_bitwise()
    {
        var random = new Random(8);
        foreach (var width in new[] { 1, 7, 16, 17, 40, 64 })
        {
            foreach (var m in new[] { 1, 2, 3, 4, 5, 9 })
            {
                const int rowCount = 23;
                var weights = RandomValues(random, rowCount * width);
                var coefficients = RandomValues(random, m * rowCount);
                coefficients[0] = 0; // a zero coefficient (an inactive unit of the next layer)
                var actual = new double[m * width];
                DenseKernels.AccumulateTransposedProduct(weights, rowCount, width, coefficients, rowCount, m, actual);
                var expected = new double[m * width];
                for (var a = 0; a < m; a++)
                {
                    var target = expected.AsSpan(a * width, width);
                    for (var k = 0; k < rowCount; k++)
                    {
                        var coefficient = coefficients[a * rowCount + k];
                        if (coefficient == 0) continue;
                        for (var i = 0; i < width; i++) target[i] = Math.FusedMultiplyAdd(weights[k * width + i], coefficient, target[i]);
                    }
                }
                for (var i = 0; i < expected.Length; i++) AssertBitwise(expected[i], actual[i], $"width {width}, m {m}, element {i}");
            }
        }
    }

    [Fact]
    public void Bit_set_activity_counts_equal_the_plain_per_unit_loop()
    {
        var random = new Random(21);
        foreach (var (m, width) in new[] { (1, 5), (2, 64), (3, 65), (7, 130), (33, 200) })
        {
            var layout = MeasurementLayout.For(m, 2, hasConditionalCorrelator: true);
            var preactivations = RandomValues(random, width * m);
            for (var i = 0; i < preactivations.Length; i += 7) preactivations[i] = 0; // exact zeros are inactive
            var measurement = new double[layout.Count];
            var active = new int[m];
            MeasurementKernels.CountActivity(preactivations, width, m, active, measurement, layout, 2);
            for (var a = 0; a < m; a++)
            {
                var expectedActive = 0;
                for (var i = 0; i < width; i++) if (preactivations[i * m + a] > 0) expectedActive++;
                Assert.Equal(expectedActive, active[a]);
                for (var b = a + 1; b < m; b++)
                {
                    var both = 0;
                    for (var i = 0; i < width; i++)
                        if (preactivations[i * m + a] > 0 && preactivations[i * m + b] > 0) both++;
                    Assert.Equal(both, measurement[layout.Correlator(2, a, b)]);
                }
            }
        }
    }

    [Fact]
    public void Branch_free_gate_equals_the_ternary_loop_bitwise_including_signed_zeros_and_NaN()
    {
        var random = new Random(3);
        for (var length = 0; length <= 40; length++)
        {
            var gate = RandomValues(random, length);
            var values = RandomValues(random, length);
            for (var i = 0; i < length; i += 5) gate[i] = i % 3 == 0 ? -0.0 : i % 3 == 1 ? double.NaN : 0.0;
            for (var i = 2; i < length; i += 7) values[i] = -0.0;
            var actual = new double[length];
            DenseKernels.Gate(gate, values, actual);
            var relu = (double[])gate.Clone();
            DenseKernels.Gate(relu, relu, relu);
            for (var i = 0; i < length; i++)
            {
                AssertBitwise(gate[i] > 0 ? values[i] : 0, actual[i], $"gate, length {length}, element {i}");
                AssertBitwise(gate[i] > 0 ? gate[i] : 0, relu[i], $"relu, length {length}, element {i}");
                AssertBitwise(gate[i] > 0 ? gate[i] : 0, MeasurementKernels.Relu(gate[i]), $"scalar relu, element {i}");
            }
        }
    }

    public static TheoryData<int> DenseCases => new(Enumerable.Range(0, 8));

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void Blocked_dense_sampler_equals_the_plain_implementation_bitwise(int caseIndex)
    {
        // Widths around the tiles (4 rows, 4 inputs, 16 elements) and the row blocks (4096 weights), several laws.
        (int InputDim, int[] Widths, string Law, int Inputs)[] cases =
        [
            (5, [7, 3, 6], "laplace", 2),
            (10, [64], "gaussian", 2),
            (3, [33, 17], "uniform", 5),
            (12, [40, 40, 9], "gaussian", 7),
            (70, [130, 66], "gaussian", 4),
            (9, [2, 5], "rademacher", 3),
            (16, [24, 24], "student-t:5", 1),
            (20, [50, 19], "gaussian", 9),
        ];
        var (inputDim, widths, lawName, inputCount) = cases[caseIndex];
        const ulong seed = 4242;
        var random = new Random(caseIndex);
        var values = RandomValues(random, inputCount * inputDim);
        if (inputCount >= 3) values.AsSpan(0, inputDim).CopyTo(values.AsSpan(2 * inputDim, inputDim)); // a tied input
        var point = new PointDefinition(3, new NetworkSpec(inputDim, [.. widths], WeightLaw.Parse(lawName)),
            new InputSet(inputDim, [.. values]), EngineKind.Dense, seed);
        output.WriteLine($"case {caseIndex}: n0 {inputDim}, widths {string.Join("x", widths)}, {lawName}, m {inputCount}, seed {seed}");
        var sampler = new DenseSampler(point);
        var reference = new PlainDenseSampler(point);
        var actual = new double[sampler.Layout.Count];
        var expected = new double[sampler.Layout.Count];
        for (var trial = 0; trial < 5; trial++)
        {
            sampler.Sample(trial, actual);
            reference.Sample(trial, expected);
            for (var i = 0; i < expected.Length; i++) AssertBitwise(expected[i], actual[i], $"trial {trial}, statistic {i}");
        }
    }

    private static double[] RandomValues(Random random, int count)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++) values[i] = 2 * random.NextDouble() - 1;
        return values;
    }

    private static void AssertBitwise(double expected, double actual, string context)
    {
        if (BitConverter.DoubleToInt64Bits(expected) != BitConverter.DoubleToInt64Bits(actual))
            Assert.Fail($"{context}: {actual:R}, the plain implementation gives {expected:R}");
    }

    /// <summary>
    /// The plain dense engine (the implementation before blocking): all weights drawn in one fill, z by one
    /// <see cref="DenseSampler.Dot"/> per (unit, input), δ by one fused axpy per (input, next unit), Grams pair by pair.
    /// </summary>
    private sealed class PlainDenseSampler
    {
        private readonly int _depth;
        private readonly int _m;
        private readonly int[] _sizes;
        private readonly double[] _scales;
        private readonly int[] _offsets;
        private readonly double[] _weights;
        private readonly double[][] _post;
        private readonly double[][] _pre;
        private readonly double[][] _delta;
        private readonly double[][] _postGram;
        private readonly DenseSampler _weightSource;
        private readonly MeasurementLayout _layout;

        public PlainDenseSampler(PointDefinition point)
        {
            _weightSource = new DenseSampler(point);
            _layout = point.Layout;
            _depth = point.Network.Depth;
            _m = point.Inputs.Count;
            _sizes = new int[_depth + 2];
            for (var l = 0; l <= _depth + 1; l++) _sizes[l] = point.Network.LayerSize(l);
            _scales = new double[_depth + 2];
            _offsets = new int[_depth + 2];
            var offset = 0;
            for (var l = 1; l <= _depth + 1; l++)
            {
                _scales[l] = Math.Sqrt(2.0 / _sizes[l - 1]);
                _offsets[l] = offset;
                offset += _sizes[l] * _sizes[l - 1];
            }
            _weights = new double[offset];
            _post = new double[_depth + 1][];
            _pre = new double[_depth + 1][];
            _delta = new double[_depth + 1][];
            _postGram = new double[_depth + 1][];
            _post[0] = point.Inputs.Values.ToArray();
            _postGram[0] = new double[_m * _m];
            for (var l = 1; l <= _depth; l++)
            {
                _post[l] = new double[_m * _sizes[l]];
                _pre[l] = new double[_sizes[l] * _m];
                _delta[l] = new double[_m * _sizes[l]];
                _postGram[l] = new double[_m * _m];
            }
        }

        public void Sample(long trial, Span<double> measurement)
        {
            var m = _m;
            _weightSource.SampleWeights(trial, _weights);
            Gram(_post[0], _sizes[0], _postGram[0]);
            for (var l = 1; l <= _depth; l++)
            {
                int fanIn = _sizes[l - 1], width = _sizes[l];
                var weights = _weights.AsSpan(_offsets[l], width * fanIn);
                for (var i = 0; i < width; i++)
                    for (var a = 0; a < m; a++)
                    {
                        var z = _scales[l] * DenseSampler.Dot(weights.Slice(i * fanIn, fanIn), _post[l - 1].AsSpan(a * fanIn, fanIn));
                        _pre[l][i * m + a] = z;
                        _post[l][a * width + i] = z > 0 ? z : 0;
                    }
                Gram(_post[l], width, _postGram[l]);
            }
            for (var l = _depth; l >= 1; l--)
            {
                int width = _sizes[l], nextWidth = _sizes[l + 1];
                var next = _weights.AsSpan(_offsets[l + 1], nextWidth * width);
                for (var a = 0; a < m; a++)
                {
                    var target = _delta[l].AsSpan(a * width, width);
                    target.Clear();
                    for (var k = 0; k < nextWidth; k++)
                    {
                        var coefficient = l == _depth ? 1.0 : _delta[l + 1][a * nextWidth + k];
                        if (coefficient == 0) continue;
                        TensorPrimitives.FusedMultiplyAdd(next.Slice(k * width, width), coefficient, target, target);
                    }
                    for (var i = 0; i < width; i++) target[i] = _pre[l][i * m + a] > 0 ? _scales[l + 1] * target[i] : 0;
                }
            }
            var kernel = new double[m * m];
            var deltaGram = new double[m * m];
            var outputFactor = _scales[_depth + 1] * _scales[_depth + 1];
            for (var index = 0; index < m * m; index++) kernel[index] = outputFactor * _postGram[_depth][index];
            for (var l = 1; l <= _depth; l++)
            {
                var factor = _scales[l] * _scales[l];
                Gram(_delta[l], _sizes[l], deltaGram);
                for (var index = 0; index < m * m; index++) kernel[index] += factor * deltaGram[index] * _postGram[l - 1][index];
            }
            MeasurementWriter.BeginTrial(_layout, measurement);
            var counts = new int[m];
            for (var l = 1; l <= _depth; l++)
            {
                MeasurementWriter.WriteLayerActivity(_layout, l, _pre[l], _sizes[l], measurement, counts);
                if (_layout.HasConditionalCorrelator)
                    MeasurementWriter.WriteConditionalCorrelator(_layout, l, _postGram[l - 1], measurement);
            }
            MeasurementWriter.WriteKernel(_layout, kernel, new double[m * m + m], measurement);
        }

        private void Gram(ReadOnlySpan<double> vectors, int length, Span<double> gram)
        {
            for (var a = 0; a < _m; a++)
                for (var b = a; b < _m; b++)
                {
                    var value = DenseSampler.Dot(vectors.Slice(a * length, length), vectors.Slice(b * length, length));
                    gram[a * _m + b] = value;
                    gram[b * _m + a] = value;
                }
        }
    }
}
