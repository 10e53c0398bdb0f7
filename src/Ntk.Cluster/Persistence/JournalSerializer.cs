using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using static Ntk.Cluster.Serialization.BinaryWire;

namespace Ntk.Cluster.Persistence;

/// <summary>
/// The serializer of every <see cref="IJournalRecord"/> (journal events and snapshots): a two-letter manifest per type
/// and a little-endian binary body, so the database holds no .NET type names. An unknown manifest or a truncated body
/// throws <see cref="SerializationException"/> (recovery then fails loudly instead of resuming from a wrong state).
/// </summary>
internal sealed class JournalSerializer : SerializerWithStringManifest
{
    /// <summary>Serializer id; unique in the actor system (see SweepMessageSerializer, PlanSerializer).</summary>
    public const int SerializerIdentifier = 4723;

    private const string ShardAcceptedManifest = "JA";
    private const string PointSeededManifest = "JS";
    private const string AggregatorSnapshotManifest = "JP";
    private const string ShardRecordedManifest = "JR";
    private const string RunStartedManifest = "JG";

    public JournalSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) => o switch
    {
        ShardAccepted => ShardAcceptedManifest,
        PointSeeded => PointSeededManifest,
        AggregatorSnapshot => AggregatorSnapshotManifest,
        ShardRecorded => ShardRecordedManifest,
        RunStarted => RunStartedManifest,
        _ => throw new ArgumentException($"{nameof(JournalSerializer)} cannot serialize {o.GetType().FullName}", nameof(o)),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            switch (obj)
            {
                case ShardAccepted m:
                    w.Write(m.ShardIndex);
                    WriteBytes(w, m.State);
                    break;
                case PointSeeded m:
                    w.Write(m.ShardsMerged);
                    WriteBytes(w, m.State);
                    break;
                case AggregatorSnapshot m:
                    w.Write(m.ShardsMerged);
                    WriteBytes(w, m.Merged);
                    var held = m.Held.IsDefault ? [] : m.Held;
                    w.Write(held.Length);
                    foreach (var h in held)
                    {
                        w.Write(h.ShardIndex);
                        WriteBytes(w, h.State);
                    }
                    break;
                case ShardRecorded m:
                    w.Write(m.PointIndex);
                    w.Write(m.ShardIndex);
                    w.Write(m.ShardsMerged);
                    w.Write(m.MergedTrials);
                    w.Write(m.PointDone);
                    break;
                case RunStarted m:
                    w.Write(m.Generation);
                    break;
                default:
                    throw new ArgumentException($"{nameof(JournalSerializer)} cannot serialize {obj.GetType().FullName}", nameof(obj));
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            object result = manifest switch
            {
                ShardAcceptedManifest => new ShardAccepted(r.ReadInt32(), ReadBytes(r)),
                PointSeededManifest => new PointSeeded(r.ReadInt32(), ReadBytes(r)),
                AggregatorSnapshotManifest => ReadSnapshot(r),
                ShardRecordedManifest => new ShardRecorded(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadBoolean()),
                RunStartedManifest => new RunStarted(r.ReadInt32()),
                _ => throw new SerializationException($"unknown journal manifest \"{manifest}\" ({bytes.Length} bytes)"),
            };
            if (r.BaseStream.Position != bytes.Length)
                throw new SerializationException($"journal record \"{manifest}\": {bytes.Length - r.BaseStream.Position} bytes left over");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or DecoderFallbackException)
        {
            throw new SerializationException($"journal record \"{manifest}\" is truncated or malformed: {e.Message}", e);
        }
    }

    private static AggregatorSnapshot ReadSnapshot(BinaryReader r)
    {
        var shardsMerged = r.ReadInt32();
        var merged = ReadBytes(r);
        var count = r.ReadInt32();
        if (count < 0 || count > r.BaseStream.Length) throw new SerializationException($"aggregator snapshot: {count} held shards");
        var held = ImmutableArray.CreateBuilder<HeldShard>(count);
        for (var i = 0; i < count; i++) held.Add(new HeldShard(r.ReadInt32(), ReadBytes(r)));
        return new AggregatorSnapshot(shardsMerged, merged, held.MoveToImmutable());
    }
}
