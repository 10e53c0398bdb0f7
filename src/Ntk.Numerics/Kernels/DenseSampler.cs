using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Kernels;

/// <summary>
/// The dense engine: materializes every weight of trial t's network and computes its empirical NTK exactly, for any
/// weight law. Cost O(m Σ n_l n_{l−1}) per network for m inputs; all buffers are allocated once, in the constructor.
/// </summary>
/// <remarks>
/// <para>Trial t draws Ŵ^1, …, Ŵ^{L+1} from <c>RandomStream.For(seed, point, t)</c> in one fill, layer by layer,
/// each n_l × n_{l−1} matrix row-major. Forward: z^l = √(2/n_{l−1}) Ŵ^l h^{l−1}, h^l = relu(z^l), h^0 = x.
/// Backward: δ^{L+1} = 1, δ^l = ξ^l ⊙ (W^{l+1})ᵀ δ^{l+1} with ξ^l = 1[z^l &gt; 0]. Kernel (SCIENCE.md §2):
/// K_ab = Σ_{l=1}^{L+1} (2/n_{l−1}) (δ^l_a · δ^l_b)(h^{l−1}_a · h^{l−1}_b).</para>
/// <para>Inner products use a fixed-order Vector256 dot product (not TensorPrimitives.Dot, whose summation order
/// follows the machine's vector width), so a trial's measurement is bitwise identical on every x64/Arm64 node.</para>
/// </remarks>
public sealed class DenseSampler : ITrialSampler
{
    private readonly PointDefinition _point;
    private readonly WeightLaw _law;
    private readonly int _depth;
    private readonly int _inputCount;
    private readonly int[] _sizes;          // n_0 .. n_{L+1}
    private readonly double[] _scales;      // _scales[l] = √(2/n_{l−1}), l = 1..L+1
    private readonly int[] _weightOffsets;  // start of Ŵ^l in _weights, l = 1..L+1
    private readonly double[] _weights;     // unscaled Ŵ, draw order
    private readonly double[][] _post;      // _post[l]: h^l input-major (m × n_l), l = 0..L; _post[0] = x
    private readonly double[][] _pre;       // _pre[l]: z^l unit-major (n_l × m), l = 1..L
    private readonly double[][] _delta;     // _delta[l]: δ^l input-major (m × n_l), l = 1..L
    private readonly double[][] _postGram;  // _postGram[l]: HᵀH of h^l (m × m), l = 0..L
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
        for (var l = 1; l <= _depth + 1; l++)
        {
            _scales[l] = Math.Sqrt(2.0 / _sizes[l - 1]);
            _weightOffsets[l] = checked((int)offset);
            offset += (long)_sizes[l] * _sizes[l - 1];
        }
        if (offset > Array.MaxLength)
            throw new ArgumentException($"network: {offset} weights do not fit in one array", nameof(point));
        _weights = new double[offset];

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
        _deltaGram = new double[m * m];
        _kernel = new double[m * m];
        _workspace = new double[m * m + m];
        _counts = new int[m];
    }

    public MeasurementLayout Layout { get; }

    /// <summary>Number of unscaled weights Ŵ one network draws (Σ_{l=1}^{L+1} n_l n_{l−1}).</summary>
    internal int WeightCount => _weights.Length;

    /// <summary>
    /// Writes trial <paramref name="trial"/>'s unscaled weights Ŵ in draw order (layer 1..L+1, each n_l × n_{l−1}
    /// row-major) into <paramref name="weights"/> (length <see cref="WeightCount"/>). These are the weights
    /// <see cref="Sample"/> uses.
    /// </summary>
    internal void SampleWeights(long trial, Span<double> weights)
    {
        if (weights.Length != _weights.Length)
            throw new ArgumentException($"weights: need exactly {_weights.Length} values", nameof(weights));
        var stream = RandomStream.For(_point.MasterSeed, _point.PointIndex, trial);
        stream.Fill(_law, weights);
    }

    public void Sample(long trial, Span<double> measurement)
    {
        if (measurement.Length < Layout.Count)
            throw new ArgumentException($"measurement: need {Layout.Count} values", nameof(measurement));
        SampleWeights(trial, _weights);
        Forward();
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

    /// <summary>z^l, h^l for l = 1..L and the Gram matrices of h^0..h^L. The output z^{L+1} is not needed for K.</summary>
    private void Forward()
    {
        var m = _inputCount;
        Gram(_post[0], _sizes[0], _postGram[0]);
        for (var l = 1; l <= _depth; l++)
        {
            int fanIn = _sizes[l - 1], width = _sizes[l];
            var scale = _scales[l];
            var weights = _weights.AsSpan(_weightOffsets[l], width * fanIn);
            var previous = _post[l - 1];
            var pre = _pre[l];
            var post = _post[l];
            for (var i = 0; i < width; i++)
            {
                var row = weights.Slice(i * fanIn, fanIn);
                for (var a = 0; a < m; a++)
                {
                    var z = scale * Dot(row, previous.AsSpan(a * fanIn, fanIn));
                    pre[i * m + a] = z;
                    post[a * width + i] = z > 0 ? z : 0;
                }
            }
            Gram(post, width, _postGram[l]);
        }
    }

    /// <summary>δ^l for l = L..1, input-major, from δ^{L+1} = 1.</summary>
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
            for (var a = 0; a < m; a++)
            {
                var target = delta.AsSpan(a * width, width);
                target.Clear();
                for (var k = 0; k < nextWidth; k++)
                {
                    // δ^{L+1} = 1; deeper δ are zero on inactive units, whose rows contribute nothing.
                    var coefficient = l == _depth ? 1.0 : _delta[l + 1][a * nextWidth + k];
                    if (coefficient == 0) continue;
                    TensorPrimitives.FusedMultiplyAdd(nextWeights.Slice(k * width, width), coefficient, target, target);
                }
                for (var i = 0; i < width; i++)
                    target[i] = pre[i * m + a] > 0 ? scale * target[i] : 0;
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
            Gram(_delta[l], _sizes[l], _deltaGram);
            var previousGram = _postGram[l - 1];
            for (var index = 0; index < m * m; index++)
                kernel[index] += factor * _deltaGram[index] * previousGram[index];
        }
    }

    /// <summary>G_ab = v_a · v_b for m vectors of length <paramref name="length"/> stored input-major; full m × m.</summary>
    private void Gram(ReadOnlySpan<double> vectors, int length, Span<double> gram)
    {
        var m = _inputCount;
        for (var a = 0; a < m; a++)
        {
            var va = vectors.Slice(a * length, length);
            for (var b = a; b < m; b++)
            {
                var value = Dot(va, vectors.Slice(b * length, length));
                gram[a * m + b] = value;
                gram[b * m + a] = value;
            }
        }
    }

    /// <summary>
    /// x · y with a summation order fixed by this code: two 4-lane fused multiply-add accumulators over blocks of 8,
    /// one over a remaining block of 4, a fixed horizontal sum, then the scalar tail. Vector256 is emulated exactly
    /// where the hardware lacks it, so the result does not depend on the machine.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var length = x.Length;
        if (y.Length != length) throw new ArgumentException("Dot: x and y differ in length", nameof(y));
        ref var xs = ref MemoryMarshal.GetReference(x);
        ref var ys = ref MemoryMarshal.GetReference(y);
        var i = 0;
        var sum = 0.0;
        if (length >= 4)
        {
            var accumulator0 = Vector256<double>.Zero;
            var accumulator1 = Vector256<double>.Zero;
            for (; i <= length - 8; i += 8)
            {
                accumulator0 = Vector256.FusedMultiplyAdd(
                    Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i), accumulator0);
                accumulator1 = Vector256.FusedMultiplyAdd(
                    Vector256.LoadUnsafe(ref xs, (nuint)(i + 4)), Vector256.LoadUnsafe(ref ys, (nuint)(i + 4)), accumulator1);
            }
            if (i <= length - 4)
            {
                accumulator0 = Vector256.FusedMultiplyAdd(
                    Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i), accumulator0);
                i += 4;
            }
            var total = accumulator0 + accumulator1;
            sum = (total.GetElement(0) + total.GetElement(1)) + (total.GetElement(2) + total.GetElement(3));
        }
        for (; i < length; i++) sum = Math.FusedMultiplyAdd(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i), sum);
        return sum;
    }
}
