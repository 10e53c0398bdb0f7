using Ntk.Numerics.Kernels;

namespace Ntk.Numerics.Statistics;

// PLACEHOLDER signatures, to be implemented (moments by Pébay's formulas + quantile sketches).
public sealed class PointAccumulator
{
    public PointAccumulator(MeasurementLayout layout) { Layout = layout; }
    public MeasurementLayout Layout { get; }
    public long Count => throw new NotImplementedException();
    public void Push(ReadOnlySpan<double> measurement) => throw new NotImplementedException();
    public void Merge(PointAccumulator other) => throw new NotImplementedException();
    public double Mean(int index) => throw new NotImplementedException();
    public double Variance(int index) => throw new NotImplementedException();
    public double StandardError(int index) => throw new NotImplementedException();
    public double Skewness(int index) => throw new NotImplementedException();
    public double Kurtosis(int index) => throw new NotImplementedException();
}
