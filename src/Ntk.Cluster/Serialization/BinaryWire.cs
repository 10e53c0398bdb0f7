using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;

namespace Ntk.Cluster.Serialization;

/// <summary>Length-prefixed arrays for the project's binary serializers (messages and journal records): a length
/// that is negative or longer than what is left of the body throws <see cref="SerializationException"/> before
/// anything is allocated.</summary>
internal static class BinaryWire
{
    public static void WriteBytes(BinaryWriter w, ImmutableArray<byte> bytes)
    {
        var span = bytes.IsDefault ? ReadOnlySpan<byte>.Empty : bytes.AsSpan();
        w.Write(span.Length);
        w.Write(span);
    }

    public static ImmutableArray<byte> ReadBytes(BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position)
            throw new SerializationException($"byte array of length {length} does not fit the {r.BaseStream.Length}-byte body");
        return ImmutableCollectionsMarshal.AsImmutableArray(r.ReadBytes(length));
    }

    public static void WriteInts(BinaryWriter w, ImmutableArray<int> values)
    {
        var span = values.IsDefault ? ReadOnlySpan<int>.Empty : values.AsSpan();
        w.Write(span.Length);
        foreach (var value in span) w.Write(value);
    }

    public static ImmutableArray<int> ReadInts(BinaryReader r)
    {
        var count = r.ReadInt32();
        if (count < 0 || count > (r.BaseStream.Length - r.BaseStream.Position) / sizeof(int))
            throw new SerializationException($"int array of length {count} does not fit the {r.BaseStream.Length}-byte body");
        var values = ImmutableArray.CreateBuilder<int>(count);
        for (var i = 0; i < count; i++) values.Add(r.ReadInt32());
        return values.MoveToImmutable();
    }
}
