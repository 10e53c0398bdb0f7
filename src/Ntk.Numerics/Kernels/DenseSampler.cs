using System.Runtime.CompilerServices;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Kernels;

/// <summary>
/// The dense engine: materializes every weight of trial t's network and computes its empirical NTK exactly, for any
/// weight law. Cost O(m Σ n_l n_{l−1}) per network for m inputs; all buffers are allocated once, in the constructor.
/// </summary>
/// <remarks>
/// <para>Trial t draws Ŵ^1, …, Ŵ^{L+1} from <c>RandomStream.For(seed, point, t)</c> layer by layer, each n_l × n_{l−1}
/// matrix row-major (the same numbers as one fill of all weights: <see cref="SampleWeights"/>). Forward:
/// z^l = √(2/n_{l−1}) Ŵ^l h^{l−1}, h^l = relu(z^l), h^0 = x. Backward: δ^{L+1} = 1, δ^l = ξ^l ⊙ (W^{l+1})ᵀ δ^{l+1}
/// with ξ^l = 1[z^l &gt; 0]. Kernel (SCIENCE.md §2): K_ab = Σ_{l=1}^{L+1} (2/n_{l−1}) (δ^l_a · δ^l_b)(h^{l−1}_a · h^{l−1}_b).</para>
/// <para>Speed (docs/performance.md): the weights of a layer are drawn in blocks of rows of about 32 KB and multiplied
/// while the block is still in the L1/L2 cache (layer 1's block is never stored: only W^2..W^{L+1} are needed again
/// in the backward pass, which reads each of them once for all m inputs). Products use the register-blocked kernels
/// of <see cref="DenseKernels"/>.</para>
/// <para>Inner products use a fixed-order dot product (<see cref="DenseKernels.Dot"/>, not TensorPrimitives.Dot, whose
/// summation order follows the machine's vector width) and the backward pass a fixed-order fused multiply-add chain, so
/// a trial's measurement is bitwise identical on every x64/Arm64 node, and bitwise identical to the plain
/// one-pair-at-a-time implementation (FastPathTests).</para>
/// </remarks>
public sealed class DenseSampler : ITrialSampler
{
    /// <summary>Doubles per block of weight rows drawn and consumed together (32 KB, within L1/L2).</summary>
    private const int BlockDoubles = 4096;

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
        _firstLayerBlockRows = BlockRows(_sizes[0], _sizes[1]);
        _firstLayerBlock = new double[_firstLayerBlockRows * _sizes[0]];

        _post = new double[_depth + 1][];
        _post[0] = point.Inputs.Values.ToArray();
        _postGram = new double[_depth + 1][];
        _pre = new double[_depth + 1][];
        _delta = new double[_depth + 1][];
        _postGram[0] = new double[m * m];
        for (var l = 1; l <= _depth; l++)
        {
            _post[l] = new double[m * _sizes[l]];
            _pre[l] = new double[_sizes[l] * m];
            _delta[l] = new double[m * _sizes[l]];
            _postGram[l] = new double[m * m];
        }
        _pre[0] = [];
        _delta[0] = [];
        _outputDelta = new double[m * _sizes[_depth + 1]];
        _outputDelta.AsSpan().Fill(1.0);
        _deltaGram = new double[m * m];
        _kernel = new double[m * m];
        _workspace = new double[m * m + m];
        _counts = new int[m];
        // h^0 = x is the same in every trial.
        DenseKernels.Gram(_post[0], _sizes[0], m, _postGram[0]);
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
        Forward(ref stream);
        Backward();
        AssembleKernel();

        MeasurementWriter.BeginTrial(Layout, measurement);
        for (var l = 1; l <= _depth; l++)
        {
            MeasurementWriter.WriteLayerActivity(Layout, l, _pre[l], _sizes[l], measurement, _counts);
            if (Layout.HasConditionalCorrelator)
                MeasurementWriter.WriteConditionalCorrelator(Layout, l, _postGram[l - 1], measurement);
        }
        MeasurementWriter.WriteKernel(Layout, _kernel, _workspace, measurement);
    }

    /// <summary>Rows per block: about <see cref="BlockDoubles"/> weights, a multiple of 4 (the kernels' tile), ≥ 4.</summary>
    private static int BlockRows(int fanIn, int width) =>
        Math.Min(width, Math.Max(4, BlockDoubles / Math.Max(1, fanIn) / 4 * 4));

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
            for (var first = 0; first < width; first += blockRows)
            {
                var rows = Math.Min(blockRows, width - first);
                var block = l == 1
                    ? _firstLayerBlock.AsSpan(0, rows * fanIn)
                    : _weights.AsSpan(_weightOffsets[l] + first * fanIn, rows * fanIn);
                stream.Fill(_law, block);
                var z = pre.AsSpan(first * m, rows * m);
                DenseKernels.DotProducts(block, fanIn, rows, previous, fanIn, m, fanIn, z, m);
                for (var r = 0; r < rows; r++)
                {
                    var i = first + r;
                    for (var a = 0; a < m; a++)
                    {
                        var value = scale * z[r * m + a];
                        z[r * m + a] = value;
                        post[a * width + i] = MeasurementKernels.Relu(value); // value > 0 ? value : 0
                    }
                }
            }
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
            DenseKernels.AccumulateTransposedProduct(nextWeights, nextWidth, width, coefficients, nextWidth, m, delta);
            for (var a = 0; a < m; a++)
            {
                var target = delta.AsSpan(a * width, width);
                // pre > 0 ? scale·target : +0, without a branch (the signs are random).
                for (var i = 0; i < width; i++)
                    target[i] = BitConverter.Int64BitsToDouble(
                        BitConverter.DoubleToInt64Bits(scale * target[i]) & -(long)MeasurementKernels.ActiveBit(pre[i * m + a]));
            }
        }
    }

    /// <summary>K_ab = Σ_l (2/n_{l−1}) (δ^l_a·δ^l_b)(h^{l−1}_a·h^{l−1}_b), with δ^{L+1} = 1 (SCIENCE.md §2).</summary>
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
            DenseKernels.Gram(_delta[l], _sizes[l], m, _deltaGram);
            var previousGram = _postGram[l - 1];
            for (var index = 0; index < m * m; index++)
                kernel[index] += factor * _deltaGram[index] * previousGram[index];
        }
    }

    /// <summary>x · y in the fixed order of <see cref="DenseKernels.Dot"/> (the same value on every machine).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => DenseKernels.Dot(x, y);
}
