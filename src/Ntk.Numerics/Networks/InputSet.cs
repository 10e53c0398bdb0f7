using Ntk.Numerics.LinearAlgebra;
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
    /// by θ (docs/contract.md §5), angles in radians. Needs n0 ≥ 2. See <see cref="PairDegrees"/> for how the cosines
    /// and sines are computed.
    /// </summary>
    public static InputSet Pair(int inputDim, double thetaRadians, double phaseRadians = 0) =>
        PairInTurns(inputDim, phaseRadians / TwoPi, (phaseRadians + thetaRadians) / TwoPi);

    /// <summary>
    /// <see cref="Pair"/> with θ and φ in degrees, as sweeps give them. The cosines and sines are those of the angles in
    /// turns (degrees / 360, one rounding), by <see cref="PortableMath.SinCosTwoPi"/>, not the C runtime's cos and sin:
    /// the inputs, and so every result, are the same bits on every system (docs/numerics.md §14), and multiples of 90°
    /// give exact 0 and ±1 (x_a·x_b = 0 exactly at θ = 90°).
    /// </summary>
    public static InputSet PairDegrees(int inputDim, double thetaDegrees, double phaseDegrees = 0) =>
        PairInTurns(inputDim, phaseDegrees / 360, (phaseDegrees + thetaDegrees) / 360);

    private const double TwoPi = 2 * Math.PI;

    private static InputSet PairInTurns(int inputDim, double phaseTurns, double secondTurns)
    {
        if (inputDim < 2)
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "inputDim: pair inputs need at least 2 dimensions");
        var v = new double[2 * inputDim];
        // Whole turns taken off, leaving t ∈ [0, 1]: exact for t ≥ 0 (t − ⌊t⌋ has no more significant bits than t); a
        // negative t rounds once, to the spacing of doubles near 1.
        PortableMath.SinCosTwoPi(phaseTurns - Math.Floor(phaseTurns), out v[1], out v[0]);
        PortableMath.SinCosTwoPi(secondTurns - Math.Floor(secondTurns), out v[inputDim + 1], out v[inputDim]);
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
