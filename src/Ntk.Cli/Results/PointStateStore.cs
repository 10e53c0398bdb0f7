using System.Buffers.Binary;
using System.Text;
using System.Runtime.InteropServices;
using Ntk.Cluster;
using Ntk.Numerics.MonteCarlo;
using Ntk.Numerics.Statistics;

namespace Ntk.Cli.Results;

/// <summary>Where the latest record of one point lies in point-states.bin.</summary>
/// <param name="DoneSeconds">Seconds from the run's start to the point's completion (done records only).</param>
internal sealed record StoredPoint(int Point, int ShardsMerged, long Trials, bool Done, double? DoneSeconds, long StateOffset, int StateLength);

/// <summary>
/// point-states.bin: the resumable state of a sweep, one appended record per point and checkpoint, so a snapshot
/// costs the points that changed and never rewrites the file. A record holds the point's in-order merged state
/// (PointAccumulator bytes: moments and quantile sketches), its shard count and trials, and whether it is done; the
/// latest record of a point wins. A finished point gets one final record and no more. Reading builds an index (point →
/// latest record) by skipping over the states, then reads a state by point; nothing loads the whole file.
/// </summary>
/// <remarks>
/// Layout (little-endian): the 8 bytes "NTKSTAT1", the sweep hash (int32 length + UTF-8); then records: uint32
/// <see cref="RecordMagic"/>, int32 point, int32 shards merged, int64 trials, byte done, float64 seconds to done (NaN
/// if none), int32 state length, the state, uint32 <see cref="RecordMagic"/> again. A record cut short by a killed
/// process (the only way a record can be incomplete: records are only appended) is dropped when the file is opened
/// again, and the next record is written over it.
/// </remarks>
internal sealed class PointStateStore : IDisposable
{
    public const string FileName = "point-states.bin";
    private const uint RecordMagic = 0x5054_4B4E; // "NKTP"
    private const int RecordHeaderBytes = 4 + 4 + 4 + 8 + 1 + 8 + 4;
    private static readonly byte[] FileMagic = "NTKSTAT1"u8.ToArray();

    private readonly string _path;
    private readonly FileStream? _append;
    private readonly Dictionary<int, StoredPoint> _latest;
    private FileStream? _read;

    private PointStateStore(string path, FileStream? append, Dictionary<int, StoredPoint> latest, string sweepHash)
    {
        _path = path;
        _append = append;
        _latest = latest;
        SweepHash = sweepHash;
    }

    public string SweepHash { get; }

    /// <summary>The latest record of every point that has one.</summary>
    public IReadOnlyDictionary<int, StoredPoint> Latest => _latest;

    /// <summary>Starts an empty store for a fresh run (an existing file is replaced).</summary>
    public static PointStateStore Create(string path, string sweepHash)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        var hash = Encoding.UTF8.GetBytes(sweepHash);
        stream.Write(FileMagic);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, hash.Length);
        stream.Write(length);
        stream.Write(hash);
        stream.Flush(flushToDisk: true);
        return new PointStateStore(path, stream, [], sweepHash);
    }

    /// <summary>Opens a store to continue it: indexes it, drops a torn last record, appends after the last whole one.</summary>
    /// <exception cref="InvalidDataException">Not a point-state file (the message names the file).</exception>
    public static PointStateStore OpenForAppend(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        try
        {
            var (hash, latest, end) = Index(stream, path);
            stream.SetLength(end);
            stream.Position = end;
            return new PointStateStore(path, stream, latest, hash);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens a store to read it (report, resume); the file is not changed.</summary>
    /// <exception cref="InvalidDataException">Not a point-state file.</exception>
    public static PointStateStore OpenForReading(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var (hash, latest, _) = Index(stream, path);
        return new PointStateStore(path, null, latest, hash);
    }

    /// <summary>Appends a record of <paramref name="point"/> (buffered; see <see cref="Flush"/>) and indexes it.</summary>
    public void Append(PointSnapshot point, double? doneSeconds)
    {
        var stream = _append ?? throw new InvalidOperationException("the store was opened for reading");
        var state = point.State.IsDefaultOrEmpty ? point.Merged.ToBytes().AsSpan() : point.State.AsSpan();
        var header = new byte[RecordHeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, RecordMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), point.PointIndex);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), point.ShardsMerged);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(12), point.Trials);
        header[20] = point.Done ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteDoubleLittleEndian(header.AsSpan(21), doneSeconds ?? double.NaN);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(29), state.Length);
        var offset = stream.Position + RecordHeaderBytes;
        stream.Write(header);
        stream.Write(state);
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, RecordMagic);
        stream.Write(trailer);
        _latest[point.PointIndex] = new StoredPoint(point.PointIndex, point.ShardsMerged, point.Trials, point.Done,
            doneSeconds, offset, state.Length);
    }

    /// <summary>
    /// The store rewritten for an extended sweep (<see cref="SweepExtension"/>) under <paramref name="sweepHash"/>:
    /// the latest record of every point whose prefix carries over, done only when its state meets
    /// <paramref name="plan"/>'s stopping rule. Written to a temporary file and renamed over this one (a one-off cost
    /// of one pass over the latest states); this store is disposed and the returned one continues the file.
    /// </summary>
    public PointStateStore ExtendTo(string sweepHash, SimulationPlan plan)
    {
        var full = Path.GetFullPath(_path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        try
        {
            using (var extended = Create(temporary, sweepHash))
            {
                foreach (var stored in _latest.Values.OrderBy(p => p.Point))
                {
                    if (stored.Point < 0 || stored.Point >= plan.Points.Length) continue;
                    if (!SweepExtension.PrefixCarriesOver(plan, stored.ShardsMerged, stored.Trials)) continue;
                    var bytes = ReadState(stored);
                    var merged = PointAccumulator.FromBytes(plan.Points[stored.Point].Definition.Layout, bytes);
                    var done = stored.Done && plan.Stopping.IsMet(merged);
                    extended.Append(new PointSnapshot(stored.Point, stored.ShardsMerged, stored.Trials, done, merged)
                    {
                        State = ImmutableCollectionsMarshal.AsImmutableArray(bytes),
                    }, done ? stored.DoneSeconds : null);
                }
            }
            Dispose();
            File.Move(temporary, _path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        return OpenForAppend(_path);
    }

    /// <summary>Hands the appended records to the operating system (they survive a killed process); with
    /// <paramref name="toDisk"/>, to the disk.</summary>
    public void Flush(bool toDisk = false) => _append?.Flush(flushToDisk: toDisk);

    /// <summary>The state bytes of a record of this store.</summary>
    public byte[] ReadState(StoredPoint entry)
    {
        _append?.Flush();
        _read ??= new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 12);
        var bytes = new byte[entry.StateLength];
        _read.Position = entry.StateOffset;
        _read.ReadExactly(bytes);
        return bytes;
    }

    public void Dispose()
    {
        _append?.Flush(flushToDisk: true);
        _append?.Dispose();
        _read?.Dispose();
    }

    private static (string Hash, Dictionary<int, StoredPoint> Latest, long End) Index(FileStream stream, string path)
    {
        var magic = new byte[FileMagic.Length];
        if (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) != magic.Length || !magic.AsSpan().SequenceEqual(FileMagic))
            throw new InvalidDataException($"{path}: not a point-state file of this version");
        var lengthBytes = new byte[4];
        if (stream.ReadAtLeast(lengthBytes, 4, throwOnEndOfStream: false) != 4)
            throw new InvalidDataException($"{path}: the header is cut short");
        var hashLength = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
        if (hashLength is < 0 or > 1024) throw new InvalidDataException($"{path}: the header is damaged");
        var hashBytes = new byte[hashLength];
        if (stream.ReadAtLeast(hashBytes, hashLength, throwOnEndOfStream: false) != hashLength)
            throw new InvalidDataException($"{path}: the header is cut short");
        var latest = new Dictionary<int, StoredPoint>();
        var header = new byte[RecordHeaderBytes];
        var trailer = new byte[4];
        var end = stream.Position;
        var length = stream.Length;
        while (true)
        {
            var start = stream.Position;
            if (length - start < RecordHeaderBytes + 4) break;
            stream.ReadExactly(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != RecordMagic) break;
            var stateLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(29));
            if (stateLength < 0 || length - stream.Position < (long)stateLength + 4) break;
            var stateOffset = stream.Position;
            stream.Position += stateLength;
            stream.ReadExactly(trailer);
            if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != RecordMagic) break;
            var point = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
            var seconds = BinaryPrimitives.ReadDoubleLittleEndian(header.AsSpan(21));
            latest[point] = new StoredPoint(point, BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)),
                BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12)), header[20] == 1,
                double.IsNaN(seconds) ? null : seconds, stateOffset, stateLength);
            end = stream.Position;
        }
        return (Encoding.UTF8.GetString(hashBytes), latest, end);
    }
}
