using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Tests.Support;

/// <summary>
/// A deliberately naive ReLU network over materialized unscaled weights Ŵ (draw order: layer 1..L+1, each
/// n_l × n_{l−1} row-major), used as an independent reference for the samplers. Nothing here uses the
/// δ-factorization of docs/science.md §2: gradients come from forward-mode propagation of one weight at a time.
/// </summary>
internal sealed class ReferenceNetwork
{
    private readonly NetworkSpec _spec;
    private readonly double[] _weights;
    private readonly int[] _offsets;

    public ReferenceNetwork(NetworkSpec spec, ReadOnlySpan<double> unscaledWeights)
    {
        _spec = spec;
        _weights = unscaledWeights.ToArray();
        _offsets = new int[spec.Depth + 2];
        var offset = 0;
        for (var l = 1; l <= spec.Depth + 1; l++)
        {
            _offsets[l] = offset;
            offset += spec.LayerSize(l) * spec.LayerSize(l - 1);
        }
        if (offset != _weights.Length) throw new ArgumentException($"expected {offset} weights, got {_weights.Length}");
    }

    public int WeightCount => _weights.Length;

    private double Scale(int layer) => Math.Sqrt(2.0 / _spec.LayerSize(layer - 1));

    /// <summary>Ŵ^l_ij.</summary>
    public double Weight(int layer, int row, int column) =>
        _weights[_offsets[layer] + row * _spec.LayerSize(layer - 1) + column];

    /// <summary>Sets the flat weight <paramref name="index"/> (draw order) and returns its old value.</summary>
    public double SetWeight(int index, double value)
    {
        var old = _weights[index];
        _weights[index] = value;
        return old;
    }

    /// <summary>Pre-activations z^1..z^{L+1} of one input; result[l] has length n_l (result[0] is x).</summary>
    public double[][] Preactivations(ReadOnlySpan<double> input)
    {
        var z = new double[_spec.Depth + 2][];
        z[0] = input.ToArray();
        var h = input.ToArray();
        for (var l = 1; l <= _spec.Depth + 1; l++)
        {
            int width = _spec.LayerSize(l), fanIn = _spec.LayerSize(l - 1);
            z[l] = new double[width];
            for (var i = 0; i < width; i++)
            {
                var sum = 0.0;
                for (var j = 0; j < fanIn; j++) sum += Weight(l, i, j) * h[j];
                z[l][i] = Scale(l) * sum;
            }
            h = z[l].Select(v => v > 0 ? v : 0).ToArray();
        }
        return z;
    }

    /// <summary>The network output z^{L+1}.</summary>
    public double Output(ReadOnlySpan<double> input) => Preactivations(input)[_spec.Depth + 1][0];

    /// <summary>
    /// ∂z^{L+1}/∂Ŵ for every weight in draw order, one weight at a time: perturbing Ŵ^l_ij changes z^l only in unit i
    /// by √(2/n_{l−1}) h^{l−1}_j; that tangent is pushed forward through the (fixed) activation pattern to the output.
    /// </summary>
    public double[] Gradient(ReadOnlySpan<double> input)
    {
        var z = Preactivations(input);
        var gradient = new double[_weights.Length];
        var index = 0;
        for (var l = 1; l <= _spec.Depth + 1; l++)
        {
            int width = _spec.LayerSize(l), fanIn = _spec.LayerSize(l - 1);
            for (var i = 0; i < width; i++)
            {
                for (var j = 0; j < fanIn; j++)
                {
                    var previous = l == 1 ? z[0][j] : Math.Max(z[l - 1][j], 0);
                    var tangent = new double[width];
                    tangent[i] = Scale(l) * previous;
                    for (var k = l + 1; k <= _spec.Depth + 1; k++)
                    {
                        int nextWidth = _spec.LayerSize(k), nextFanIn = _spec.LayerSize(k - 1);
                        var next = new double[nextWidth];
                        for (var r = 0; r < nextWidth; r++)
                        {
                            var sum = 0.0;
                            for (var c = 0; c < nextFanIn; c++)
                                if (z[k - 1][c] > 0) sum += Weight(k, r, c) * tangent[c];
                            next[r] = Scale(k) * sum;
                        }
                        tangent = next;
                    }
                    gradient[index++] = tangent[0];
                }
            }
        }
        return gradient;
    }

    /// <summary>K_ab = Σ_weights (∂z_a/∂Ŵ)(∂z_b/∂Ŵ) from explicit per-weight gradients; m × m row-major.</summary>
    public double[] Kernel(InputSet inputs)
    {
        var m = inputs.Count;
        var gradients = new double[m][];
        for (var a = 0; a < m; a++) gradients[a] = Gradient(inputs.Input(a));
        return KernelFromGradients(gradients);
    }

    public static double[] KernelFromGradients(double[][] gradients)
    {
        var m = gradients.Length;
        var kernel = new double[m * m];
        for (var a = 0; a < m; a++)
            for (var b = 0; b < m; b++)
            {
                var sum = 0.0;
                for (var p = 0; p < gradients[a].Length; p++) sum += gradients[a][p] * gradients[b][p];
                kernel[a * m + b] = sum;
            }
        return kernel;
    }
}
