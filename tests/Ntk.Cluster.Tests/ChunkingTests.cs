using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Serialization;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Serialization;
using Ntk.Cluster.Tests.Support;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Randomness;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Networks;
using Xunit;
using Xunit.Abstractions;

namespace Ntk.Cluster.Tests;

/// <summary>
/// Messages larger than a frame travel as <see cref="MessageChunk"/>s (MessageChunker) and are rebuilt by
/// <see cref="ChunkAssembler"/>: round trips of every large message, and every bound of the reassembly.
/// </summary>
public class ChunkingTests : Akka.TestKit.Xunit2.TestKit
{
    private const int ChunkBytes = 1000;
    private static readonly DateTime Start = new(2026, 12, 2, 12, 0, 0, DateTimeKind.Utc);

    private static Config ChunkingConfig => ConfigurationFactory.ParseString($$"""
        ntk.cluster.chunk-bytes = {{ChunkBytes}}b
        ntk.cluster.max-message-bytes = 64KiB
        ntk.cluster.max-transfers = 2
        ntk.cluster.chunk-timeout = 10s
        akka.actor.serializers.ntk-cluster = "Ntk.Cluster.Clustering.PlanSerializer, Ntk.Cluster"
        akka.actor.serialization-bindings { "Ntk.Cluster.Clustering.IClusterWiringMessage, Ntk.Cluster" = ntk-cluster }
        """).WithFallback(TestConfigs.SerializeEverything);

    public ChunkingTests(ITestOutputHelper output) : base(ChunkingConfig, output: output) { }

    private MessageChunker Chunker => MessageChunker.For(Sys);

    private static ImmutableArray<byte> Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return [.. bytes];
    }

    private object Reassemble(IReadOnlyList<MessageChunk> chunks, ChunkAssembler? assembler = null)
    {
        assembler ??= Chunker.NewAssembler();
        object? message = null;
        for (var i = 0; i < chunks.Count; i++)
        {
            message = assembler.Add(chunks[i], TestActor, Start, out var problem);
            Assert.Null(problem);
            Assert.Equal(i == chunks.Count - 1, message is not null);
        }
        Assert.Equal(0, assembler.Pending);
        return message!;
    }

    [Fact]
    public void MessageChunk_round_trips()
    {
        var chunk = new MessageChunk(long.MaxValue - 3, 7, 2, 9, 8500, SweepMessageSerializer.SerializerIdentifier, "SR", Bytes(1000, 1));
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(chunk);
        Assert.Equal("MC", serializer.Manifest(chunk));
        Assert.Equal(chunk, serializer.FromBinary(serializer.ToBinary(chunk), "MC"));
    }

    [Fact]
    public void A_large_shard_result_travels_in_chunks_under_the_chunk_size_and_comes_back_equal()
    {
        var message = new ShardResult(new ShardId(3, 17), new LeaseId(99), 2000, Bytes(10_500, 2));
        var chunks = Chunker.Split(message, pointIndex: 3);
        Assert.Equal(11, chunks.Count);
        Assert.All(chunks, c => Assert.InRange(c.Payload.Length, 1, ChunkBytes));
        Assert.All(chunks, c => Assert.Equal(3, c.PointIndex));
        Assert.Single(chunks.Select(c => c.TransferId).Distinct());
        var back = Assert.IsType<ShardResult>(Reassemble(chunks));
        Assert.Equal((message.Shard, message.Lease, message.TrialCount), (back.Shard, back.Lease, back.TrialCount));
        Assert.Equal(message.State.ToArray(), back.State.ToArray());
    }

    [Fact]
    public void Restore_seeds_snapshot_answers_and_plans_round_trip_through_chunks()
    {
        var restore = Assert.IsType<RestorePoint>(Reassemble(Chunker.Split(new RestorePoint(4, 12, Bytes(5000, 3)), 4)));
        Assert.Equal((4, 12), (restore.PointIndex, restore.ShardsMerged));
        Assert.Equal(Bytes(5000, 3).ToArray(), restore.State.ToArray());

        var answer = Assert.IsType<PointSnapshotResult>(Reassemble(Chunker.Split(
            new PointSnapshotResult(7, 42, 3, 6000, true, Bytes(3001, 4)), -1)));
        Assert.Equal((7, 42L, 3, 6000L, true), (answer.PointIndex, answer.CollectionId, answer.ShardsMerged, answer.Trials, answer.Done));
        Assert.Equal(Bytes(3001, 4).ToArray(), answer.State.ToArray());

        // A plan of 64 data-set inputs: its serialized size is well over a chunk.
        var inputs = InputSets.Sphere(8, 64, 5);
        var point = new PointDefinition(0, NetworkSpec.Uniform(8, 1, 16, WeightLaw.Gaussian), inputs, EngineKind.Dense, 5,
            StatisticGroups.Kernel | StatisticGroups.Spectrum);
        var plan = new SimulationPlan("big-plan", 5, 3, StoppingRule.Fixed(9), [new SweepPoint(point, null, null)]);
        var chunks = Chunker.Split(new SweepPlanResult(plan, "hash", false), -1);
        Assert.True(chunks.Count > 3);
        Assert.Equal(PlanSerializer.SerializerIdentifier, chunks[0].SerializerId);
        var back = Assert.IsType<SweepPlanResult>(Reassemble(chunks));
        var definition = back.Plan.Points[0].Definition;
        Assert.Equal(inputs.Values.ToArray(), definition.Inputs.Values.ToArray());
        Assert.Equal(StatisticGroups.Kernel | StatisticGroups.Spectrum, definition.Statistics);
        Assert.Equal(point.Layout.Count, definition.Layout.Count);
    }

    [Fact]
    public void Tell_sends_small_messages_whole_and_large_ones_in_chunks()
    {
        var probe = CreateTestProbe();
        Chunker.Tell(probe, new ShardResult(new ShardId(0, 1), new LeaseId(1), 10, Bytes(ChunkBytes, 5)), TestActor, 0);
        probe.ExpectMsg<ShardResult>();
        Chunker.Tell(probe, new ShardResult(new ShardId(0, 2), new LeaseId(2), 10, Bytes(ChunkBytes + 1, 6)), TestActor, 0);
        var first = probe.ExpectMsg<MessageChunk>();
        var second = probe.ExpectMsg<MessageChunk>();
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal((0, 1, 2), (first.Index, second.Index, first.Count));
        // Not a large message: never chunked, whatever its size.
        Chunker.Tell(probe, new ShardFailed(new ShardId(0, 3), new LeaseId(3), new WorkerId("w"), new string('x', 5000)), TestActor);
        probe.ExpectMsg<ShardFailed>();
    }

    [Fact]
    public void An_actor_with_a_chunk_inbox_handles_the_rebuilt_message_with_its_original_sender()
    {
        var receiver = Sys.ActorOf(Props.Create(() => new InboxActor(TestActor)));
        var message = new ShardResult(new ShardId(1, 2), new LeaseId(3), 4, Bytes(4500, 7));
        Chunker.Tell(receiver, message, TestActor, 1);
        var (back, sender) = ExpectMsg<Handled>();
        Assert.Equal(message.State.ToArray(), back.State.ToArray());
        Assert.Equal(TestActor, sender);
    }

    [Fact]
    public void A_transfer_announcing_more_than_the_limit_is_dropped_at_its_first_chunk()
    {
        var assembler = Chunker.NewAssembler();
        var chunk = new MessageChunk(1, -1, 0, 100_000, 1L << 40, SweepMessageSerializer.SerializerIdentifier, "SR", Bytes(10, 8));
        Assert.Null(assembler.Add(chunk, TestActor, Start, out var problem));
        Assert.Contains("max-message-bytes", problem);
        Assert.Equal(0, assembler.Pending);
    }

    [Fact]
    public void Chunks_naming_another_serializer_out_of_order_or_beyond_the_announced_size_are_dropped()
    {
        var chunks = Chunker.Split(new ShardResult(new ShardId(3, 1), new LeaseId(9), 5, Bytes(3500, 9)), 3);
        var assembler = Chunker.NewAssembler();

        // Akka's JSON serializer (id 1) reads type names from the network: never accepted.
        Assert.Null(assembler.Add(chunks[0] with { SerializerId = 1 }, TestActor, Start, out var problem));
        Assert.Contains("not allowed", problem);

        // A middle chunk without its start.
        Assert.Null(assembler.Add(chunks[1], TestActor, Start, out problem));
        Assert.Contains("without its start", problem);

        // Out of order: 0 then 2.
        Assert.Null(assembler.Add(chunks[0], TestActor, Start, out problem));
        Assert.Null(problem);
        Assert.Null(assembler.Add(chunks[2], TestActor, Start, out problem));
        Assert.Contains("does not continue", problem);
        Assert.Equal(0, assembler.Pending);

        // More bytes than announced.
        Assert.Null(assembler.Add(chunks[0], TestActor, Start, out _));
        Assert.Null(assembler.Add(chunks[1] with { Payload = Bytes(3000, 10) }, TestActor, Start, out problem));
        Assert.Contains("more than", problem);

        // Fewer bytes than announced: the last chunk completes the count but not the size.
        var shortChunks = chunks.Select(c => c.Index == chunks.Count - 1 ? c with { Payload = c.Payload[..1] } : c).ToList();
        for (var i = 0; i < shortChunks.Count - 1; i++) Assert.Null(assembler.Add(shortChunks[i], TestActor, Start, out _));
        Assert.Null(assembler.Add(shortChunks[^1], TestActor, Start, out problem));
        Assert.Contains("announced", problem);
        Assert.Equal(0, assembler.Pending);

        // After all that, a good transfer still goes through.
        Assert.IsType<ShardResult>(Reassemble(chunks, assembler));
    }

    [Fact]
    public void Stalled_transfers_time_out_and_at_most_max_transfers_are_held()
    {
        var assembler = Chunker.NewAssembler();
        var first = Chunker.Split(new ShardResult(new ShardId(0, 1), new LeaseId(1), 5, Bytes(2500, 11)), 0);
        var second = Chunker.Split(new ShardResult(new ShardId(0, 2), new LeaseId(2), 5, Bytes(2500, 12)), 0);
        var third = Chunker.Split(new ShardResult(new ShardId(0, 3), new LeaseId(3), 5, Bytes(2500, 13)), 0);
        Assert.Null(assembler.Add(first[0], TestActor, Start, out _));
        Assert.Null(assembler.Add(second[0], TestActor, Start.AddSeconds(1), out _));
        Assert.Equal(2, assembler.Pending);
        // max-transfers = 2: a third drops the oldest (the first).
        Assert.Null(assembler.Add(third[0], TestActor, Start.AddSeconds(2), out var problem));
        Assert.Contains("oldest dropped", problem);
        Assert.Equal(2, assembler.Pending);
        Assert.Null(assembler.Add(first[1], TestActor, Start.AddSeconds(2), out problem));
        Assert.Contains("without its start", problem);
        // chunk-timeout = 10 s: both stall past it and are dropped; the memory they held is released.
        Assert.True(assembler.PendingBytes > 0);
        Assert.Contains("got no chunk", assembler.DropExpired(Start.AddSeconds(13)));
        Assert.Equal(0, assembler.Pending);
        Assert.Equal(0, assembler.PendingBytes);
    }

    /// <summary>Reports every ShardResult it handles, with its sender, to <c>report</c>.</summary>
    private sealed class InboxActor : ReceiveActor
    {
        public InboxActor(IActorRef report)
        {
            var inbox = new ChunkInbox(Context.System, Context.GetLogger(), "test");
            Receive<MessageChunk>(chunk => inbox.Receive(chunk, Sender, Self));
            Receive<ShardResult>(result => report.Tell(new Handled(result, Sender)));
        }
    }

    private sealed record Handled(ShardResult Result, IActorRef Sender) : INoSerializationVerificationNeeded;
}
