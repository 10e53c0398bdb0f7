using System.Diagnostics.Metrics;

namespace Ntk.Cluster.Operations;

/// <summary>
/// The sweep's OpenTelemetry instruments (System.Diagnostics.Metrics, meter <see cref="MeterName"/>): what the actors
/// count as they work. Any exporter listening to the meter sees them (the CLI serves them to Prometheus and, when
/// configured, pushes them over OTLP; docs/cluster.md, "Observe"). Counters are per process: a Prometheus query sums
/// them over nodes. Recording costs a few nanoseconds and nothing at all while no exporter listens.
/// </summary>
public static class SweepMeters
{
    /// <summary>Name of the meter every instrument below belongs to.</summary>
    public const string MeterName = "Ntk.Sweep";

    private static readonly Meter Meter = new(MeterName, "1.0");

    // Worker side: what this node's workers computed.
    private static readonly Counter<long> TrialsComputed = Meter.CreateCounter<long>("trials.computed", "{trial}",
        "Trials sampled by this node's workers (rate = trials/s).");
    private static readonly Counter<long> ShardsComputed = Meter.CreateCounter<long>("shards.computed", "{shard}",
        "Shards computed by this node's workers and sent to their aggregators.");

    // Coordinator side: the shard ledger.
    private static readonly Counter<long> ShardsLeased = Meter.CreateCounter<long>("shards.leased", "{shard}",
        "Leases handed to workers, re-issues included.");
    private static readonly Counter<long> ShardsReissued = Meter.CreateCounter<long>("shards.reissued", "{shard}",
        "Leases of shards whose earlier lease expired or whose worker's node was lost.");
    private static readonly Counter<long> ShardsAccepted = Meter.CreateCounter<long>("shards.completed", "{shard}",
        "Shards accepted by their aggregators (journaled, merged or held); each shard counts once.");
    private static readonly Counter<long> TrialsAccepted = Meter.CreateCounter<long>("trials.completed", "{trial}",
        "Trials in the accepted shards.");
    private static readonly Histogram<double> JournalWrite = Meter.CreateHistogram("journal.write.duration", "ms",
        "Time from an aggregator's Persist of an accepted shard to the journal's confirmation.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000] });

    private static long _pointsTotal;
    private static long _pointsDone;
    private static long _heldShards;

    static SweepMeters()
    {
        Meter.CreateObservableGauge("points.done", () => Volatile.Read(ref _pointsDone), "{point}",
            "Points whose stopping rule is met (coordinator node).");
        Meter.CreateObservableGauge("points.total", () => Volatile.Read(ref _pointsTotal), "{point}",
            "Points of the sweep (coordinator node).");
        Meter.CreateObservableGauge("merge.backlog", () => Volatile.Read(ref _heldShards), "{shard}",
            "Shards accepted ahead of an earlier shard still missing: held by their aggregators until it arrives.");
    }

    internal static void ShardComputed(long trials)
    {
        ShardsComputed.Add(1);
        TrialsComputed.Add(trials);
    }

    internal static void ShardLeased(bool reissue)
    {
        ShardsLeased.Add(1);
        if (reissue) ShardsReissued.Add(1);
    }

    internal static void ShardAccepted(long trials)
    {
        ShardsAccepted.Add(1);
        TrialsAccepted.Add(trials);
    }

    internal static void JournalWritten(TimeSpan elapsed) => JournalWrite.Record(elapsed.TotalMilliseconds);

    /// <summary>The coordinator's view after each change: points done of the total, shards held past the prefix.</summary>
    internal static void Progress(int pointsDone, int pointsTotal, int heldShards)
    {
        Volatile.Write(ref _pointsDone, pointsDone);
        Volatile.Write(ref _pointsTotal, pointsTotal);
        Volatile.Write(ref _heldShards, heldShards);
    }
}
