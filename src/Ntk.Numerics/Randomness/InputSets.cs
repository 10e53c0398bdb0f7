using System.Collections.Immutable;
using Ntk.Numerics.Networks;

namespace Ntk.Numerics.Randomness;

/// <summary>
/// Input sets built from a description rather than listed value by value (docs/contract.md §5, <c>"kind": "sphere"</c>).
/// Every builder is a pure function of its arguments: the same arguments give bit-identical inputs on every machine.
/// </summary>
public static class InputSets
{
    /// <summary>The point index whose random streams are reserved for generating inputs, never for networks.</summary>
    public const int InputStreamPoint = int.MaxValue;

    /// <summary>
    /// <paramref name="count"/> points drawn independently and uniformly from the unit sphere S^{n0−1} in
    /// R^{<paramref name="inputDim"/>}: each point is a vector of n0 standard Gaussians divided by its Euclidean norm
    /// (the Gaussian is rotation invariant, so the direction is uniform). The Gaussians come, in order, from the single
    /// stream <c>RandomStream.For(seed, InputStreamPoint, 0)</c>: point a uses draws [a·n0, (a+1)·n0) (a vector of norm exactly 0,
    /// which has probability 0, is redrawn from the same stream). Returns m = <paramref name="count"/> unit vectors.
    /// </summary>
    /// <remarks>
    /// The point index <see cref="InputStreamPoint"/> is reserved for inputs (a sweep never has that many points), so
    /// the inputs are independent of every sampled network even when the sphere seed equals the sweep's master seed.
    /// </remarks>
    public static InputSet Sphere(int inputDim, int count, ulong seed)
    {
        if (inputDim < 1)
            throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim, "inputDim: must be at least 1");
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "inputs.count: must be at least 1");

        var values = new double[checked(inputDim * count)];
        var stream = RandomStream.For(seed, InputStreamPoint, 0);
        for (var a = 0; a < count; a++)
        {
            var point = values.AsSpan(a * inputDim, inputDim);
            double norm2;
            do
            {
                norm2 = 0;
                for (var j = 0; j < inputDim; j++)
                {
                    point[j] = stream.NextGaussian();
                    norm2 += point[j] * point[j];
                }
            } while (norm2 == 0);

            var inverseNorm = 1 / Math.Sqrt(norm2);
            for (var j = 0; j < inputDim; j++) point[j] *= inverseNorm;
        }
        return new InputSet(inputDim, ImmutableArray.Create(values));
    }
}
