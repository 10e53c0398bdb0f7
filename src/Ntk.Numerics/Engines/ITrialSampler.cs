using Ntk.Numerics.Measurement;

namespace Ntk.Numerics.Engines;

/// <summary>
/// Samples the networks of one sweep point. Trial t always gives the same network, a pure function of
/// (master seed, point index, t), whichever sampler instance, thread or node computes it.
/// An instance owns its scratch buffers and is not thread-safe: use one per thread.
/// </summary>
public interface ITrialSampler
{
    MeasurementLayout Layout { get; }

    /// <summary>Samples network <paramref name="trial"/> and writes all of its statistics into
    /// <paramref name="measurement"/> (length <see cref="MeasurementLayout.Count"/>). Allocates nothing.</summary>
    void Sample(long trial, Span<double> measurement);
}
