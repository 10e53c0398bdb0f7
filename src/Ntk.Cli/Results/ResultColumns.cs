using System.Globalization;
using System.Text;
using Ntk.Numerics.Engines;
using Ntk.Numerics.Measurement;
using Parquet;
using Parquet.Schema;

namespace Ntk.Cli.Results;

/// <summary>
/// One column of the results table: its name, its Parquet type, how one <see cref="ResultRow"/> fills it and how
/// the value reads in results.csv. <see cref="ResultColumns.All"/> is the only list of columns: results.csv's
/// header and lines and results.parquet's schema and row groups are all driven by it, so a column added there
/// appears in both files, in the same place, with the same values (README "Results schema", docs/contract.md §7).
/// </summary>
internal abstract class ResultColumn(string name, string description)
{
    public string Name { get; } = name;

    /// <summary>One line describing the column.</summary>
    public string Description { get; } = description;

    /// <summary>The Parquet field (type and nullability).</summary>
    public abstract DataField Field { get; }

    /// <summary>The value as results.csv writes it (empty for a missing value).</summary>
    public abstract void AppendCsv(StringBuilder line, ResultRow row);

    /// <summary>A buffer collecting this column's values for one Parquet row group.</summary>
    public abstract IColumnValues NewValues();
}

/// <summary>The values of one column for one row group.</summary>
internal interface IColumnValues
{
    void Add(ResultRow row);
    Task WriteAsync(ParquetRowGroupWriter rowGroup);
    void Clear();
}

/// <summary>A column that always has a value (int, long, double, bool).</summary>
/// <remarks>The CSV text is appended straight into the line (no string per value: results.csv has ~20 values per
/// row and ~20 rows per point, the largest per-point cost of a many-point sweep, docs/performance.md §7.2).</remarks>
internal sealed class ValueColumn<T>(string name, string description, Func<ResultRow, T> value, Action<StringBuilder, T> csv)
    : ResultColumn(name, description) where T : struct
{
    public override DataField Field { get; } = new DataField<T>(name, false);

    public override void AppendCsv(StringBuilder line, ResultRow row) => _csv(line, _value(row));

    public override IColumnValues NewValues() => new Values(this);

    private sealed class Values(ValueColumn<T> column) : IColumnValues
    {
        private readonly List<T> _values = [];
        public void Add(ResultRow row) => _values.Add(column._value(row));
        public Task WriteAsync(ParquetRowGroupWriter rowGroup) =>
            rowGroup.WriteAsync<T>(column.Field, new ReadOnlyMemory<T>([.. _values]));
        public void Clear() => _values.Clear();
    }

    private readonly Func<ResultRow, T> _value = value;
    private readonly Action<StringBuilder, T> _csv = csv;
}

/// <summary>A column whose value may be missing: an empty field in results.csv, null in results.parquet.</summary>
internal sealed class OptionalColumn<T>(string name, string description, Func<ResultRow, T?> value, Action<StringBuilder, T> csv)
    : ResultColumn(name, description) where T : struct
{
    public override DataField Field { get; } = new DataField<T?>(name, true);

    public override void AppendCsv(StringBuilder line, ResultRow row)
    {
        if (_value(row) is { } v) _csv(line, v);
    }

    public override IColumnValues NewValues() => new Values(this);

    private sealed class Values(OptionalColumn<T> column) : IColumnValues
    {
        private readonly List<T?> _values = [];
        public void Add(ResultRow row) => _values.Add(column._value(row));
        public Task WriteAsync(ParquetRowGroupWriter rowGroup) =>
            rowGroup.WriteAsync<T>(column.Field, new ReadOnlyMemory<T?>([.. _values]));
        public void Clear() => _values.Clear();
    }

    private readonly Func<ResultRow, T?> _value = value;
    private readonly Action<StringBuilder, T> _csv = csv;
}

/// <summary>A text column (never missing, never containing a comma).</summary>
internal sealed class TextColumn(string name, string description, Func<ResultRow, string> value) : ResultColumn(name, description)
{
    public override DataField Field { get; } = new DataField<string>(name, false);

    public override void AppendCsv(StringBuilder line, ResultRow row) => line.Append(_value(row));

    public override IColumnValues NewValues() => new Values(this);

    private sealed class Values(TextColumn column) : IColumnValues
    {
        private readonly List<string> _values = [];
        public void Add(ResultRow row) => _values.Add(column._value(row));
        public Task WriteAsync(ParquetRowGroupWriter rowGroup) => rowGroup.WriteAsync(column.Field, _values);
        public void Clear() => _values.Clear();
    }

    private readonly Func<ResultRow, string> _value = value;
}

/// <summary>The columns of results.csv and results.parquet, in order (docs/contract.md §7's tidy long table).</summary>
internal static class ResultColumns
{
    private static void Int(StringBuilder line, int value) => line.Append(CultureInfo.InvariantCulture, $"{value}");
    private static void Long(StringBuilder line, long value) => line.Append(CultureInfo.InvariantCulture, $"{value}");

    /// <summary>Shortest round-trip text of a double ("R"), so the CSV holds the exact values.</summary>
    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary><see cref="Number"/>, formatted into the line (the same text: the interpolation handler calls the
    /// same <c>TryFormat(…, "R", InvariantCulture)</c>), without a string per value.</summary>
    public static void AppendNumber(StringBuilder line, double value) => line.Append(CultureInfo.InvariantCulture, $"{value:R}");

    /// <summary>
    /// Every column, in file order. New columns go before <c>complete</c>, which stays last (readers of results.csv
    /// address columns by header name, but older scripts may count).
    /// </summary>
    public static readonly IReadOnlyList<ResultColumn> All =
    [
        new ValueColumn<int>("point", "index of the sweep point (0-based, the order of the sweep's grid)", r => r.Point.Index, Int),
        new ValueColumn<int>("depth", "hidden layers L", r => r.Point.Definition.Network.Depth, Int),
        new TextColumn("widths", "hidden widths joined by x, e.g. 64x64", r => r.Point.Definition.Network.WidthsLabel),
        new ValueColumn<int>("input_dim", "input dimension n0", r => r.Point.Definition.Network.InputDim, Int),
        new TextColumn("weights", "weight law", r => r.Point.Definition.Network.Law.Name),
        new TextColumn("engine", "sampling engine", r => EngineChoice.Name(r.Point.Definition.Engine)),
        new OptionalColumn<double>("theta_deg", "angle between the two inputs in degrees (pair inputs only)", r => r.Point.ThetaDegrees, AppendNumber),
        new TextColumn("stat", "statistic name (docs/numerics.md)", r => StatisticNames.Of(r.Key, r.Point.Definition.Layout)),
        new OptionalColumn<int>("layer", "layer of a per-layer statistic", r => r.Key.Layer > 0 ? r.Key.Layer : null, Int),
        new OptionalColumn<int>("a", "first input index", r => r.Key.InputA >= 0 ? r.Key.InputA : null, Int),
        new OptionalColumn<int>("b", "second input index", r => r.Key.B >= 0 ? r.Key.B : null, Int),
        new ValueColumn<long>("trials", "sampled networks merged", r => r.Trials, Long),
        new ValueColumn<double>("mean", "Monte Carlo mean", r => r.Mean, AppendNumber),
        new ValueColumn<double>("variance", "sample variance", r => r.Variance, AppendNumber),
        new ValueColumn<double>("std_err", "standard error of the mean, sqrt(variance / trials)", r => r.StandardError, AppendNumber),
        new ValueColumn<double>("skewness", "sample skewness", r => r.Skewness, AppendNumber),
        new ValueColumn<double>("kurtosis", "sample excess kurtosis", r => r.Kurtosis, AppendNumber),
        new OptionalColumn<double>("infinite_width", "infinite-width prediction (arc-cosine recursion), where one exists", r => r.InfiniteWidth, AppendNumber),
        new OptionalColumn<double>("paper", "the paper's formula, where it states one", r => r.Paper, AppendNumber),
        // The exact finite-width oracles (ExactMoments, docs/numerics.md §10); empty where none is known.
        new OptionalColumn<double>("exact_mean", "exact finite-width mean, where one is known", r => r.ExactMean, AppendNumber),
        new OptionalColumn<double>("exact_variance", "exact finite-width per-network variance, where one is known", r => r.ExactVariance, AppendNumber),
        new ValueColumn<bool>("complete", "the point has every trial its stopping rule asks for", r => r.Complete, (line, b) => line.Append(b ? "true" : "false")),
    ];

    /// <summary>The header line of results.csv.</summary>
    public static readonly string Header = string.Join(",", All.Select(c => c.Name));

    /// <summary>The Parquet schema of results.parquet: the same columns in the same order.</summary>
    public static ParquetSchema Schema() => new(All.Select(c => (Field)c.Field).ToArray());

    /// <summary>Appends one results.csv line (no newline).</summary>
    public static void AppendCsv(StringBuilder line, ResultRow row)
    {
        for (var i = 0; i < All.Count; i++)
        {
            if (i > 0) line.Append(',');
            All[i].AppendCsv(line, row);
        }
    }
}
