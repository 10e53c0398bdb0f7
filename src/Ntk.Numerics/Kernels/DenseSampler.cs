using Ntk.Numerics.MonteCarlo;

namespace Ntk.Numerics.Kernels;

// PLACEHOLDER, to be implemented.
public sealed class DenseSampler : ITrialSampler
{
    public DenseSampler(PointDefinition point) { Layout = point.Layout; }
    public MeasurementLayout Layout { get; }
    public void Sample(long trial, Span<double> measurement) => throw new NotImplementedException();
}
