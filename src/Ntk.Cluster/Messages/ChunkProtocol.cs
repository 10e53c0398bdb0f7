using System.Collections.Immutable;

namespace Ntk.Cluster.Messages;

// Large states travel in pieces under the frame size (akka.remote.dot-netty.tcp.maximum-frame-size stays near Akka's
// default): a message whose serialized body exceeds ntk.cluster.chunk-bytes is cut into MessageChunks by
// Serialization.MessageChunker and rebuilt by Serialization.ChunkAssembler in the receiving actor, which then handles
// it as if it had arrived whole. A transfer that is incomplete, out of order, too large or too slow is dropped: the
// protocols above already tolerate a lost message (a lease expires, a snapshot collection times out, a restore is
// re-sent, a plan request is repeated).

/// <summary>A message that may be larger than one frame: the sender offers it to the chunker.</summary>
internal interface ILargeMessage
{
    /// <summary>Bytes of its large field (a serialized state or plan); the rest of the message is small.</summary>
    long PayloadBytes { get; }
}

/// <summary>
/// Piece <see cref="Index"/> (0-based) of <see cref="Count"/> of one serialized message of <see cref="TotalBytes"/>
/// bytes, written by serializer <see cref="SerializerId"/> with <see cref="Manifest"/>. <see cref="TransferId"/> is
/// unique per sender; <see cref="PointIndex"/> routes the pieces of a point's message through the aggregator shard
/// region (−1 when the message is not for an aggregator).
/// </summary>
internal sealed record MessageChunk(
    long TransferId, int PointIndex, int Index, int Count, long TotalBytes, int SerializerId, string Manifest,
    ImmutableArray<byte> Payload) : IPointMessage
{
    // Value equality, also over the payload bytes (ImmutableArray compares by reference).
    public bool Equals(MessageChunk? other) =>
        other is not null &&
        (TransferId, PointIndex, Index, Count, TotalBytes, SerializerId, Manifest) ==
        (other.TransferId, other.PointIndex, other.Index, other.Count, other.TotalBytes, other.SerializerId, other.Manifest) &&
        Payload.AsSpan().SequenceEqual(other.Payload.AsSpan());

    public override int GetHashCode() => HashCode.Combine(TransferId, Index, Count);
}
