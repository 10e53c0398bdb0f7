using Parquet;

namespace Ntk.Cli.Results;

/// <summary>
/// results.parquet, written as points finish: rows are buffered per column (<see cref="ResultColumns.All"/>) and
/// written as a row group every <see cref="RowGroupRows"/> rows and at the end, so memory holds one row group, not
/// the table. The file is valid (has its footer) once <see cref="Dispose"/> ran; a killed run leaves it unreadable,
/// and the resumed run writes it again from the point-state store.
/// </summary>
internal sealed class ParquetResultsWriter : IDisposable
{
    /// <summary>Rows per row group: large enough for good compression and fast scans, small enough to buffer.</summary>
    public const int RowGroupRows = 50_000;

    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly IColumnValues[] _columns;
    private int _buffered;
    private bool _disposed;

    public ParquetResultsWriter(string path)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = ParquetWriter.CreateAsync(ResultColumns.Schema(), _stream,
            new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }).GetAwaiter().GetResult();
        _columns = ResultColumns.All.Select(c => c.NewValues()).ToArray();
    }

    public void Add(ResultRow row)
    {
        foreach (var column in _columns) column.Add(row);
        if (++_buffered >= RowGroupRows) WriteRowGroup();
    }

    private void WriteRowGroup()
    {
        if (_buffered == 0) return;
        using (var rowGroup = _writer.CreateRowGroup())
        {
            foreach (var column in _columns) column.WriteAsync(rowGroup).GetAwaiter().GetResult();
        }
        foreach (var column in _columns) column.Clear();
        _buffered = 0;
    }

    /// <summary>Writes the last row group and the footer.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            WriteRowGroup();
            _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _stream.Flush(flushToDisk: true);
        }
        finally
        {
            _stream.Dispose();
        }
    }
}
