using System.Runtime.CompilerServices;
using Ntk.Numerics.LinearAlgebra;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Networks;
using Ntk.Numerics.Randomness;

namespace Ntk.Numerics.Engines;

/// <summary>
/// The dense engine: materializes every weight of trial t's network and computes its empirical NTK exactly, for any
/// weight law. Cost O(m Σ n_l n_{l−1}) per network for m inputs; all buffers are allocated once, in the constructor.
/// </summary>
/// <remarks>
/// <para>Trial t draws Ŵ^1, …, Ŵ^{L+1} from <c>RandomStream.For(seed, point, t)</c> layer by layer, each n_l × n_{l−1}
/// matrix row-major (the same numbers as one fill of all weights: <see cref="SampleWeights"/>). Forward:
/// z^l = √(2/n_{l−1}) Ŵ^l h^{l−1}, h^l = relu(z^l), h^0 = x. Backward: δ^{L+1} = 1, δ^l = ξ^l ⊙ (W^{l+1})ᵀ δ^{l+1}
/// with ξ^l = 1[z^l &gt; 0]. Kernel (docs/science.md §2): K_ab = Σ_{l=1}^{L+1} (2/n_{l−1}) (δ^l_a · δ^l_b)(h^{l−1}_a · h^{l−1}_b).</para>
/// <para>Speed (docs/performance.md): the weights of a layer are drawn in blocks of rows (32 KB, or 128 KB for the
/// panel path) and multiplied while the block is still in the L1/L2 cache (layer 1's block is never stored: only
/// W^2..W^{L+1} are needed again in the backward pass, which reads each of them once for all m inputs; with m ≤ 2 only
/// the rows of W^2..W^L whose unit is active for some input are kept, packed: docs/performance.md §3c). The block size
/// never changes the numbers: the stream is filled in the same order either way.</para>
/// <para>Two summation orders, both fixed by this code and independent of the machine's vector width, so a trial's
/// measurement is bitwise the same on every x64/Arm64 node:</para>
/// <list type="bullet">
/// <item>m &lt; <see cref="PanelFromInputCount"/> (pair inputs): every z is one <see cref="DenseKernels.Dot"/>
/// (two 4-lane accumulators, fixed horizontal sum), computed by the dot-product tiles of <see cref="DenseKernels"/>;
/// bitwise the plain one-pair-at-a-time implementation and every earlier run.</item>
/// <item>m ≥ <see cref="PanelFromInputCount"/>: the products are matrix–matrix products (<see cref="PanelKernels"/>)
/// in which every z, δ and Gram entry is one fused multiply-add chain in increasing k; bitwise the plain triple loop
/// with that order. The backward chain is the same as the pair path's; z and the Gram entries differ from the pair
/// path's order by rounding (≤ 1e-12 relative; SimdKernelTests).</item>
/// </list>
/// </remarks>
public sealed class DenseSampler : ITrialSampler
{
    /// <summary>Doubles per block of weight rows drawn and consumed together (32 KB, within L1/L2).</summary>
    private const int BlockDoubles = 4096;

    /// <summary>Doubles per block of weight rows on the panel path (128 KB: stays in L2 while each panel of H passes).</summary>
    private const int PanelBlockDoubles = 16384;

    /// <summary>From this many inputs on, the products are the matrix–matrix products of <see cref="PanelKernels"/>.</summary>
    internal const int PanelFromInputCount = 8;

    /// <summary>
    /// Up to this many inputs the forward pass keeps only the weight rows the backward pass reads (see
    /// <see cref="Forward"/>): their backward product skips zero coefficients row by row, so dropping the rows whose
    /// coefficients are all zero changes nothing.
    /// </summary>
    internal const int PackedUpToInputCount = 2;

    private readonly PointDefinition _point;
    private readonly WeightLaw _law;
    private readonly int _depth;
    private readonly int _inputCount;
    private readonly int[] _sizes;          // n_0 .. n_{L+1}
    private readonly double[] _scales;      // _scales[l] = √(2/n_{l−1}), l = 1..L+1
    private readonly int[] _weightOffsets;  // start of Ŵ^l in _weights, l = 2..L+1 (layer 1 is not stored)
    private readonly double[] _weights;     // unscaled Ŵ^2..Ŵ^{L+1}, draw order
    private readonly int _firstLayerBlockRows;
    private readonly double[] _firstLayerBlock; // rows of Ŵ^1, one block at a time
    private readonly double[][] _post;      // _post[l]: h^l input-major (m × n_l), l = 0..L; _post[0] = x
    private readonly double[][] _pre;       // _pre[l]: z^l unit-major (n_l × m), l = 1..L
    private readonly double[][] _delta;     // _delta[l]: δ^l input-major (m × n_l), l = 1..L
    private readonly double[][] _postGram;  // _postGram[l]: HᵀH of h^l (m × m), l = 0..L
    private readonly double[] _outputDelta; // δ^{L+1} = 1, m × n_{L+1}
    private readonly double[] _deltaGram;   // m × m scratch
    private readonly double[] _kernel;      // m × m
    private readonly double[] _workspace;   // m² + m, for the eigenvalues
    private readonly int[] _counts;         // m
    // Panel path (m ≥ PanelFromInputCount): n_l × stride matrices (stride = m rounded up to 8), panel-major
    // (PanelKernels.PanelColumns: columns in panels of 32, each row-major; plain unit-major when stride ≤ 32). The
    // padding columns m .. stride − 1 are zero throughout (zero inputs, zero chains, relu(0) = 0, gated δ = 0).
    private readonly bool _panel;
    private readonly int _stride;
    private readonly int _panelCount;
    private readonly double[][] _postRows;  // _postRows[l]: h^l (n_l × stride), l = 0..L
    private readonly double[][] _preRows;   // _preRows[l]: z^l unit-major (n_l × stride, NOT panel-major), l = 1..L
    private readonly double[][] _deltaRows; // _deltaRows[l]: δ^l (n_l × stride), l = 1..L+1 (L+1: ones)
    private readonly double[] _gramScratch; // stride × stride
    // Pair path with m ≤ 2 (PackedFromInputCount): only the rows of Ŵ^l (l = 2..L) whose unit is active for some input
    // are kept, packed in draw order from _weightOffsets[l]; _storedRows[l][..._storedCounts[l]] are their indices.
    private readonly bool _packed;
    private readonly int[][] _storedRows;
    private readonly int[] _storedCounts;

    public DenseSampler(PointDefinition point)
    {
        _point = point ?? throw new ArgumentNullException(nameof(point));
        Layout = point.Layout;
        var network = point.Network;
        _law = network.Law;
        _depth = network.Depth;
        _inputCount = point.Inputs.Count;
        var m = _inputCount;

        _sizes = new int[_depth + 2];
        for (var l = 0; l <= _depth + 1; l++) _sizes[l] = network.LayerSize(l);
        _scales = new double[_depth + 2];
        _weightOffsets = new int[_depth + 2];
        long offset = 0;
        WeightCount = 0;
        for (var l = 1; l <= _depth + 1; l++)
        {
            _scales[l] = Math.Sqrt(2.0 / _sizes[l - 1]);
            var count = (long)_sizes[l] * _sizes[l - 1];
            WeightCount = checked(WeightCount + (int)count);
            if (l == 1) continue;
            _weightOffsets[l] = checked((int)offset);
            offset += count;
        }
        if (offset > Array.MaxLength)
            throw new ArgumentException($"network: {offset} weights do not fit in one array", nameof(point));
        _weights = new double[offset];
        _panel = m >= PanelFromInputCount;
        _stride = _panel ? (m + 7) / 8 * 8 : m;
        _firstLayerBlockRows = BlockRows(_sizes[0], _sizes[1]);
        _firstLayerBlock = new double[_firstLayerBlockRows * _sizes[0]];

        _post = new double[_depth + 1][];
        _postGram = new double[_depth + 1][];
        _pre = new double[_depth + 1][];
        _delta = new double[_depth + 1][];
        _postRows = new double[_depth + 1][];
        _preRows = new double[_depth + 1][];
        _deltaRows = new double[_depth + 2][];
        _storedRows = new int[_depth + 2][];
        _storedCounts = new int[_depth + 2];
        _packed = !_panel && m is >= 1 and <= PackedUpToInputCount;
        for (var l = 0; l <= _depth + 1; l++) _storedRows[l] = _packed && l >= 2 && l <= _depth ? new int[_sizes[l]] : [];
        _postGram[0] = new double[m * m];
        _pre[0] = [];
        _delta[0] = [];
        for (var l = 1; l <= _depth; l++)
        {
            _pre[l] = new double[_sizes[l] * m];
            _postGram[l] = new double[m * m];
        }
        _deltaGram = new double[m * m];
        _kernel = new double[m * m];
        _workspace = new double[m * m + m];
        _counts = new int[m];
        var inputs = point.Inputs.Values.AsSpan();
        if (_panel)
        {
            var stride = _stride;
            _panelCount = (stride + PanelKernels.PanelWidth - 1) / PanelKernels.PanelWidth;
            _post[0] = [];
            _outputDelta = [];
            _postRows[0] = new double[_sizes[0] * stride];
            for (var a = 0; a < m; a++)
                for (var i = 0; i < _sizes[0]; i++)
                    _postRows[0][PanelKernels.PanelIndex(_sizes[0], stride, i, a)] = inputs[a * _sizes[0] + i];
            for (var l = 1; l <= _depth; l++)
            {
                _post[l] = [];
                _delta[l] = [];
                _postRows[l] = new double[_sizes[l] * stride];
                // z is unit-major with rows of stride values: with m = stride it is the compact z the writer reads.
                _preRows[l] = stride == m ? _pre[l] : new double[_sizes[l] * stride];
                _deltaRows[l] = new double[_sizes[l] * stride];
            }
            var outputWidth = _sizes[_depth + 1];
            _deltaRows[_depth + 1] = new double[outputWidth * stride];
            for (var k = 0; k < outputWidth; k++)
                for (var a = 0; a < m; a++)
                    _deltaRows[_depth + 1][PanelKernels.PanelIndex(outputWidth, stride, k, a)] = 1.0;
            _gramScratch = new double[stride * stride];
            PanelKernels.Gram(_postRows[0], _sizes[0], stride, m, _postGram[0], _gramScratch);
        }
        else
        {
            _post[0] = inputs.ToArray();
            for (var l = 1; l <= _depth; l++)
            {
                _post[l] = new double[m * _sizes[l]];
                _delta[l] = new double[m * _sizes[l]];
            }
            _outputDelta = new double[m * _sizes[_depth + 1]];
            _outputDelta.AsSpan().Fill(1.0);
            _gramScratch = [];
            // h^0 = x is the same in every trial.
            DenseKernels.Gram(_post[0], _sizes[0], m, _postGram[0]);
        }
    }

    public MeasurementLayout Layout { get; }

    /// <summary>Number of unscaled weights Ŵ one network draws (Σ_{l=1}^{L+1} n_l n_{l−1}).</summary>
    internal int WeightCount { get; }

    /// <summary>
    /// Writes trial <paramref name="trial"/>'s unscaled weights Ŵ in draw order (layer 1..L+1, each n_l × n_{l−1}
    /// row-major) into <paramref name="weights"/> (length <see cref="WeightCount"/>). These are the weights
    /// <see cref="Sample"/> uses.
    /// </summary>
    internal void SampleWeights(long trial, Span<double> weights)
    {
        if (weights.Length != WeightCount)
            throw new ArgumentException($"weights: need exactly {WeightCount} values", nameof(weights));
        var stream = RandomStream.For(_point.MasterSeed, _point.PointIndex, trial);
        stream.Fill(_law, weights);
    }

    public void Sample(long trial, Span<double> measurement)
    {
        if (measurement.Length < Layout.Count)
            throw new ArgumentException($"measurement: need {Layout.Count} values", nameof(measurement));
        var stream = RandomStream.For(_point.MasterSeed, _point.PointIndex, trial);
        if (_panel)
        {
            PanelForward(ref stream);
            PanelBackward();
        }
        else
        {
            Forward(ref stream);
            Backward();
        }
        AssembleKernel();

        MeasurementWriter.BeginTrial(Layout, measurement);
        for (var l = 1; l <= _depth; l++)
        {
            MeasurementWriter.WriteLayerActivity(Layout, l, _pre[l], _sizes[l], measurement, _counts);
            if (Layout.HasConditionalCorrelator || Layout.HasConditionalPattern)
                MeasurementWriter.WriteConditionalStatistics(Layout, l, _postGram[l - 1], _sizes[l], measurement);
        }
        MeasurementWriter.WriteKernel(Layout, _kernel, _workspace, measurement);
    }

    /// <summary>
    /// Rows per block: about <see cref="BlockDoubles"/> weights, a multiple of 4 (the dot-product tile), ≥ 4; on the
    /// panel path about <see cref="PanelBlockDoubles"/>, a multiple of 6 (the panel tile), ≥ 6.
    /// </summary>
    private int BlockRows(int fanIn, int width) => _panel
        ? Math.Min(width, Math.Max(6, PanelBlockDoubles / Math.Max(1, fanIn) / 6 * 6))
        : Math.Min(width, Math.Max(4, BlockDoubles / Math.Max(1, fanIn) / 4 * 4));

    /// <summary>
    /// Draws Ŵ^1..Ŵ^{L+1} and computes z^l, h^l for l = 1..L and the Gram matrices of h^1..h^L. The output z^{L+1}
    /// is not needed for K; Ŵ^{L+1} is only drawn and stored for the backward pass.
    /// </summary>
    private void Forward(ref RandomStream stream)
    {
        var m = _inputCount;
        for (var l = 1; l <= _depth; l++)
        {
            int fanIn = _sizes[l - 1], width = _sizes[l];
            var scale = _scales[l];
            var previous = _post[l - 1];
            var pre = _pre[l];
            var post = _post[l];
            var blockRows = l == 1 ? _firstLayerBlockRows : BlockRows(fanIn, width);
            var pack = _packed && l >= 2;
            var storedRows = _storedRows[l];
            var stored = 0;
            for (var first = 0; first < width; first += blockRows)
            {
                var rows = Math.Min(blockRows, width - first);
                // Packed: the block is drawn right after the rows kept so far, over the slots of rows dropped before.
                var block = l == 1
                    ? _firstLayerBlock.AsSpan(0, rows * fanIn)
                    : _weights.AsSpan(_weightOffsets[l] + (pack ? stored : first) * fanIn, rows * fanIn);
                stream.Fill(_law, block);
                var z = pre.AsSpan(first * m, rows * m);
                DenseKernels.DotProducts(block, fanIn, rows, previous, fanIn, m, fanIn, z, m);
                var kept = 0;
                for (var r = 0; r < rows; r++)
                {
                    var i = first + r;
                    ulong active = 0;
                    for (var a = 0; a < m; a++)
                    {
                        var value = scale * z[r * m + a];
                        z[r * m + a] = value;
                        post[a * width + i] = DenseKernels.Relu(value); // value > 0 ? value : 0
                        active |= DenseKernels.ActiveBit(value);
                    }
                    if (!pack || active == 0) continue;
                    // Unit i is active for some input: the backward pass reads row i of Ŵ^l (δ^l_i ≠ 0 is possible).
                    // A unit inactive for every input has δ^l_i = +0 for all of them, and its row is skipped there.
                    if (kept != r) block.Slice(r * fanIn, fanIn).CopyTo(block.Slice(kept * fanIn, fanIn));
                    storedRows[stored + kept] = i;
                    kept++;
                }
                stored += kept;
            }
            _storedCounts[l] = stored;
            DenseKernels.Gram(post, width, m, _postGram[l]);
        }
        var last = _depth + 1;
        stream.Fill(_law, _weights.AsSpan(_weightOffsets[last], _sizes[last] * _sizes[last - 1]));
    }

    /// <summary>δ^l for l = L..1, input-major, from δ^{L+1} = 1: one pass over each W^{l+1} for all m inputs.</summary>
    private void Backward()
    {
        var m = _inputCount;
        for (var l = _depth; l >= 1; l--)
        {
            int width = _sizes[l], nextWidth = _sizes[l + 1];
            var nextWeights = _weights.AsSpan(_weightOffsets[l + 1], nextWidth * width);
            var scale = _scales[l + 1];
            var delta = _delta[l];
            var pre = _pre[l];
            // δ^{L+1} = 1; deeper δ are zero on inactive units, whose rows contribute nothing.
            var coefficients = l == _depth ? _outputDelta : _delta[l + 1];
            delta.AsSpan().Clear();
            if (_packed && l < _depth)
                DenseKernels.AccumulateTransposedRows(nextWeights, _storedRows[l + 1].AsSpan(0, _storedCounts[l + 1]),
                    width, coefficients, nextWidth, m, delta);
            else
                DenseKernels.AccumulateTransposedProduct(nextWeights, nextWidth, width, coefficients, nextWidth, m, delta);
            for (var a = 0; a < m; a++)
            {
                var target = delta.AsSpan(a * width, width);
                // pre > 0 ? scale·target : +0, without a branch (the signs are random).
                for (var i = 0; i < width; i++)
                    target[i] = BitConverter.Int64BitsToDouble(
                        BitConverter.DoubleToInt64Bits(scale * target[i]) & -(long)DenseKernels.ActiveBit(pre[i * m + a]));
            }
        }
    }

    /// <summary>K_ab = Σ_l (2/n_{l−1}) (δ^l_a·δ^l_b)(h^{l−1}_a·h^{l−1}_b), with δ^{L+1} = 1 (docs/science.md §2).</summary>
    private void AssembleKernel()
    {
        var m = _inputCount;
        var kernel = _kernel.AsSpan();
        // Output layer: δ^{L+1}_a·δ^{L+1}_b = 1.
        var outputFactor = _scales[_depth + 1] * _scales[_depth + 1];
        var lastGram = _postGram[_depth];
        for (var index = 0; index < m * m; index++) kernel[index] = outputFactor * lastGram[index];
        for (var l = 1; l <= _depth; l++)
        {
            var factor = _scales[l] * _scales[l];
            if (_panel) PanelKernels.Gram(_deltaRows[l], _sizes[l], _stride, m, _deltaGram, _gramScratch);
            else DenseKernels.Gram(_delta[l], _sizes[l], m, _deltaGram);
            var previousGram = _postGram[l - 1];
            for (var index = 0; index < m * m; index++)
                kernel[index] += factor * _deltaGram[index] * previousGram[index];
        }
    }

    /// <summary>
    /// The panel path's forward pass: per block of rows of Ŵ^l and per panel of 32 inputs, Z = Ŵ H^{l−1} by
    /// <see cref="PanelKernels.Multiply"/> (one fused multiply-add chain per entry), z = √(2/n_{l−1}) Z, h = relu(z);
    /// then the Gram matrix of h^l. Draws exactly the numbers of <see cref="Forward"/>, in the same order.
    /// </summary>
    private void PanelForward(ref RandomStream stream)
    {
        var m = _inputCount;
        var stride = _stride;
        const int panelWidth = PanelKernels.PanelWidth;
        for (var l = 1; l <= _depth; l++)
        {
            int fanIn = _sizes[l - 1], width = _sizes[l];
            var scale = _scales[l];
            var previous = _postRows[l - 1];
            var pre = _preRows[l];
            var post = _postRows[l];
            var blockRows = l == 1 ? _firstLayerBlockRows : BlockRows(fanIn, width);
            for (var first = 0; first < width; first += blockRows)
            {
                var rows = Math.Min(blockRows, width - first);
                var block = l == 1
                    ? _firstLayerBlock.AsSpan(0, rows * fanIn)
                    : _weights.AsSpan(_weightOffsets[l] + first * fanIn, rows * fanIn);
                stream.Fill(_law, block);
                var z = pre.AsSpan(first * stride, rows * stride);
                for (var panel = 0; panel < _panelCount; panel++)
                {
                    var columns = PanelKernels.PanelColumns(stride, panel);
                    var input = previous.AsSpan(fanIn * panelWidth * panel, fanIn * columns);
                    PanelKernels.Multiply(block, fanIn, 1, input, columns, z[(panelWidth * panel)..], stride,
                        rows, columns, fanIn, accumulate: false);
                    // z ← scale · z in place and h = relu(z) into the panel (the scalar product, then z > 0 ? z : +0).
                    var panelStart = width * panelWidth * panel;
                    for (var r = 0; r < rows; r++)
                        PanelKernels.ScaleAndRelu(z.Slice(r * stride + panelWidth * panel, columns), scale,
                            post.AsSpan(panelStart + (first + r) * columns, columns));
                }
            }
            if (pre != _pre[l])
            {
                var compact = _pre[l];
                for (var i = 0; i < width; i++) pre.AsSpan(i * stride, m).CopyTo(compact.AsSpan(i * m, m));
            }
            PanelKernels.Gram(post, width, stride, m, _postGram[l], _gramScratch);
        }
        var last = _depth + 1;
        stream.Fill(_law, _weights.AsSpan(_weightOffsets[last], _sizes[last] * _sizes[last - 1]));
    }

    /// <summary>
    /// The panel path's backward pass: δ^l = ξ^l ⊙ √(2/n_l) (Ŵ^{l+1})ᵀ δ^{l+1} for l = L..1, with δ^{L+1} = 1. Each entry
    /// is the fused multiply-add chain in increasing k of <see cref="Backward"/>. Rows of Ŵ^{l+1} are taken
    /// <see cref="PanelKernels.DepthBlock"/> at a time for every panel of inputs, so each block (≤ 512 KB at n = 512)
    /// is read from memory once and from L2 by the other panels.
    /// </summary>
    private void PanelBackward()
    {
        var stride = _stride;
        const int panelWidth = PanelKernels.PanelWidth;
        for (var l = _depth; l >= 1; l--)
        {
            int width = _sizes[l], nextWidth = _sizes[l + 1];
            var nextWeights = _weights.AsSpan(_weightOffsets[l + 1], nextWidth * width);
            var coefficients = _deltaRows[l + 1];
            var delta = _deltaRows[l].AsSpan();
            for (var k0 = 0; k0 < nextWidth; k0 += PanelKernels.DepthBlock)
            {
                var depth = Math.Min(PanelKernels.DepthBlock, nextWidth - k0);
                for (var panel = 0; panel < _panelCount; panel++)
                {
                    var columns = PanelKernels.PanelColumns(stride, panel);
                    PanelKernels.Multiply(nextWeights[(k0 * width)..], 1, width,
                        coefficients.AsSpan(nextWidth * panelWidth * panel + k0 * columns, depth * columns), columns,
                        delta.Slice(width * panelWidth * panel, width * columns), columns,
                        width, columns, depth, accumulate: k0 > 0);
                }
            }
            // δ ← z > 0 ? scale · δ : +0 (the scalar product, then the branch-free gate of the pair path).
            var scale = _scales[l + 1];
            var pre = _preRows[l];
            for (var panel = 0; panel < _panelCount; panel++)
            {
                var columns = PanelKernels.PanelColumns(stride, panel);
                var panelStart = width * panelWidth * panel;
                for (var i = 0; i < width; i++)
                    PanelKernels.ScaleAndGate(delta.Slice(panelStart + i * columns, columns), scale,
                        pre.AsSpan(i * stride + panelWidth * panel, columns));
            }
        }
    }
}
