using Ntk.Numerics.MonteCarlo;

namespace Ntk.Numerics.Kernels;

// PLACEHOLDER, to be implemented.
public sealed class ConditionalGaussianSampler : ITrialSampler
{
    public ConditionalGaussianSampler(PointDefinition point) { Layout = point.Layout; }
    public MeasurementLayout Layout { get; }
    public void Sample(long trial, Span<double> measurement) => throw new NotImplementedException();
}
