using Ntk.Numerics.Networks;

namespace Ntk.Numerics.MonteCarlo;

// PLACEHOLDER signatures, to be implemented (Philox4x32-10 stream).
/// <summary>The random stream of one trial: a pure function of (master seed, point index, trial).</summary>
public struct RandomStream
{
    public static RandomStream For(ulong masterSeed, int pointIndex, long trial) => throw new NotImplementedException();
    public double NextUniform() => throw new NotImplementedException();
    public double NextGaussian() => throw new NotImplementedException();
    public void FillGaussian(Span<double> destination) => throw new NotImplementedException();
    public void Fill(WeightLaw law, Span<double> destination) => throw new NotImplementedException();
}
