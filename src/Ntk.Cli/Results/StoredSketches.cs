using System.Collections;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Results;

/// <summary>
/// A point's quantile sketches as listed in points.jsonl (statistic and quantiles, no buckets), with the buckets read
/// from point-states.bin each time the list is enumerated: a report over many points holds no bucket it is not
/// drawing. The sketches of a state come in the layout's order, the order points.jsonl lists them in.
/// </summary>
internal sealed class StoredSketches(PointStateStore store, StoredPoint stored, IReadOnlyList<SketchEntry> listed) : IReadOnlyList<SketchEntry>
{
    public int Count => listed.Count;

    public SketchEntry this[int index] => Load()[index];

    public IEnumerator<SketchEntry> GetEnumerator() => Load().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The sketch of this statistic with its buckets, or null when the point has none or it holds no sample
    /// (the disk is read only in the first case).</summary>
    public SketchEntry? Find(string stat, int? a, int? b)
    {
        for (var k = 0; k < listed.Count; k++)
        {
            var entry = listed[k];
            if (entry.Stat != stat || entry.A != a || entry.B != b) continue;
            if (entry.Count == 0) return null;
            var loaded = Load()[k];
            return loaded.Bins.Count > 0 ? loaded : null;
        }
        return null;
    }

    private IReadOnlyList<SketchEntry> Load()
    {
        if (listed.Count == 0) return listed;
        var sketches = PointAccumulator.SketchesFromBytes(store.ReadState(stored));
        if (sketches.Count != listed.Count)
            throw new InvalidDataException(
                $"point {stored.Point}: point-states.bin holds {sketches.Count} sketches, points.jsonl lists {listed.Count}");
        return listed.Select((entry, k) => entry with { Bins = SketchBins(sketches[k]) }).ToList();
    }

    /// <summary>[lower, upper, count] of each bucket of a sketch.</summary>
    public static IReadOnlyList<double[]> SketchBins(QuantileSketch sketch) =>
        sketch.Buckets().Select(b => new[] { b.Lower, b.Upper, (double)b.Count }).ToList();
}
