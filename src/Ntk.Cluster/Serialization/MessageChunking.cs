using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Serialization;
using Ntk.Cluster.Clustering;
using Ntk.Cluster.Messages;
using Ntk.Cluster.Logging;

namespace Ntk.Cluster.Serialization;

/// <summary>
/// Settings of message chunking, read once per actor system from <c>ntk.cluster</c> (cluster-config/base.hocon):
/// <c>chunk-bytes</c> (payload per chunk; off or 0: never chunk, the default of <c>ntk run</c>, whose messages
/// never leave the process), <c>max-message-bytes</c> (largest message reassembled), <c>max-transfers</c> (transfers
/// being reassembled at once per receiving actor), <c>chunk-timeout</c> (a transfer that gets no chunk for this long
/// is dropped).
/// </summary>
internal sealed record ChunkSettings(int ChunkBytes, long MaxMessageBytes, int MaxTransfers, TimeSpan Timeout)
{
    public static readonly ChunkSettings Off = new(0, 1L << 30, 16, TimeSpan.FromSeconds(60));

    public bool Enabled => ChunkBytes > 0;

    public static ChunkSettings From(Config config)
    {
        if (!config.HasPath("ntk.cluster.chunk-bytes")) return Off;
        var text = config.GetString("ntk.cluster.chunk-bytes");
        var chunkBytes = text is "off" or "0" ? 0 : (int)(config.GetByteSize("ntk.cluster.chunk-bytes") ?? 0);
        return new ChunkSettings(
            chunkBytes,
            config.GetByteSize("ntk.cluster.max-message-bytes") ?? Off.MaxMessageBytes,
            config.GetInt("ntk.cluster.max-transfers", Off.MaxTransfers),
            config.GetTimeSpan("ntk.cluster.chunk-timeout", Off.Timeout));
    }
}

/// <summary>
/// Sends messages, cutting those larger than <see cref="ChunkSettings.ChunkBytes"/> into <see cref="MessageChunk"/>s.
/// One per actor system (<see cref="For"/>). Only <see cref="ILargeMessage"/>s whose payload exceeds the chunk size are
/// serialized here; every other message is sent as it is.
/// </summary>
internal sealed class MessageChunker : IExtension
{
    private readonly Akka.Serialization.Serialization _serialization;
    private long _nextTransfer;

    public MessageChunker(ExtendedActorSystem system)
    {
        _serialization = system.Serialization;
        Settings = ChunkSettings.From(system.Settings.Config);
        // Transfer ids of a restarted sender must not collide with its previous life's (the receiver keys transfers
        // by sender and id): start at a random point of the 63-bit range.
        _nextTransfer = Random.Shared.NextInt64(long.MaxValue / 2);
    }

    public ChunkSettings Settings { get; }

    public static MessageChunker For(ActorSystem system) => system.WithExtension<MessageChunker, MessageChunkerProvider>();

    /// <summary>
    /// Tells <paramref name="message"/> to <paramref name="target"/>, in chunks when it is an <see cref="ILargeMessage"/>
    /// bigger than the chunk size. <paramref name="pointIndex"/> routes the chunks of a point's message (−1 otherwise).
    /// </summary>
    public void Tell(ICanTell target, object message, IActorRef sender, int pointIndex = -1)
    {
        if (!Settings.Enabled || message is not ILargeMessage large || large.PayloadBytes <= Settings.ChunkBytes)
        {
            target.Tell(message, sender);
            return;
        }
        foreach (var chunk in Split(message, pointIndex)) target.Tell(chunk, sender);
    }

    /// <summary>The chunks of <paramref name="message"/> (serialized with its bound serializer, which must use string manifests).</summary>
    public IReadOnlyList<MessageChunk> Split(object message, int pointIndex)
    {
        var serializer = _serialization.FindSerializerFor(message);
        if (serializer is not SerializerWithStringManifest withManifest)
            throw new InvalidOperationException($"{message.GetType().Name}: chunked messages need a serializer with string manifests");
        var bytes = serializer.ToBinary(message);
        var manifest = withManifest.Manifest(message);
        var size = Math.Max(1, Settings.ChunkBytes);
        var count = (int)Math.Max(1, (bytes.LongLength + size - 1) / size);
        var transfer = Interlocked.Increment(ref _nextTransfer);
        var chunks = new MessageChunk[count];
        for (var i = 0; i < count; i++)
        {
            var start = (long)i * size;
            var length = (int)Math.Min(size, bytes.LongLength - start);
            chunks[i] = new MessageChunk(transfer, pointIndex, i, count, bytes.LongLength, serializer.Identifier, manifest,
                ImmutableCollectionsMarshal.AsImmutableArray(bytes.AsSpan((int)start, length).ToArray()));
        }
        return chunks;
    }

    /// <summary>A new assembler for one receiving actor.</summary>
    public ChunkAssembler NewAssembler() => new(_serialization, Settings);
}

internal sealed class MessageChunkerProvider : ExtensionIdProvider<MessageChunker>
{
    public override MessageChunker CreateExtension(ExtendedActorSystem system) => new(system);
}

/// <summary>
/// Rebuilds chunked messages for one receiving actor (not thread-safe: use it inside the actor). A transfer is keyed
/// by (sender, transfer id); its chunks must arrive in order (Akka delivers the messages of one sender to one
/// receiver in order). Bounded: a transfer larger than <see cref="ChunkSettings.MaxMessageBytes"/>, with an
/// inconsistent or out-of-order chunk, or beyond <see cref="ChunkSettings.MaxTransfers"/> concurrent ones is dropped
/// (the oldest goes first), as is one that got no chunk within <see cref="ChunkSettings.Timeout"/>. Memory is
/// allocated as chunks arrive, never from a claimed size. Only the project's own serializers may be named by a chunk.
/// </summary>
internal sealed class ChunkAssembler(Akka.Serialization.Serialization serialization, ChunkSettings settings)
{
    private static readonly int[] AllowedSerializers =
        [SweepMessageSerializer.SerializerIdentifier, PlanSerializer.SerializerIdentifier];

    private readonly Dictionary<(string Sender, long Transfer), Transfer> _transfers = [];

    /// <summary>Transfers being reassembled.</summary>
    public int Pending => _transfers.Count;

    /// <summary>Bytes held by incomplete transfers.</summary>
    public long PendingBytes => _transfers.Values.Sum(t => t.Received);

    /// <summary>
    /// Adds <paramref name="chunk"/> from <paramref name="sender"/> at time <paramref name="now"/>. Returns the rebuilt
    /// message when this was its last chunk, else null; <paramref name="problem"/> says why a transfer was dropped
    /// (null when nothing was).
    /// </summary>
    public object? Add(MessageChunk chunk, IActorRef sender, DateTime now, out string? problem)
    {
        problem = DropExpired(now);
        var key = (sender.Path.ToString(), chunk.TransferId);
        if (Invalid(chunk) is { } invalid)
        {
            _transfers.Remove(key);
            problem = $"transfer {chunk.TransferId} from {sender.Path}: {invalid}; dropped";
            return null;
        }
        if (!_transfers.TryGetValue(key, out var transfer))
        {
            if (chunk.Index != 0)
            {
                problem = $"transfer {chunk.TransferId} from {sender.Path}: chunk {chunk.Index} without its start; dropped";
                return null;
            }
            if (_transfers.Count >= settings.MaxTransfers)
            {
                var oldest = _transfers.MinBy(t => t.Value.LastChunk).Key;
                _transfers.Remove(oldest);
                problem = $"transfer {oldest.Transfer} from {oldest.Sender}: more than {settings.MaxTransfers} transfers at once; the oldest dropped";
            }
            transfer = new Transfer(chunk);
            _transfers[key] = transfer;
        }
        else if (!transfer.Continues(chunk))
        {
            _transfers.Remove(key);
            problem = $"transfer {chunk.TransferId} from {sender.Path}: chunk {chunk.Index} does not continue chunk {transfer.NextIndex - 1} " +
                      "of the same message; dropped";
            return null;
        }
        if (transfer.Received + chunk.Payload.Length > transfer.TotalBytes)
        {
            _transfers.Remove(key);
            problem = $"transfer {chunk.TransferId} from {sender.Path}: more than the {transfer.TotalBytes} bytes announced; dropped";
            return null;
        }
        transfer.Append(chunk, now);
        if (transfer.NextIndex < transfer.Count) return null;
        _transfers.Remove(key);
        if (transfer.Received != transfer.TotalBytes)
        {
            problem = $"transfer {chunk.TransferId} from {sender.Path}: {transfer.Received} bytes received, {transfer.TotalBytes} announced; dropped";
            return null;
        }
        var message = serialization.Deserialize(transfer.Join(), transfer.SerializerId, transfer.Manifest);
        if (message is MessageChunk)
        {
            problem = $"transfer {chunk.TransferId} from {sender.Path}: a chunk inside a chunk; dropped";
            return null;
        }
        return message;
    }

    /// <summary>Drops transfers that got no chunk within the timeout; says which, or null.</summary>
    public string? DropExpired(DateTime now)
    {
        List<(string, long)>? expired = null;
        foreach (var (key, transfer) in _transfers)
            if (now - transfer.LastChunk > settings.Timeout) (expired ??= []).Add(key);
        if (expired is null) return null;
        foreach (var key in expired) _transfers.Remove(key);
        return $"{expired.Count} transfer(s) got no chunk for {settings.Timeout.TotalSeconds:0} s; dropped";
    }

    private string? Invalid(MessageChunk chunk)
    {
        if (Array.IndexOf(AllowedSerializers, chunk.SerializerId) < 0) return $"serializer {chunk.SerializerId} is not allowed";
        if (chunk.TotalBytes < 1 || chunk.TotalBytes > settings.MaxMessageBytes)
            return $"{chunk.TotalBytes} bytes announced, the limit is {settings.MaxMessageBytes} (ntk.cluster.max-message-bytes)";
        if (chunk.Count < 1 || chunk.Count > chunk.TotalBytes || chunk.Index < 0 || chunk.Index >= chunk.Count)
            return $"chunk {chunk.Index} of {chunk.Count} is inconsistent";
        var payload = chunk.Payload.IsDefault ? 0 : chunk.Payload.Length;
        if (payload < 1) return "an empty chunk";
        return null;
    }

    private sealed class Transfer(MessageChunk first)
    {
        private readonly List<ImmutableArray<byte>> _parts = [];

        public int Count { get; } = first.Count;
        public long TotalBytes { get; } = first.TotalBytes;
        public int SerializerId { get; } = first.SerializerId;
        public string Manifest { get; } = first.Manifest;
        public int NextIndex { get; private set; }
        public long Received { get; private set; }
        public DateTime LastChunk { get; private set; } = DateTime.MinValue;

        public bool Continues(MessageChunk chunk) =>
            chunk.Index == NextIndex && chunk.Count == Count && chunk.TotalBytes == TotalBytes &&
            chunk.SerializerId == SerializerId && chunk.Manifest == Manifest;

        public void Append(MessageChunk chunk, DateTime now)
        {
            _parts.Add(chunk.Payload);
            Received += chunk.Payload.Length;
            NextIndex++;
            LastChunk = now;
        }

        public byte[] Join()
        {
            var bytes = new byte[TotalBytes];
            long offset = 0;
            foreach (var part in _parts)
            {
                part.AsSpan().CopyTo(bytes.AsSpan((int)offset));
                offset += part.Length;
            }
            _parts.Clear();
            return bytes;
        }
    }
}

/// <summary>
/// The receiving side of chunking inside one actor: feeds <see cref="MessageChunk"/>s to a <see cref="ChunkAssembler"/>,
/// logs dropped transfers (<c>ChunkedMessageDropped</c>, with the reason) and delivers a rebuilt message to the actor
/// itself with its original sender, so the actor handles it exactly as if it had arrived whole.
/// </summary>
internal sealed class ChunkInbox(ActorSystem system, ILoggingAdapter log, string owner)
{
    private readonly ChunkAssembler _assembler = MessageChunker.For(system).NewAssembler();

    public void Receive(MessageChunk chunk, IActorRef sender, IActorRef self)
    {
        object? message;
        string? problem;
        try
        {
            message = _assembler.Add(chunk, sender, DateTime.UtcNow, out problem);
        }
        catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or ArgumentException or FormatException)
        {
            message = null;
            problem = $"transfer {chunk.TransferId} from {sender.Path}: the rebuilt message does not deserialize: {e.Message}";
        }
        if (problem is not null)
            log.Warning("{Event:l}: {Owner}: {Reason}", LogEvents.ChunkedMessageDropped, owner, problem);
        if (message is not null) self.Tell(message, sender);
    }
}
