using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Ntk.Cluster.Messages;
using Ntk.Numerics.MonteCarlo;
using static Ntk.Cluster.Serialization.BinaryWire;

namespace Ntk.Cluster.Serialization;

/// <summary>
/// The one serializer for <see cref="ISweepMessage"/>: a two-letter manifest per message type and a compact
/// little-endian binary body (no type names on the wire). Actor references travel as their serialized path and are
/// resolved by the receiving system's provider. An unknown manifest throws <see cref="SerializationException"/>.
/// </summary>
internal sealed class SweepMessageSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id; must be unique in the actor system (Akka reserves 0–100).</summary>
    public const int SerializerIdentifier = 4721;

    private const string RequestWorkManifest = "RW";
    private const string LeaseShardManifest = "LS";
    private const string NoWorkAvailableManifest = "NW";
    private const string SweepFinishedManifest = "SF";
    private const string DeclineLeaseManifest = "DL";
    private const string ShardFailedManifest = "FA";
    private const string StopSweepManifest = "ST";
    private const string ShardResultManifest = "SR";
    private const string RestorePointManifest = "RP";
    private const string PointRestoredManifest = "PR";
    private const string ShardMergedManifest = "SM";
    private const string ShardDiscardedManifest = "SD";
    private const string GetPointSnapshotManifest = "GS";
    private const string PointSnapshotResultManifest = "PS";
    private const string PublishFinalSnapshotManifest = "PF";
    private const string SweepProgressReportManifest = "PG";
    private const string PointCompletedManifest = "PC";
    private const string ReleasePointManifest = "RL";
    private const string MessageChunkManifest = "MC";
    private const string JournalWriteFailedManifest = "JF";

    private static readonly byte[] Empty = [];

    public SweepMessageSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        RequestWork => RequestWorkManifest,
        LeaseShard => LeaseShardManifest,
        NoWorkAvailable => NoWorkAvailableManifest,
        SweepFinished => SweepFinishedManifest,
        DeclineLease => DeclineLeaseManifest,
        ShardFailed => ShardFailedManifest,
        StopSweep => StopSweepManifest,
        ShardResult => ShardResultManifest,
        RestorePoint => RestorePointManifest,
        PointRestored => PointRestoredManifest,
        ShardMerged => ShardMergedManifest,
        ShardDiscarded => ShardDiscardedManifest,
        GetPointSnapshot => GetPointSnapshotManifest,
        PointSnapshotResult => PointSnapshotResultManifest,
        PublishFinalSnapshot => PublishFinalSnapshotManifest,
        SweepProgressReport => SweepProgressReportManifest,
        PointCompleted => PointCompletedManifest,
        ReleasePoint => ReleasePointManifest,
        MessageChunk => MessageChunkManifest,
        JournalWriteFailed => JournalWriteFailedManifest,
        _ => throw new ArgumentException($"{nameof(SweepMessageSerializer)} cannot serialize {o.GetType().FullName}", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        if (obj is NoWorkAvailable or SweepFinished or StopSweep) return Empty;
        // Sized up front for messages with a large payload: no doubling of a buffer of hundreds of MB.
        using var stream = new MemoryStream(obj is ILargeMessage large ? (int)Math.Min(large.PayloadBytes + 256, Array.MaxLength) : 256);
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case RequestWork m:
                    w.Write(m.Worker.Value);
                    WriteActorRef(w, m.ReplyTo);
                    break;
                case LeaseShard m:
                    w.Write(m.Lease.Value);
                    w.Write(m.Shard.PointIndex);
                    w.Write(m.Shard.ShardIndex);
                    w.Write(m.Shard.FirstTrial);
                    w.Write(m.Shard.TrialCount);
                    break;
                case DeclineLease m:
                    WriteShard(w, m.Shard);
                    w.Write(m.Lease.Value);
                    break;
                case ShardFailed m:
                    WriteShard(w, m.Shard);
                    w.Write(m.Lease.Value);
                    w.Write(m.Worker.Value);
                    w.Write(m.Reason);
                    break;
                case ShardResult m:
                    WriteShard(w, m.Shard);
                    w.Write(m.Lease.Value);
                    w.Write(m.TrialCount);
                    WriteBytes(w, m.State);
                    break;
                case RestorePoint m:
                    w.Write(m.PointIndex);
                    w.Write(m.ShardsMerged);
                    WriteBytes(w, m.State);
                    break;
                case PointRestored m:
                    w.Write(m.PointIndex);
                    w.Write(m.ShardsMerged);
                    w.Write(m.MergedTrials);
                    w.Write(m.PointDone);
                    WriteInts(w, m.HeldShards);
                    break;
                case ShardMerged m:
                    WriteShard(w, m.Shard);
                    w.Write(m.Lease.Value);
                    w.Write(m.ShardsMerged);
                    w.Write(m.MergedTrials);
                    w.Write(m.PointDone);
                    break;
                case ShardDiscarded m:
                    WriteShard(w, m.Shard);
                    w.Write(m.Lease.Value);
                    w.Write((byte)m.Reason);
                    w.Write(m.ShardsMerged);
                    w.Write(m.MergedTrials);
                    w.Write(m.PointDone);
                    break;
                case GetPointSnapshot m:
                    w.Write(m.PointIndex);
                    w.Write(m.CollectionId);
                    break;
                case PointSnapshotResult m:
                    w.Write(m.PointIndex);
                    w.Write(m.CollectionId);
                    w.Write(m.ShardsMerged);
                    w.Write(m.Trials);
                    w.Write(m.Done);
                    WriteBytes(w, m.State);
                    break;
                case PublishFinalSnapshot m:
                    w.Write(m.Failure is not null);
                    if (m.Failure is not null) w.Write(m.Failure);
                    break;
                case JournalWriteFailed m:
                    w.Write(m.PointIndex);
                    w.Write(m.Reason);
                    break;
                case SweepProgressReport m:
                    w.Write(m.TrialsThisRun);
                    w.Write(m.Points.IsDefault ? 0 : m.Points.Length);
                    if (!m.Points.IsDefault)
                        foreach (var p in m.Points)
                        {
                            w.Write(p.PointIndex);
                            w.Write(p.Trials);
                            w.Write(p.Done);
                        }
                    break;
                case PointCompleted m:
                    w.Write(m.PointIndex);
                    break;
                case ReleasePoint m:
                    w.Write(m.PointIndex);
                    break;
                case MessageChunk m:
                    w.Write(m.TransferId);
                    w.Write(m.PointIndex);
                    w.Write(m.Index);
                    w.Write(m.Count);
                    w.Write(m.TotalBytes);
                    w.Write(m.SerializerId);
                    w.Write(m.Manifest);
                    WriteBytes(w, m.Payload);
                    break;
                default:
                    throw new ArgumentException($"{nameof(SweepMessageSerializer)} cannot serialize {obj.GetType().FullName}", nameof(obj));
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        switch (manifest)
        {
            case NoWorkAvailableManifest: return NoWorkAvailable.Instance;
            case SweepFinishedManifest: return SweepFinished.Instance;
            case StopSweepManifest: return StopSweep.Instance;
        }
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
        object message = manifest switch
        {
            RequestWorkManifest => new RequestWork(new WorkerId(r.ReadString()), ReadActorRef(r)),
            LeaseShardManifest => new LeaseShard(
                new LeaseId(r.ReadInt64()), new ShardSpec(r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32())),
            DeclineLeaseManifest => new DeclineLease(ReadShard(r), new LeaseId(r.ReadInt64())),
            ShardFailedManifest => new ShardFailed(
                ReadShard(r), new LeaseId(r.ReadInt64()), new WorkerId(r.ReadString()), r.ReadString()),
            ShardResultManifest => new ShardResult(ReadShard(r), new LeaseId(r.ReadInt64()), r.ReadInt64(), ReadBytes(r)),
            RestorePointManifest => new RestorePoint(r.ReadInt32(), r.ReadInt32(), ReadBytes(r)),
            PointRestoredManifest => new PointRestored(r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadBoolean(), ReadInts(r)),
            ShardMergedManifest => new ShardMerged(
                ReadShard(r), new LeaseId(r.ReadInt64()), r.ReadInt32(), r.ReadInt64(), r.ReadBoolean()),
            ShardDiscardedManifest => new ShardDiscarded(
                ReadShard(r), new LeaseId(r.ReadInt64()), ReadReason(r), r.ReadInt32(), r.ReadInt64(), r.ReadBoolean()),
            GetPointSnapshotManifest => new GetPointSnapshot(r.ReadInt32(), r.ReadInt64()),
            PointSnapshotResultManifest => new PointSnapshotResult(
                r.ReadInt32(), r.ReadInt64(), r.ReadInt32(), r.ReadInt64(), r.ReadBoolean(), ReadBytes(r)),
            PublishFinalSnapshotManifest => new PublishFinalSnapshot(r.ReadBoolean() ? r.ReadString() : null),
            SweepProgressReportManifest => ReadProgress(r),
            PointCompletedManifest => new PointCompleted(r.ReadInt32()),
            ReleasePointManifest => new ReleasePoint(r.ReadInt32()),
            MessageChunkManifest => new MessageChunk(
                r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt32(), r.ReadString(), ReadBytes(r)),
            JournalWriteFailedManifest => new JournalWriteFailed(r.ReadInt32(), r.ReadString()),
            _ => throw new SerializationException(
                $"{nameof(SweepMessageSerializer)}: unknown manifest \"{manifest}\" ({bytes.Length} bytes); " +
                "the sender runs a different version of Ntk.Cluster, or the message is not a sweep message"),
        };
        if (r.BaseStream.Position != bytes.Length)
            throw new SerializationException(
                $"{nameof(SweepMessageSerializer)}: manifest \"{manifest}\" left {bytes.Length - r.BaseStream.Position} bytes unread");
        return message;
    }

    private static void WriteShard(BinaryWriter w, ShardId shard)
    {
        w.Write(shard.PointIndex);
        w.Write(shard.ShardIndex);
    }

    private static ShardId ReadShard(BinaryReader r) => new(r.ReadInt32(), r.ReadInt32());

    private static DiscardReason ReadReason(BinaryReader r)
    {
        var value = r.ReadByte();
        return Enum.IsDefined(typeof(DiscardReason), value)
            ? (DiscardReason)value
            : throw new SerializationException($"{nameof(SweepMessageSerializer)}: unknown discard reason {value}");
    }

    private static SweepProgressReport ReadProgress(BinaryReader r)
    {
        var trialsThisRun = r.ReadInt64();
        var count = r.ReadInt32();
        if (count < 0) throw new SerializationException($"{nameof(SweepMessageSerializer)}: negative point count {count}");
        var points = ImmutableArray.CreateBuilder<PointTrials>(count);
        for (var i = 0; i < count; i++) points.Add(new PointTrials(r.ReadInt32(), r.ReadInt64(), r.ReadBoolean()));
        return new SweepProgressReport(points.MoveToImmutable(), trialsThisRun);
    }

    private static void WriteActorRef(BinaryWriter w, IActorRef? actorRef)
    {
        w.Write(actorRef is not null);
        if (actorRef is not null) w.Write(Akka.Serialization.Serialization.SerializedActorPath(actorRef));
    }

    private IActorRef? ReadActorRef(BinaryReader r) =>
        r.ReadBoolean() ? system.Provider.ResolveActorRef(r.ReadString()) : null;
}
