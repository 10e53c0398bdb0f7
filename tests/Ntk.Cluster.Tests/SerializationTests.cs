using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using Akka.Serialization;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Serialization;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.MonteCarlo;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests;

public class SerializationTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ImmutableArray<byte> Payload = [0, 1, 2, 250, 255, 7];
    private static readonly ShardId Shard = new(3, 17);
    private static readonly LeaseId Lease = new(long.MaxValue - 5);

    public SerializationTests(ITestOutputHelper output) : base(TestConfigs.SerializeEverything, output: output) { }

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var withManifest = Assert.IsType<SweepMessageSerializer>(serializer);
        Assert.Equal(SweepMessageSerializer.SerializerIdentifier, serializer.Identifier);
        var manifest = withManifest.Manifest(message);
        Assert.InRange(manifest.Length, 1, 2);
        var bytes = serializer.ToBinary(message);
        return Assert.IsType<T>(withManifest.FromBinary(bytes, manifest));
    }

    [Fact]
    public void RequestWork_round_trips_with_and_without_a_reply_address()
    {
        Assert.Equal(new RequestWork(new WorkerId("node-1/worker-2"), TestActor),
            RoundTrip(new RequestWork(new WorkerId("node-1/worker-2"), TestActor)));
        Assert.Equal(new RequestWork(new WorkerId("w"), null), RoundTrip(new RequestWork(new WorkerId("w"), null)));
    }

    [Fact]
    public void LeaseShard_round_trips()
    {
        var message = new LeaseShard(Lease, new ShardSpec(3, 17, 17L * 2000 + (1L << 33), 1999));
        Assert.Equal(message, RoundTrip(message));
    }

    [Fact]
    public void Signals_round_trip_to_their_singletons()
    {
        Assert.Same(NoWorkAvailable.Instance, RoundTrip(NoWorkAvailable.Instance));
        Assert.Same(SweepFinished.Instance, RoundTrip(SweepFinished.Instance));
        Assert.Same(StopSweep.Instance, RoundTrip(StopSweep.Instance));
    }

    [Fact]
    public void DeclineLease_round_trips()
    {
        var message = new DeclineLease(Shard, Lease);
        Assert.Equal(message, RoundTrip(message));
    }

    [Fact]
    public void ShardFailed_round_trips()
    {
        var message = new ShardFailed(Shard, Lease, new WorkerId("worker-1"), "InvalidOperationException: ν ≤ 2");
        Assert.Equal(message, RoundTrip(message));
    }

    [Fact]
    public void JournalWriteFailed_round_trips()
    {
        var message = new JournalWriteFailed(3, "SQLite Error 13: 'database or disk is full'");
        Assert.Equal(message, RoundTrip(message));
    }

    [Fact]
    public void ShardResult_round_trips_with_its_state_bytes()
    {
        var message = new ShardResult(Shard, Lease, 2000, Payload);
        var back = RoundTrip(message);
        Assert.Equal((message.Shard, message.Lease, message.TrialCount), (back.Shard, back.Lease, back.TrialCount));
        Assert.Equal(Payload.ToArray(), back.State.ToArray());
    }

    [Fact]
    public void RestorePoint_round_trips_empty_and_full()
    {
        var full = RoundTrip(new RestorePoint(4, 12, Payload));
        Assert.Equal((4, 12), (full.PointIndex, full.ShardsMerged));
        Assert.Equal(Payload.ToArray(), full.State.ToArray());
        var empty = RoundTrip(new RestorePoint(0, 0, ImmutableArray<byte>.Empty));
        Assert.Empty(empty.State);
    }

    [Fact]
    public void Merge_reports_round_trip()
    {
        var restored = new PointRestored(5, 9, 18000, false, [11, 12, 14]);
        Assert.Equal(restored, RoundTrip(restored));
        var none = new PointRestored(5, 9, 18000, true, []);
        Assert.Equal(none, RoundTrip(none));
        Assert.NotEqual(restored, none with { PointDone = false });
        var merged = new ShardMerged(Shard, Lease, 16, 32000, false);
        Assert.Equal(merged, RoundTrip(merged));
        foreach (var reason in Enum.GetValues<DiscardReason>())
        {
            var discarded = new ShardDiscarded(Shard, Lease, reason, 20, 40000, true);
            Assert.Equal(discarded, RoundTrip(discarded));
        }
    }

    [Fact]
    public void Snapshot_messages_round_trip()
    {
        var request = new GetPointSnapshot(7, 42);
        Assert.Equal(request, RoundTrip(request));
        var answer = RoundTrip(new PointSnapshotResult(7, 42, 3, 6000, false, Payload));
        Assert.Equal((7, 42L, 3, 6000L, false), (answer.PointIndex, answer.CollectionId, answer.ShardsMerged, answer.Trials, answer.Done));
        Assert.Equal(Payload.ToArray(), answer.State.ToArray());
        Assert.Equal(new PublishFinalSnapshot(null), RoundTrip(new PublishFinalSnapshot(null)));
        Assert.Equal(new PublishFinalSnapshot("shard failed"), RoundTrip(new PublishFinalSnapshot("shard failed")));
    }

    [Fact]
    public void Streaming_messages_round_trip()
    {
        Assert.Equal(new PointCompleted(12345), RoundTrip(new PointCompleted(12345)));
        Assert.Equal(new ReleasePoint(99999), RoundTrip(new ReleasePoint(99999)));
    }

    [Fact]
    public void SweepProgressReport_round_trips()
    {
        var report = RoundTrip(new SweepProgressReport([new PointTrials(0, 10, true), new PointTrials(1, 0, false)], 10));
        Assert.Equal(10, report.TrialsThisRun);
        Assert.Equal([new PointTrials(0, 10, true), new PointTrials(1, 0, false)], report.Points.ToArray());
    }

    [Fact]
    public void An_unknown_manifest_throws_naming_it()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(StopSweep.Instance);
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary([1, 2, 3], "ZZ"));
        Assert.Contains("\"ZZ\"", error.Message);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(StopSweep.Instance);
        var bytes = serializer.ToBinary(new GetPointSnapshot(1, 2)).Concat(new byte[] { 9 }).ToArray();
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "GS"));
    }

    [Fact]
    public void Every_wire_message_type_has_its_own_manifest()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(StopSweep.Instance);
        var wireTypes = typeof(ISweepMessage).Assembly.GetTypes()
            .Where(t => typeof(ISweepMessage).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false })
            .ToList();
        Assert.NotEmpty(wireTypes);
        // Manifest looks only at the type, so an uninitialized instance is enough.
        var manifests = wireTypes.Select(t => serializer.Manifest(RuntimeHelpers.GetUninitializedObject(t))).ToList();
        Assert.Equal(wireTypes.Count, manifests.Distinct().Count());
    }
}
