using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// Memory and message sizes one point of a sweep needs (leading terms; what <c>ntk validate</c> states and what the
/// reader refuses when it cannot fit). Everything is O(S) for S statistics and O(m²) for the engines' m × m matrices.
/// </summary>
/// <param name="Statistics">S, the length of the point's measurement vector.</param>
/// <param name="StateBytes">One merged state (PointAccumulator.ToBytes(): 48 bytes per statistic, plus at most
/// <see cref="SketchBytes"/> per quantile sketch): a shard result, a snapshot answer and a journal record are this big.</param>
/// <param name="SamplerBytes">Buffers of one engine instance (one per worker thread): weights, layer activations and
/// the m × m matrices (Gram matrices, kernel, eigenvalue workspace).</param>
/// <param name="WorkerThreadBytes">One worker thread at its peak: the sampler, the measurement vector and three
/// states (the shard's accumulator, its bytes, the chunks they travel in).</param>
/// <param name="AggregatorBytes">One point in flight on the aggregating node: the merged state, one held
/// out-of-order shard, a journal snapshot, the events between journal snapshots (at most two states) and the state
/// being reassembled from chunks.</param>
internal readonly record struct PointFootprint(
    long Statistics, long StateBytes, long SamplerBytes, long WorkerThreadBytes, long AggregatorBytes)
{
    /// <summary>Upper bound of one quantile sketch's bytes (two stores of QuantileSketch.MaxBucketsPerStore counts).</summary>
    public const long SketchBytes = 2 * (9 + 8L * QuantileSketch.MaxBucketsPerStore) + 33;

    /// <summary>Everything one point costs in one process with one worker thread (what `ntk run --workers 1` needs).</summary>
    public long SingleProcessBytes => WorkerThreadBytes + AggregatorBytes + StateBytes; // + the result writer's snapshot

    public static PointFootprint For(PointDefinition point)
    {
        var layout = point.Layout;
        long s = layout.Count;
        var state = PointAccumulator.SerializedSizeWithoutSketches(s, layout.SketchedIndices.Length, layout.CovariantIndices.Length) +
                    layout.SketchedIndices.Length * SketchBytes;
        var sampler = (long)(SamplerDoubles(point) * 8);
        var worker = sampler + 8 * s + 3 * state;
        var aggregator = 7 * state;
        return new PointFootprint(s, state, sampler, worker, aggregator);
    }

    /// <summary>
    /// Doubles held by one sampler: dense (DenseSampler) the stored weights W^2..W^{L+1}, about four n_l × m buffers per
    /// layer (z, h, δ and the panel copies) and (L + 5) m × m matrices (Gram of h^0..h^L, Gram of δ, K, the eigenvalue
    /// workspace, the panel scratch); conditional (ConditionalGaussianSampler) about (L + 9) m × m matrices and an
    /// n_max × m block per layer.
    /// </summary>
    private static double SamplerDoubles(PointDefinition point)
    {
        var network = point.Network;
        double m = point.Inputs.Count;
        double widths = 0, widest = 0;
        for (var l = 1; l <= network.Depth; l++)
        {
            widths += network.LayerSize(l);
            widest = Math.Max(widest, network.LayerSize(l));
        }
        var depth = network.Depth;
        return point.Engine == EngineKind.Dense
            ? (network.ParameterCount - (double)network.LayerSize(0) * network.LayerSize(1)) + 4 * m * widths + (depth + 5) * m * m
            : (depth + 9) * m * m + 3 * m * widths + (depth + 1) * widest * m;
    }
}

/// <summary>The footprint of a whole sweep: its largest point, and how its messages are cut into chunks.</summary>
internal sealed record SweepFootprint(PointFootprint Largest, int LargestPointIndex, long PlanBytes)
{
    /// <summary>Payload bytes per chunk of a message larger than one frame (ntk.cluster.chunk-bytes' default).</summary>
    public const long ChunkBytes = 128 * 1024;

    /// <summary>Chunks a message of <paramref name="bytes"/> travels in (1: sent whole).</summary>
    public static long Chunks(long bytes) => bytes <= ChunkBytes ? 1 : (bytes + ChunkBytes - 1) / ChunkBytes;

    public static SweepFootprint For(SimulationPlan plan)
    {
        PointFootprint largest = default;
        var largestIndex = 0;
        long planBytes = 64;
        foreach (var point in plan.Points)
        {
            var footprint = PointFootprint.For(point.Definition);
            if (footprint.SingleProcessBytes > largest.SingleProcessBytes)
            {
                largest = footprint;
                largestIndex = point.Index;
            }
            // PlanSerializer: about 60 bytes per point, 4 per width, 8 per input value.
            planBytes += 60 + 4L * point.Definition.Network.Depth + 8L * point.Definition.Inputs.Values.Length;
        }
        return new SweepFootprint(largest, largestIndex, planBytes);
    }

    /// <summary>This machine's memory as the runtime sees it (the cgroup limit in a container).</summary>
    public static long MachineMemoryBytes() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>"1.23 GB", "456 MB", "789 kB" (decimal units, as /usr/bin/time and the figures).</summary>
    public static string Bytes(double bytes) => bytes switch
    {
        >= 1e9 => (bytes / 1e9).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " GB",
        >= 1e6 => (bytes / 1e6).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " MB",
        >= 1e3 => (bytes / 1e3).ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " kB",
        _ => bytes.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " B",
    };
}
