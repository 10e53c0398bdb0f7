using System.Collections.Immutable;

namespace Ntk.Numerics.Networks;

/// <summary>
/// A bias-free ReLU network in NTK parameterization (docs/science.md §1): input dimension n0, hidden widths
/// n_1..n_L, one output, weights W^l = sqrt(2/n_{l−1}) Ŵ^l with Ŵ iid from <see cref="Law"/>.
/// </summary>
public sealed record NetworkSpec
{
    public NetworkSpec(int inputDim, ImmutableArray<int> widths, WeightLaw law)
    {
        if (inputDim < 1)
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "inputDim: must be at least 1");
        if (widths.IsDefaultOrEmpty)
            throw new ArgumentException("depth: a network needs at least one hidden layer", nameof(widths));
        for (var l = 0; l < widths.Length; l++)
            if (widths[l] < 1)
                throw new ArgumentOutOfRangeException(nameof(widths), widths[l], $"widths[{l}]: must be at least 1");
        InputDim = inputDim;
        Widths = widths;
        Law = law ?? throw new ArgumentNullException(nameof(law));
    }

    /// <summary>Same width in every one of <paramref name="depth"/> hidden layers.</summary>
    public static NetworkSpec Uniform(int inputDim, int depth, int width, WeightLaw law)
    {
        if (depth < 1)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "depth: must be at least 1");
        return new NetworkSpec(inputDim, ImmutableArray.CreateRange(Enumerable.Repeat(width, depth)), law);
    }

    /// <summary>n0.</summary>
    public int InputDim { get; }

    /// <summary>n_1..n_L.</summary>
    public ImmutableArray<int> Widths { get; }

    /// <summary>L, the number of hidden layers.</summary>
    public int Depth => Widths.Length;

    public WeightLaw Law { get; }

    /// <summary>n_l for l = 0..L+1 (n_0 = input dimension, n_{L+1} = 1).</summary>
    public int LayerSize(int layer) =>
        layer == 0 ? InputDim : layer == Depth + 1 ? 1 : Widths[layer - 1];

    /// <summary>Number of weights Σ_{l=1}^{L+1} n_l n_{l−1}.</summary>
    public long ParameterCount
    {
        get
        {
            long total = 0;
            for (var l = 1; l <= Depth + 1; l++) total += (long)LayerSize(l) * LayerSize(l - 1);
            return total;
        }
    }

    /// <summary>Widths joined by 'x', e.g. "64x64x64" (the results.csv spelling). Built once: results.csv and
    /// results.parquet read it for every row of every point.</summary>
    public string WidthsLabel => _widthsLabel ??= string.Join("x", Widths);

    private string? _widthsLabel;

    public bool Equals(NetworkSpec? other) =>
        other is not null && InputDim == other.InputDim && Law == other.Law && Widths.SequenceEqual(other.Widths);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(InputDim);
        h.Add(Law);
        foreach (var w in Widths) h.Add(w);
        return h.ToHashCode();
    }
}
