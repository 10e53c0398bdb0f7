using System.Collections.Immutable;
using System.Numerics.Tensors;
using Ntk.Numerics.Engines;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Numerics.Tests;

/// <summary>
/// The register-blocked kernels of the dense engine and the blocked dense engine itself against the plain
/// one-pair-at-a-time implementation: bitwise where the summation order is the same (each path against the plain
/// implementation of its order), to 1e-12 between the panel path's order and the pairwise dot order.
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
                            var expected = DenseKernels.Dot(rows.AsSpan(r * rowStride, length), columns.AsSpan(c * columnStride, length));
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
                        AssertBitwise(DenseKernels.Dot(vectors.AsSpan(a * length, length), vectors.AsSpan(b * length, length)),
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
    public void Transposed_product_over_the_rows_with_a_nonzero_coefficient_equals_the_one_over_all_rows_bitwise()
    {
        var random = new Random(9);
        foreach (var width in new[] { 1, 3, 7, 8, 16, 17, 40, 64 })
        {
            foreach (var m in new[] { 1, 2 })
            {
                const int rowCount = 31;
                var weights = RandomValues(random, rowCount * width);
                var coefficients = RandomValues(random, m * rowCount);
                // Rows whose coefficients are all zero (dropped, as the dense engine drops a unit inactive for every
                // input), and rows with one zero coefficient (kept: the other input still reads them).
                for (var k = 0; k < rowCount; k += 3)
                    for (var a = 0; a < m; a++) coefficients[a * rowCount + k] = a == 0 ? 0.0 : -0.0;
                for (var k = 1; k < rowCount; k += 5) coefficients[(m - 1) * rowCount + k] = 0;
                var kept = new List<int>();
                for (var k = 0; k < rowCount; k++)
                    if (Enumerable.Range(0, m).Any(a => coefficients[a * rowCount + k] != 0)) kept.Add(k);
                var packed = new double[kept.Count * width];
                for (var j = 0; j < kept.Count; j++)
                    weights.AsSpan(kept[j] * width, width).CopyTo(packed.AsSpan(j * width, width));
                var expected = new double[m * width];
                DenseKernels.AccumulateTransposedProduct(weights, rowCount, width, coefficients, rowCount, m, expected);
                var actual = new double[m * width];
                DenseKernels.AccumulateTransposedRows(packed, kept.ToArray(), width, coefficients, rowCount, m, actual);
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
    public void Batched_dot_products_equal_Dot_one_by_one_bitwise_for_every_count_and_length()
    {
        // The conditional engine's Gram entries, Uᵀ Δ, QR norms and reflector products run as DotBatch chains.
        var random = new Random(23);
        var x = RandomValues(random, 400);
        var y = RandomValues(random, 400);
        for (var count = 0; count <= 9; count++)
            for (var length = 0; length <= 37; length++)
            {
                var xOffsets = new int[count];
                var yOffsets = new int[count];
                for (var j = 0; j < count; j++)
                {
                    xOffsets[j] = random.Next(400 - length + 1);
                    yOffsets[j] = random.Next(400 - length + 1);
                }
                var results = new double[count];
                SmallDenseLinearAlgebra.DotBatch(x, y, length, xOffsets, yOffsets, results);
                for (var j = 0; j < count; j++)
                    AssertBitwise(
                        SmallDenseLinearAlgebra.Dot(x.AsSpan(xOffsets[j], length), y.AsSpan(yOffsets[j], length)), results[j],
                        $"count {count}, length {length}, pair {j}");
            }
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SmallDenseLinearAlgebra.DotBatch(x, y, 10, new[] { 391 }, new[] { 0 }, new double[1]));
    }

    [Fact]
    public void Fused_double_axpy_equals_two_axpys_bitwise_at_every_length()
    {
        var random = new Random(24);
        for (var length = 0; length <= 41; length++)
        {
            var x0 = RandomValues(random, length);
            var x1 = RandomValues(random, length);
            var start = RandomValues(random, length);
            if (length > 2) (start[1], x0[1], x1[1]) = (0.0, -0.0, -0.0); // (+0 + −0) + −0 stays +0 either way
            var expected = (double[])start.Clone();
            SmallDenseLinearAlgebra.Axpy(0.37, x0, expected);
            SmallDenseLinearAlgebra.Axpy(-1.9, x1, expected);
            var actual = (double[])start.Clone();
            SmallDenseLinearAlgebra.Axpy2(0.37, x0, -1.9, x1, actual);
            for (var i = 0; i < length; i++) AssertBitwise(expected[i], actual[i], $"length {length}, element {i}");
        }
    }

    [Fact]
    public void Pivoted_QR_with_fused_sums_of_squares_equals_the_pass_by_pass_QR_bitwise()
    {
        // PivotedQr takes each step's sums of squares in the previous step's update pass; PivotedQrByPasses is the
        // implementation the conditional engine used before. Same factor, τ, pivots, norms and rank, bit for bit, also
        // with ties, a zero column, rank drops, wide matrices (rows < cols) and every tail length.
        var random = new Random(27);
        foreach (var rows in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 16, 17, 31, 64, 67, 256 })
            for (var cols = 1; cols <= 7; cols++)
                for (var kind = 0; kind < 4; kind++)
                {
                    var a = RandomValues(random, rows * cols);
                    if (kind == 1 && cols > 1) a.AsSpan(0, rows).CopyTo(a.AsSpan(rows)); // a tie: rank drop
                    if (kind == 2) a.AsSpan((cols - 1) * rows, rows).Clear(); // a zero column
                    if (kind == 3 && cols > 2)
                        for (var i = 0; i < rows; i++) a[2 * rows + i] = a[i] * 3 - a[rows + i]; // in the span of two
                    var expected = (double[])a.Clone();
                    double[] tauExpected = new double[cols], normsExpected = new double[cols];
                    var pivotsExpected = new int[cols];
                    var rankExpected = SmallDenseLinearAlgebra.PivotedQrByPasses(
                        expected, rows, cols, 1e-13, tauExpected, pivotsExpected, normsExpected);
                    double[] tau = new double[cols], norms = new double[cols];
                    var pivots = new int[cols];
                    var rank = SmallDenseLinearAlgebra.PivotedQr(a, rows, cols, 1e-13, tau, pivots, norms);
                    var context = $"rows {rows}, cols {cols}, kind {kind}";
                    Assert.Equal(rankExpected, rank);
                    Assert.Equal(pivotsExpected, pivots);
                    for (var e = 0; e < a.Length; e++) AssertBitwise(expected[e], a[e], $"{context}, factor {e}");
                    for (var k = 0; k < rank; k++) AssertBitwise(tauExpected[k], tau[k], $"{context}, tau {k}");
                }
    }

    [Fact]
    public void Fused_reflector_passes_equal_ApplyQ_bitwise_for_every_shape_including_zero_columns_and_identity_reflectors()
    {
        // The conditional engine's backward pass applies Q with ApplyQFused; it must give ApplyQ's bits, also for
        // columns that stay zero (w = 0: no update, signed zeros kept), reflectors with τ = 0 and short tails.
        var random = new Random(25);
        foreach (var rows in new[] { 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 31, 64, 67 })
            for (var cols = 1; cols <= Math.Min(rows, 6); cols++)
                foreach (var width in new[] { 1, 2, 3, 4, 5, 7 })
                {
                    var a = RandomValues(random, rows * cols);
                    if (cols > 2 && rows > 3) // a column with nothing below its diagonal after the first step: τ = 0 later
                        for (var i = 0; i < rows; i++) a[2 * rows + i] = i < 2 ? a[i] * 0.5 + i : 0;
                    var tau = new double[cols];
                    var rank = SmallDenseLinearAlgebra.PivotedQr(a, rows, cols, 1e-13, tau, new int[cols], new double[cols]);
                    var t = RandomValues(random, rows * width);
                    for (var i = 0; i < rows; i++) t[(width - 1) * rows + i] = width > 1 ? 0.0 : t[i]; // a zero column
                    if (width > 2)
                        for (var i = 0; i < rows; i++) t[rows + i] = i % 2 == 0 ? -0.0 : 0.0; // signed zeros
                    var expected = (double[])t.Clone();
                    SmallDenseLinearAlgebra.ApplyQ(a, rows, rank, tau, expected, width);
                    var fused = (double[])t.Clone();
                    SmallDenseLinearAlgebra.ApplyQFused(a, rows, rank, tau, fused, width);
                    for (var e = 0; e < t.Length; e++)
                        AssertBitwise(expected[e], fused[e], $"rows {rows}, cols {cols}, width {width}, element {e}");
                    if (width > 4) continue;

                    // The bottom rows rank.. filled from draws in the first pass (the engine's complement rows).
                    var bottomRows = rows - rank;
                    for (var drawCount = 0; drawCount <= 4; drawCount++)
                    {
                        var draws = RandomValues(random, drawCount * bottomRows);
                        var coefficients = RandomValues(random, 16);
                        if (drawCount > 0 && width > 1) coefficients[4] = -0.0; // column 1: a signed-zero product first
                        expected = (double[])t.Clone();
                        for (var c = 0; c < width; c++)
                        {
                            var bottom = expected.AsSpan(c * rows + rank, bottomRows);
                            bottom.Clear();
                            for (var j = 0; j < drawCount; j++)
                                SmallDenseLinearAlgebra.Axpy(coefficients[4 * c + j], draws.AsSpan(j * bottomRows, bottomRows), bottom);
                        }
                        SmallDenseLinearAlgebra.ApplyQ(a, rows, rank, tau, expected, width);
                        fused = (double[])t.Clone();
                        for (var c = 0; c < width; c++) fused.AsSpan(c * rows + rank, bottomRows).Fill(double.NaN); // not read
                        SmallDenseLinearAlgebra.FillBottomAndApplyQ(a, rows, rank, tau, fused, width, draws, drawCount, coefficients);
                        for (var e = 0; e < t.Length; e++)
                            AssertBitwise(expected[e], fused[e], $"rows {rows}, cols {cols}, width {width}, draws {drawCount}, element {e}");
                    }
                }
    }

    /// <summary>The fused dot product's order (FusedKernels remarks), written out element by element: 8 lane chains of
    /// fma over the rows below 8⌊n/8⌋, ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the tail by fma.</summary>
    private static double FusedDotReference(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        Span<double> lanes = stackalloc double[8];
        var blocks = x.Length / 8 * 8;
        for (var i = 0; i < blocks; i++) lanes[i % 8] = Math.FusedMultiplyAdd(x[i], y[i], lanes[i % 8]);
        var total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (var i = blocks; i < x.Length; i++) total = Math.FusedMultiplyAdd(x[i], y[i], total);
        return total;
    }

    [Fact]
    public void Fused_dot_products_follow_their_defined_order_bitwise_for_every_length_and_count()
    {
        var random = new Random(31);
        foreach (var length in new[] { 0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 255, 256, 1027 })
        {
            var x = RandomValues(random, 4 * length);
            var y = RandomValues(random, 4 * length);
            if (length > 5) x[5] = -0.0;
            for (var xCount = 0; xCount <= 4; xCount++)
                for (var yCount = 0; yCount <= 4; yCount++)
                {
                    var xOffsets = Enumerable.Range(0, xCount).Select(e => (3 - e) * length).ToArray(); // any order
                    var yOffsets = Enumerable.Range(0, yCount).Select(j => j * length).ToArray();
                    var results = new double[16];
                    FusedKernels.FusedProducts(x, xOffsets, y, yOffsets, yCount, length, results);
                    for (var e = 0; e < xCount; e++)
                        for (var j = 0; j < yCount; j++)
                            AssertBitwise(FusedDotReference(x.AsSpan(xOffsets[e], length), y.AsSpan(yOffsets[j], length)),
                                results[e * yCount + j], $"length {length}, {xCount} × {yCount}, pair {e},{j}");
                }
        }
    }

    [Fact]
    public void Fused_mask_combination_and_Gram_follow_their_defined_order_bitwise()
    {
        // FusedKernels.GateCombinationGram against T combined term by term (a_0 x_0, then fma), the mask per input and
        // the fused dot product per Gram entry.
        var random = new Random(28);
        foreach (var rows in new[] { 1, 2, 5, 7, 8, 9, 13, 64, 255, 256, 1027 })
            for (var m = 1; m <= 4; m++)
                for (var columns = 1; columns <= Math.Min(m, 4); columns++)
                {
                    var first = RandomValues(random, 4 * rows);
                    var second = RandomValues(random, 4 * rows);
                    var post = RandomValues(random, m * rows);
                    for (var e = 0; e < post.Length; e += 5) post[e] = e % 2 == 0 ? 0.0 : -0.0;
                    if (post.Length > 3) post[3] = double.NaN;
                    var termOffsets = new int[32];
                    var termCounts = new int[4];
                    var firstCounts = new int[4];
                    var coefficients = new double[32];
                    for (var c = 0; c < columns; c++)
                    {
                        // At most 4 terms half of the time: the pair kernel (m ≤ 2) takes those, and more go the general way.
                        termCounts[c] = 1 + random.Next(random.Next(2) == 0 ? 4 : 8);
                        firstCounts[c] = random.Next(termCounts[c] + 1);
                        for (var j = 0; j < termCounts[c]; j++)
                        {
                            termOffsets[c * 8 + j] = random.Next(4) * rows;
                            coefficients[c * 8 + j] = j == 1 ? 0.0 : random.NextDouble() * 2 - 1;
                        }
                    }
                    // input 1 shares column 0, input 2 is dead, input 3 has the last column
                    CheckGateCombinationGram(random, rows, m, columns, first, second, post, termOffsets, termCounts,
                        firstCounts, coefficients, new[] { 0, 0, -1, columns - 1 }[..m]);
                }
    }

    /// <summary>
    /// GateCombinationGram on one layout against T combined term by term (a_0 x_0, then fma), the mask per input, the
    /// fused dot product per Gram entry, and FusedProducts on δ for 0 to 4 basis columns.
    /// </summary>
    private static void CheckGateCombinationGram(Random random, int rows, int m, int columns, double[] first, double[] second,
        double[] post, int[] termOffsets, int[] termCounts, int[] firstCounts, double[] coefficients, int[] representativeOf)
    {
        var t = new double[columns * rows];
        for (var c = 0; c < columns; c++)
            for (var i = 0; i < rows; i++)
            {
                double Term(int j) => (j < firstCounts[c] ? first : second)[termOffsets[c * 8 + j] + i];
                var sum = coefficients[c * 8] * Term(0);
                for (var j = 1; j < termCounts[c]; j++) sum = Math.FusedMultiplyAdd(coefficients[c * 8 + j], Term(j), sum);
                t[c * rows + i] = sum;
            }
        var expected = new double[m * rows];
        for (var a = 0; a < m; a++)
            for (var i = 0; i < rows; i++)
                expected[a * rows + i] = representativeOf[a] >= 0 && post[a * rows + i] > 0 ? t[representativeOf[a] * rows + i] : 0.0;
        var delta = RandomValues(random, m * rows);
        var gram = new double[m * m];
        // The products with the next layer's basis columns (0 to 4 of them), against FusedProducts on δ.
        var basisCount = (rows + m + columns) % 5;
        var basis = RandomValues(random, basisCount * rows);
        var products = new double[16];
        FusedKernels.GateCombinationGram(first, second, termOffsets, termCounts, firstCounts, coefficients, columns,
            rows, m, representativeOf, post, delta, gram, basis, basisCount, products);
        var context = $"rows {rows}, m {m}, columns {columns}, {basisCount} basis columns";
        for (var e = 0; e < expected.Length; e++) AssertBitwise(expected[e], delta[e], $"{context}, delta {e}");
        var expectedProducts = new double[16];
        FusedKernels.FusedProducts(basis, Enumerable.Range(0, basisCount).Select(k => k * rows).ToArray(), expected,
            Enumerable.Range(0, m).Select(a => a * rows).ToArray(), m, rows, expectedProducts);
        for (var e = 0; e < basisCount * m; e++)
            AssertBitwise(expectedProducts[e], products[e], $"{context}, product {e / m},{e % m}");
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++)
                AssertBitwise(FusedDotReference(expected.AsSpan(Math.Min(a, b) * rows, rows), expected.AsSpan(Math.Max(a, b) * rows, rows)),
                    gram[a * m + b], $"{context}, Gram {a},{b}");
    }

    [Fact]
    public void Fused_mask_combination_and_Gram_follow_their_defined_order_bitwise_on_the_rank_four_layout()
    {
        // The Gram path's usual layout at m = 3, 4 (its own kernel): every column's terms are draw vectors X_0..X_{k−1}
        // (k = 1..4, shared prefixes) then the same four h vectors H_0..H_3; columns shared, permuted, an input dead.
        var random = new Random(29);
        var layouts = 0;
        foreach (var rows in new[] { 1, 7, 8, 9, 64, 255, 256, 1027 })
            for (var m = 3; m <= 4; m++)
                for (var trial = 0; trial < 6; trial++)
                {
                    var columns = 1 + random.Next(m);
                    var first = RandomValues(random, 4 * rows);
                    var second = RandomValues(random, 4 * rows);
                    var post = RandomValues(random, m * rows);
                    for (var e = 0; e < post.Length; e += 5) post[e] = e % 2 == 0 ? 0.0 : -0.0;
                    var termOffsets = new int[32];
                    var termCounts = new int[4];
                    var firstCounts = new int[4];
                    var coefficients = new double[32];
                    for (var c = 0; c < columns; c++)
                    {
                        firstCounts[c] = 1 + random.Next(4);
                        termCounts[c] = firstCounts[c] + 4;
                        for (var j = 0; j < termCounts[c]; j++)
                        {
                            termOffsets[c * 8 + j] = (j < firstCounts[c] ? j : j - firstCounts[c]) * rows;
                            coefficients[c * 8 + j] = j == 2 ? 0.0 : random.NextDouble() * 2 - 1;
                        }
                    }
                    var representativeOf = Enumerable.Range(0, m).Select(_ => random.Next(-1, columns)).ToArray();
                    if (representativeOf.All(r => r < 0)) representativeOf[0] = 0;
                    CheckGateCombinationGram(random, rows, m, columns, first, second, post, termOffsets, termCounts,
                        firstCounts, coefficients, representativeOf);
                    layouts++;
                }
        Assert.Equal(96, layouts);
    }

    [Fact]
    public void Fused_hidden_layer_assembly_follows_its_defined_order_bitwise()
    {
        // ConditionalGaussianSampler.AssembleHiddenLayer (m ≤ 4) against its order written out: U ← s·U, z_a = R_0a U_0
        // then fma(R_ka, U_k, ·) (+0 for a dead input or rank 0), h = relu(z), Gram by the fused dot product.
        var random = new Random(26);
        foreach (var width in new[] { 1, 3, 4, 5, 8, 9, 255, 256, 257, 260, 515, 1024 })
            for (var m = 1; m <= 4; m++)
                for (var rank = 0; rank <= m; rank++)
                {
                    var draws = RandomValues(random, rank * width);
                    var r = RandomValues(random, rank * m);
                    for (var k = 0; k < rank; k++) r[k * m + (k + 1) % m] = 0; // zero products (signed zeros)
                    var representatives = new int[m];
                    for (var a = 0; a < m; a++) representatives[a] = a == 2 ? -1 : a; // a dead input at m ≥ 3

                    var basis = draws.Select(u => u * 0.7).ToArray();
                    var z = new double[m * width];
                    var post = new double[m * width];
                    for (var a = 0; a < m; a++)
                        for (var i = 0; i < width; i++)
                        {
                            var sum = 0.0;
                            if (representatives[a] >= 0 && rank > 0)
                            {
                                sum = r[a] * basis[i];
                                for (var k = 1; k < rank; k++) sum = Math.FusedMultiplyAdd(r[k * m + a], basis[k * width + i], sum);
                            }
                            z[a * width + i] = sum;
                            post[a * width + i] = sum > 0 ? sum : 0.0;
                        }

                    var fusedBasis = (double[])draws.Clone();
                    var fusedPost = RandomValues(random, m * width);
                    var fusedGram = new double[m * m];
                    var words = (width + 63) / 64;
                    var fusedBits = Enumerable.Repeat(ulong.MaxValue, m * words + 1).ToArray(); // stale bits must go
                    ConditionalGaussianSampler.AssembleHiddenLayer(
                        fusedBasis, 0.7, rank, width, m, r, representatives, fusedPost, fusedGram, fusedBits);
                    var context = $"width {width}, m {m}, rank {rank}";
                    for (var e = 0; e < basis.Length; e++) AssertBitwise(basis[e], fusedBasis[e], $"{context}, U {e}");
                    // z is not stored: the activity is read from h, whose positive entries are exactly z's.
                    for (var e = 0; e < z.Length; e++) Assert.Equal(z[e] > 0, fusedPost[e] > 0);
                    // ... and the bit sets of ξ = 1[z > 0] it hands to the writer are the writer's own (bits past width clear).
                    var bits = new ulong[m * words];
                    for (var a = 0; a < m; a++)
                        MeasurementKernels.ActiveBits(z.AsSpan(a * width, width), bits.AsSpan(a * words, words));
                    for (var e = 0; e < bits.Length; e++) Assert.True(bits[e] == fusedBits[e], $"{context}, bit word {e}");
                    Assert.Equal(ulong.MaxValue, fusedBits[^1]);                    for (var e = 0; e < post.Length; e++) AssertBitwise(post[e], fusedPost[e], $"{context}, h {e}");
                    for (var a = 0; a < m; a++)
                        for (var b = 0; b < m; b++)
                            AssertBitwise(FusedDotReference(post.AsSpan(Math.Min(a, b) * width, width), post.AsSpan(Math.Max(a, b) * width, width)),
                                fusedGram[a * m + b], $"{context}, Gram {a},{b}");
                }
    }

    [Fact]
    public void Pair_assembly_gives_the_general_assembly_bits_and_the_fused_products_with_the_next_draws()
    {
        // ConditionalGaussianSampler.AssemblePair (m ≤ 2, AVX-512 only: the sampler takes AssembleHiddenLayer elsewhere)
        // against AssembleHiddenLayer on the same data, and its products of h with 0–2 draw columns against FusedProducts.
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Assert.Throws<ArgumentException>(() => ConditionalGaussianSampler.AssemblePair(
                new double[8], 1, 1, 8, 1, [1.0], [0], new double[8], new double[1], new ulong[1], default, 0, default));
            return; // the child runs without AVX-512 (VectorPathTests): the sampler does not call it there
        }
        var random = new Random(41);
        foreach (var width in new[] { 1, 7, 8, 9, 63, 64, 65, 255, 256, 1027 })
            for (var m = 1; m <= 2; m++)
                for (var rank = 0; rank <= m; rank++)
                    for (var projected = 0; projected <= 2; projected++)
                    {
                        var draws = RandomValues(random, rank * width);
                        var r = RandomValues(random, rank * m);
                        if (rank == 2) r[1] = 0; // a zero coefficient (signed-zero products)
                        var representatives = m == 2 && width % 2 == 1 ? new[] { 0, -1 } : Enumerable.Range(0, m).ToArray();
                        var next = RandomValues(random, projected * width);
                        var words = (width + 63) / 64;

                        var basis = (double[])draws.Clone();
                        var post = new double[m * width];
                        var gram = new double[m * m];
                        var bits = new ulong[m * words];
                        ConditionalGaussianSampler.AssembleHiddenLayer(basis, 0.7, rank, width, m, r, representatives, post, gram, bits);

                        var pairBasis = (double[])draws.Clone();
                        var pairPost = RandomValues(random, m * width);
                        var pairGram = new double[m * m];
                        var pairBits = Enumerable.Repeat(ulong.MaxValue, m * words).ToArray();
                        var projections = new double[4];
                        ConditionalGaussianSampler.AssemblePair(pairBasis, 0.7, rank, width, m, r, representatives, pairPost,
                            pairGram, pairBits, next, projected, projections);

                        var context = $"width {width}, m {m}, rank {rank}, {projected} draw columns";
                        for (var e = 0; e < basis.Length; e++) AssertBitwise(basis[e], pairBasis[e], $"{context}, U {e}");
                        for (var e = 0; e < post.Length; e++) AssertBitwise(post[e], pairPost[e], $"{context}, h {e}");
                        for (var e = 0; e < gram.Length; e++) AssertBitwise(gram[e], pairGram[e], $"{context}, Gram {e}");
                        Assert.Equal(bits, pairBits);
                        var expected = new double[4];
                        FusedKernels.FusedProducts(post, Enumerable.Range(0, m).Select(a => a * width).ToArray(), next,
                            Enumerable.Range(0, projected).Select(j => j * width).ToArray(), projected, width, expected);
                        for (var e = 0; e < m * projected; e++) AssertBitwise(expected[e], projections[e], $"{context}, product {e}");
                    }
    }

    [Fact]
    public void Input_major_activity_counts_equal_the_unit_major_ones_including_signed_zeros_and_NaN()
    {
        // The conditional engine hands z input-major to the writer; the vector compares must give the unit-major bits.
        var random = new Random(22);
        foreach (var (m, width) in new[] { (1, 1), (2, 63), (2, 64), (2, 65), (3, 127), (4, 1024), (5, 130), (33, 200) })
        {
            var layout = MeasurementLayout.For(m, 2, hasConditionalCorrelator: true);
            var unitMajor = RandomValues(random, width * m);
            for (var i = 0; i < unitMajor.Length; i += 7) unitMajor[i] = 0;
            for (var i = 3; i < unitMajor.Length; i += 11) unitMajor[i] = -0.0;
            for (var i = 5; i < unitMajor.Length; i += 13) unitMajor[i] = double.NaN;
            for (var i = 6; i < unitMajor.Length; i += 17) unitMajor[i] = double.Epsilon;
            var inputMajor = new double[width * m];
            for (var i = 0; i < width; i++)
                for (var a = 0; a < m; a++) inputMajor[a * width + i] = unitMajor[i * m + a];

            var expected = new double[layout.Count];
            var expectedActive = new int[m];
            MeasurementKernels.CountActivity(unitMajor, width, m, expectedActive, expected, layout, 2);
            var actual = new double[layout.Count];
            var actualActive = new int[m];
            MeasurementKernels.CountActivity(inputMajor, width, m, inputMajor: true, actualActive, actual, layout, 2);

            Assert.Equal(expectedActive, actualActive);
            for (var i = 0; i < expected.Length; i++) AssertBitwise(expected[i], actual[i], $"m {m}, width {width}, entry {i}");
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
                AssertBitwise(gate[i] > 0 ? gate[i] : 0, DenseKernels.Relu(gate[i]), $"scalar relu, element {i}");
            }
        }
    }

    [Fact]
    public void Panel_product_equals_the_plain_fused_multiply_add_chain_bitwise_for_every_shape()
    {
        output.WriteLine($"AVX-512 panel tiles: {PanelKernels.IsAccelerated}, Vector<double>: {System.Numerics.Vector<double>.Count}");
        var random = new Random(31);
        // Rows around the 6- and 4-row tiles, columns around the 32/16/8-column tiles and the scalar remainder, depths around
        // the 128-deep cache block; A row-major (forward) and transposed (backward, Gram); overwrite and accumulate.
        int[] rowCounts = [1, 4, 5, 6, 7, 8, 9, 10, 13, 14];
        int[] columnCounts = [1, 3, 8, 9, 16, 17, 24, 31, 32, 33, 40, 48, 72];
        int[] depths = [0, 1, 5, 128, 129, 300];
        foreach (var rowCount in rowCounts)
            foreach (var columnCount in columnCounts)
                foreach (var depth in depths)
                    foreach (var transposed in new[] { false, true })
                        foreach (var accumulate in new[] { false, true })
                        {
                            var (rowStride, depthStride) = transposed ? (1, rowCount + 2) : (depth + 3, 1);
                            var a = RandomValues(random, Math.Max(1, (rowCount - 1) * rowStride + Math.Max(0, depth - 1) * depthStride + 1));
                            var bStride = columnCount + 1;
                            var b = RandomValues(random, Math.Max(1, depth * bStride));
                            var cStride = columnCount + 4;
                            var initial = RandomValues(random, rowCount * cStride);
                            var actual = (double[])initial.Clone();
                            PanelKernels.Multiply(a, rowStride, depthStride, b, bStride, actual, cStride, rowCount, columnCount, depth, accumulate);
                            for (var i = 0; i < rowCount; i++)
                            {
                                for (var j = 0; j < columnCount; j++)
                                {
                                    var expected = accumulate ? initial[i * cStride + j] : 0.0;
                                    for (var k = 0; k < depth; k++)
                                        expected = Math.FusedMultiplyAdd(a[i * rowStride + k * depthStride], b[k * bStride + j], expected);
                                    AssertBitwise(expected, actual[i * cStride + j],
                                        $"{rowCount}×{columnCount}×{depth}, transposed {transposed}, accumulate {accumulate}, ({i},{j})");
                                }
                                for (var j = columnCount; j < cStride; j++)
                                    AssertBitwise(initial[i * cStride + j], actual[i * cStride + j], $"padding ({i},{j}) untouched");
                            }
                        }
    }

    [Fact]
    public void Panel_Gram_equals_the_plain_chain_bitwise_for_panel_major_matrices()
    {
        var random = new Random(17);
        foreach (var m in new[] { 1, 7, 8, 9, 24, 32, 33, 40, 65, 72 })
        {
            var stride = (m + 7) / 8 * 8;
            foreach (var rows in new[] { 0, 1, 7, 130 })
            {
                // H (rows × m) in panel-major layout, padding columns zero.
                var values = RandomValues(random, rows * m);
                var matrix = new double[rows * stride];
                for (var i = 0; i < rows; i++)
                    for (var a = 0; a < m; a++)
                        matrix[PanelKernels.PanelIndex(rows, stride, i, a)] = values[i * m + a];
                var gram = new double[m * m];
                PanelKernels.Gram(matrix, rows, stride, m, gram, new double[stride * stride]);
                for (var a = 0; a < m; a++)
                    for (var b = 0; b < m; b++)
                    {
                        var expected = 0.0;
                        for (var i = 0; i < rows; i++) expected = Math.FusedMultiplyAdd(values[i * m + a], values[i * m + b], expected);
                        AssertBitwise(expected, gram[a * m + b], $"m {m}, rows {rows}, ({a},{b})");
                    }
            }
        }
    }

    /// <summary>
    /// Nets whose widths sit around the tiles and blocks of both paths: the dot-product tiles (4 rows, 4 inputs,
    /// 16 elements, 4096-weight blocks) for m &lt; 8, the panel tiles (6 rows; 32/16/8 inputs; panels of 32 inputs;
    /// 128-deep k blocks; 16384-weight row blocks) for m ≥ 8; all five laws; input 2 tied to input 0 when m ≥ 3.
    /// </summary>
    private static readonly (int InputDim, int[] Widths, string Law, int Inputs)[] DenseNets =
    [
        (5, [7, 3, 6], "laplace", 2),
        (10, [64], "gaussian", 2),
        (3, [33, 17], "uniform", 5),
        (12, [40, 40, 9], "gaussian", 7),
        (70, [130, 66], "gaussian", 4),
        (9, [2, 5], "rademacher", 3),
        (16, [24, 24], "student-t:5", 1),
        (20, [50, 19], "gaussian", 9),
        (5, [7, 13], "laplace", 8),
        (129, [130, 61], "gaussian", 9),
        (33, [40, 37], "uniform", 33),
        (20, [50, 19, 25], "rademacher", 48),
        (70, [131, 66], "student-t:5", 17),
        (12, [30, 260, 7], "gaussian", 70),
    ];

    public static TheoryData<int> DenseCases => new(Enumerable.Range(0, DenseNets.Length));

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void Dense_sampler_equals_the_plain_implementation_of_its_summation_order_bitwise(int caseIndex)
    {
        var point = DensePoint(caseIndex);
        var chainOrder = point.Inputs.Count >= DenseSampler.PanelFromInputCount;
        output.WriteLine($"summation order: {(chainOrder ? "fused multiply-add chain (panel path)" : "Dot (pair path)")}");
        var sampler = new DenseSampler(point);
        var reference = new PlainDenseSampler(point, chainOrder);
        var actual = new double[sampler.Layout.Count];
        var expected = new double[sampler.Layout.Count];
        for (var trial = 0; trial < 3; trial++)
        {
            sampler.Sample(trial, actual);
            reference.Sample(trial, expected);
            for (var i = 0; i < expected.Length; i++) AssertBitwise(expected[i], actual[i], $"trial {trial}, statistic {i}");
        }
    }

    /// <summary>
    /// K entries agree to this fraction of √(K_aa K_bb), λ_max to this fraction of itself and λ_min to this fraction of
    /// λ_max (eigenvalues move by at most ‖ΔK‖₂), the other statistics to this fraction of themselves. The two orders
    /// differ by reordered sums of ≤ 260 products: ≲ 260 ε ≈ 6e-14 of the magnitudes in the worst case.
    /// </summary>
    private const double OrderTolerance = 1e-12;

    [Theory]
    [MemberData(nameof(DenseCases))]
    public void Dense_sampler_agrees_with_the_pairwise_dot_implementation_to_1e_12(int caseIndex)
    {
        var point = DensePoint(caseIndex);
        var layout = point.Layout;
        var sampler = new DenseSampler(point);
        var reference = new PlainDenseSampler(point, chainOrder: false);
        var actual = new double[layout.Count];
        var expected = new double[layout.Count];
        var worst = 0.0;
        for (var trial = 0; trial < 3; trial++)
        {
            sampler.Sample(trial, actual);
            reference.Sample(trial, expected);
            var lambdaMax = expected[layout.LambdaMaxIndex];
            for (var i = 0; i < expected.Length; i++)
            {
                var key = layout.Keys[i];
                var scale = key.Kind switch
                {
                    StatisticKind.Ntk => Math.Sqrt(expected[layout.Ntk(key.A, key.A)] * expected[layout.Ntk(key.B, key.B)]),
                    StatisticKind.LambdaMin => Math.Abs(lambdaMax),
                    // κ = λ_max/λ_min moves by κ² ‖ΔK‖/λ_max to first order; both are the cap when K is singular.
                    StatisticKind.Condition => expected[i] * expected[i],
                    _ => Math.Abs(expected[i]),
                };
                var difference = Math.Abs(actual[i] - expected[i]);
                if (difference > 0) worst = Math.Max(worst, difference / scale);
                if (!(difference <= OrderTolerance * scale))
                    Assert.Fail($"trial {trial}, {key}: {actual[i]:R}, the pairwise dot implementation gives {expected[i]:R}");
            }
        }
        output.WriteLine($"largest difference: {worst:E2} of the scale");
    }

    private PointDefinition DensePoint(int caseIndex)
    {
        var (inputDim, widths, lawName, inputCount) = DenseNets[caseIndex];
        const ulong seed = 4242;
        var random = new Random(caseIndex);
        var values = RandomValues(random, inputCount * inputDim);
        if (inputCount >= 3) values.AsSpan(0, inputDim).CopyTo(values.AsSpan(2 * inputDim, inputDim)); // a tied input
        output.WriteLine($"case {caseIndex}: n0 {inputDim}, widths {string.Join("x", widths)}, {lawName}, m {inputCount}, seed {seed}");
        return new PointDefinition(3, new NetworkSpec(inputDim, [.. widths], WeightLaw.Parse(lawName)),
            new InputSet(inputDim, [.. values]), EngineKind.Dense, seed);
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
    /// The plain dense engine: all weights drawn in one fill, z by one inner product per (unit, input), δ by one fused
    /// axpy per (input, next unit), Grams pair by pair. Inner products are <see cref="DenseKernels.Dot"/> (the pair
    /// path's order, and the only order before the panel path) or, with <c>chainOrder</c>, one fused multiply-add chain
    /// in increasing index (the panel path's order).
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
        private readonly bool _chainOrder;

        public PlainDenseSampler(PointDefinition point, bool chainOrder)
        {
            _chainOrder = chainOrder;
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
                        var z = _scales[l] * Inner(weights.Slice(i * fanIn, fanIn), _post[l - 1].AsSpan(a * fanIn, fanIn));
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
                {
                    MeasurementWriter.WriteConditionalCorrelator(_layout, l, _postGram[l - 1], measurement);
                    MeasurementWriter.WritePatternEqualCond(_layout, l, _postGram[l - 1], _sizes[l], measurement);
                }
            }
            MeasurementWriter.WriteKernel(_layout, kernel, new double[m * m + m], measurement);
        }

        private double Inner(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
        {
            if (!_chainOrder) return DenseKernels.Dot(x, y);
            var sum = 0.0;
            for (var i = 0; i < x.Length; i++) sum = Math.FusedMultiplyAdd(x[i], y[i], sum);
            return sum;
        }

        private void Gram(ReadOnlySpan<double> vectors, int length, Span<double> gram)
        {
            for (var a = 0; a < _m; a++)
                for (var b = a; b < _m; b++)
                {
                    var value = Inner(vectors.Slice(a * length, length), vectors.Slice(b * length, length));
                    gram[a * _m + b] = value;
                    gram[b * _m + a] = value;
                }
        }
    }
}
