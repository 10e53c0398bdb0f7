using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Ntk.Numerics.Statistics;

// Byte-level helpers of the exact state formats (PointAccumulator.ToBytes, QuantileSketch.ToBytes; docs/numerics.md §4).
// Invariant: WriteDouble/ReadDouble move the 64-bit pattern unchanged, so every double (NaN payloads, −0) round-trips.

/// <summary>Little-endian writer over a destination sized in advance (doubles written bit-exactly).</summary>
internal ref struct ByteWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    public ByteWriter(Span<byte> destination)
    {
        _destination = destination;
        _position = 0;
    }

    public int Position => _position;

    public void WriteByte(byte value) => _destination[_position++] = value;

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_destination[_position..], value);
        _position += 4;
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_destination[_position..], value);
        _position += 8;
    }

    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_destination[_position..], BitConverter.DoubleToInt64Bits(value));
        _position += 8;
    }

    public void WriteDoubles(ReadOnlySpan<double> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            // The in-memory bytes already are the little-endian bit patterns.
            MemoryMarshal.AsBytes(values).CopyTo(_destination[_position..]);
            _position += 8 * values.Length;
            return;
        }
        foreach (var value in values) WriteDouble(value);
    }

    public Span<byte> Reserve(int length)
    {
        var slice = _destination.Slice(_position, length);
        _position += length;
        return slice;
    }
}

/// <summary>Little-endian reader that names the field and offset when the data ends early.</summary>
internal ref struct ByteReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _what;
    private int _position;

    public ByteReader(ReadOnlySpan<byte> data, string what)
    {
        _data = data;
        _what = what;
        _position = 0;
    }

    public int Position => _position;

    public byte ReadByte(string field) => Take(1, field)[0];

    public int ReadInt32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

    public long ReadInt64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public double ReadDouble(string field) => BitConverter.Int64BitsToDouble(ReadInt64(field));

    public void ReadDoubles(Span<double> destination, string field)
    {
        var bytes = Take(checked(8 * destination.Length), field);
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(destination));
            return;
        }
        for (var i = 0; i < destination.Length; i++)
            destination[i] = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(8 * i, 8)));
    }

    public ReadOnlySpan<byte> Take(int length, string field)
    {
        if (length < 0 || _data.Length - _position < length)
            throw new FormatException(
                $"{_what}: truncated data: {field} needs {length} bytes at offset {_position}, but only {_data.Length - _position} remain");
        var slice = _data.Slice(_position, length);
        _position += length;
        return slice;
    }

    public void EnsureEnd()
    {
        if (_position != _data.Length)
            throw new FormatException($"{_what}: {_data.Length - _position} unexpected trailing bytes after offset {_position}");
    }
}
