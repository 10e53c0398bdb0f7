using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;

namespace Ntk.Cluster.Tests.Support;

/// <summary>
/// A fast stand-in for the real samplers: statistic i of trial t of point p is a pure function of (seed, p, t, i),
/// uniform on [0, 1) (SplitMix64), so standard errors shrink like 0.29/√n. Same contract as the real ones: trial t
/// always gives the same measurement.
/// </summary>
internal sealed class FakeSampler(PointDefinition point) : ITrialSampler
{
    public MeasurementLayout Layout { get; } = point.Layout;

    public void Sample(long trial, Span<double> measurement)
    {
        var state = point.MasterSeed ^ ((ulong)point.PointIndex << 40) ^ (ulong)trial * 0x9E3779B97F4A7C15UL;
        for (var i = 0; i < measurement.Length; i++)
            measurement[i] = (Next(ref state) >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Wraps a sampler; trials at or past <see cref="FirstBlockedTrial"/> of point <see cref="PointIndex"/>
/// wait for <see cref="Release"/> (and set <see cref="Entered"/> when the first one starts waiting).</summary>
internal sealed class SamplerGate(int pointIndex, long firstBlockedTrial)
{
    private readonly ManualResetEventSlim _open = new(false);
    public int PointIndex { get; } = pointIndex;
    public long FirstBlockedTrial { get; } = firstBlockedTrial;
    public ManualResetEventSlim Entered { get; } = new(false);

    public void Release() => _open.Set();

    public Func<PointDefinition, ITrialSampler> Wrap(Func<PointDefinition, ITrialSampler> inner) =>
        point => new GatedSampler(inner(point), this, point.PointIndex);

    private sealed class GatedSampler(ITrialSampler inner, SamplerGate gate, int pointIndex) : ITrialSampler
    {
        public MeasurementLayout Layout => inner.Layout;

        public void Sample(long trial, Span<double> measurement)
        {
            if (pointIndex == gate.PointIndex && trial >= gate.FirstBlockedTrial)
            {
                gate.Entered.Set();
                gate._open.Wait();
            }
            inner.Sample(trial, measurement);
        }
    }
}
