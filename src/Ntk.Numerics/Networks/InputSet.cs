using System.Collections.Immutable;

namespace Ntk.Numerics.Networks;

/// <summary>
/// The m inputs of one sweep point, stored row-major (input a occupies [a·n0, (a+1)·n0)).
/// Every input must be finite and non-zero.
/// </summary>
public sealed record InputSet
{
    public InputSet(int inputDim, ImmutableArray<double> values)
    {
        if (inputDim < 1) throw new ArgumentOutOfRangeException(nameof(inputDim), "inputDim: must be at least 1");
        if (values.IsDefaultOrEmpty || values.Length % inputDim != 0)
            throw new ArgumentException($"inputs: {values.Length} values do not form rows of length {inputDim}", nameof(values));
        for (var i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"inputs: input {i / inputDim}, coordinate {i % inputDim} is not finite", nameof(values));
        InputDim = inputDim;
        Values = values;
        for (var a = 0; a < Count; a++)
        {
            var norm2 = 0.0;
            foreach (var v in Input(a)) norm2 += v * v;
            if (norm2 == 0) throw new ArgumentException($"inputs: input {a} is the zero vector", nameof(values));
        }
    }

    public int InputDim { get; }

    /// <summary>Row-major m × n0.</summary>
    public ImmutableArray<double> Values { get; }

    /// <summary>m, the number of inputs.</summary>
    public int Count => Values.Length / InputDim;

    public ReadOnlySpan<double> Input(int a) => Values.AsSpan(a * InputDim, InputDim);

    /// <summary>
    /// Two unit vectors in the plane of the first two coordinates: x_a = (cos φ, sin φ, 0, …) and x_b = x_a rotated
    /// by θ (docs/contract.md §5). Needs n0 ≥ 2 unless θ = 0.
    /// </summary>
    public static InputSet Pair(int inputDim, double thetaRadians, double phaseRadians = 0)
    {
        if (inputDim < 2)
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "inputDim: pair inputs need at least 2 dimensions");
        var v = new double[2 * inputDim];
        v[0] = Math.Cos(phaseRadians);
        v[1] = Math.Sin(phaseRadians);
        v[inputDim] = Math.Cos(phaseRadians + thetaRadians);
        v[inputDim + 1] = Math.Sin(phaseRadians + thetaRadians);
        return new InputSet(inputDim, ImmutableArray.Create(v));
    }

    public bool Equals(InputSet? other) =>
        other is not null && InputDim == other.InputDim && Values.SequenceEqual(other.Values);

    /// <summary>Over every value: pair inputs all start with (cos φ, sin φ, …), so a hash of the first value alone made
    /// every point of a sweep collide (dictionaries keyed by the inputs, such as LimitPoints, went quadratic).</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(InputDim);
        foreach (var value in Values) hash.Add(value);
        return hash.ToHashCode();
    }
}
