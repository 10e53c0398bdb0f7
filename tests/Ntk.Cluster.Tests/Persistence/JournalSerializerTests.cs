using System.Collections.Immutable;
using System.Runtime.Serialization;
using Ntk.Cluster.Persistence;
using Ntk.Cluster.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests.Persistence;

/// <summary>Every journal record round-trips through the serializer its binding in sweep.hocon selects.</summary>
public sealed class JournalSerializerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfigs.SerializeEverything, output: output)
{
    private static readonly ImmutableArray<byte> Payload = [1, 2, 3, 250, 0, 7];

    private T RoundTrip<T>(T record) where T : notnull
    {
        var serializer = Assert.IsType<JournalSerializer>(Sys.Serialization.FindSerializerFor(record));
        var manifest = serializer.Manifest(record);
        Assert.Equal(2, manifest.Length);
        return Assert.IsType<T>(serializer.FromBinary(serializer.ToBinary(record), manifest));
    }

    [Fact]
    public void Aggregator_events_round_trip()
    {
        var accepted = RoundTrip(new ShardAccepted(17, Payload));
        Assert.Equal(17, accepted.ShardIndex);
        Assert.Equal(Payload.ToArray(), accepted.State.ToArray());
        var seeded = RoundTrip(new PointSeeded(4, Payload));
        Assert.Equal(4, seeded.ShardsMerged);
        Assert.Equal(Payload.ToArray(), seeded.State.ToArray());
        Assert.Empty(RoundTrip(new ShardAccepted(0, ImmutableArray<byte>.Empty)).State);
    }

    [Fact]
    public void Aggregator_snapshots_round_trip_with_and_without_held_shards()
    {
        var snapshot = RoundTrip(new AggregatorSnapshot(9, Payload, [new HeldShard(11, [9, 9]), new HeldShard(12, Payload)]));
        Assert.Equal(9, snapshot.ShardsMerged);
        Assert.Equal(Payload.ToArray(), snapshot.Merged.ToArray());
        Assert.Equal([11, 12], snapshot.Held.Select(h => h.ShardIndex));
        Assert.Equal(new byte[] { 9, 9 }, snapshot.Held[0].State.ToArray());
        Assert.Empty(RoundTrip(new AggregatorSnapshot(0, ImmutableArray<byte>.Empty, [])).Held);
    }

    [Fact]
    public void Ledger_and_run_records_round_trip()
    {
        var recorded = new ShardRecorded(3, 41, 40, 80_000_000_000L, true);
        Assert.Equal(recorded, RoundTrip(recorded));
        Assert.Equal(new RunStarted(7), RoundTrip(new RunStarted(7)));
    }

    [Fact]
    public void Unknown_manifests_and_truncated_records_are_refused()
    {
        var serializer = new JournalSerializer((Akka.Actor.ExtendedActorSystem)Sys);
        Assert.Throws<SerializationException>(() => serializer.FromBinary([0, 0, 0, 0], "ZZ"));
        var bytes = serializer.ToBinary(new ShardAccepted(2, Payload));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^2], "JA"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary([.. bytes, 0], "JA"));
        Assert.Throws<ArgumentException>(() => serializer.ToBinary("not a record"));
    }
}
