using System.Globalization;
using Ntk.Cli.Results;
using Ntk.Cli.Tests.Support;
using Ntk.Cluster;
using Ntk.Numerics.Measurement;
using Ntk.Numerics.Statistics;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace Ntk.Cli.Tests;

/// <summary>The streamed files of a results directory: results.parquet against results.csv, the point-state store.</summary>
public sealed class ResultsFilesTests
{
    private const string Sweep = """
        {
          "name": "files",
          "seed": 99,
          "trials": 2000,
          "shardTrials": 500,
          "learningRates": [0.5, 2.0],
          "network": { "inputDim": 4, "depth": [1, 2], "width": [4, 8], "weights": "gaussian" },
          "inputs": { "kind": "pair", "thetaDegrees": [0, 60, 150] }
        }
        """;

    [Fact]
    public void The_csv_header_is_the_one_of_the_contract_and_parquet_has_the_same_columns_in_order()
    {
        Assert.Equal(
            "point,depth,widths,input_dim,weights,engine,theta_deg,stat,layer,a,b,trials,mean,variance,std_err,skewness,kurtosis,infinite_width,paper,exact_mean,exact_variance,complete",
            ResultColumns.Header);
        Assert.Equal(ResultColumns.All.Select(c => c.Name), ResultColumns.Schema().GetDataFields().Select(f => f.Name));
    }

    [Fact]
    public async Task Results_parquet_reads_back_with_proper_types_and_the_values_of_results_csv()
    {
        using var temp = new TempDirectory();
        var sweep = temp.Write("files.json", Sweep);
        var directory = Path.Combine(temp.Path, "out");
        var run = await CliRunner.RunAsync("run", sweep, "--out", directory, "--workers", "2");
        Assert.True(run.ExitCode == 0, run.ToString());

        var csv = File.ReadAllLines(Path.Combine(directory, "results.csv"));
        var header = csv[0].Split(',');
        var lines = csv.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(12, lines.Select(l => l[0]).Distinct().Count());
        // One instability row per point and learning rate, named by its η, with no layer or input index; a probability.
        var unstable = lines.Where(l => l[7].StartsWith("unstable_eta=", StringComparison.Ordinal)).ToList();
        Assert.Equal(12 * 2, unstable.Count);
        Assert.Equal(["unstable_eta=0.5", "unstable_eta=2"], unstable.Select(l => l[7]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(unstable, l =>
        {
            Assert.Equal(["", "", ""], l[8..11]);
            Assert.InRange(double.Parse(l[12], CultureInfo.InvariantCulture), 0, 1);
        });

        await using var reader = await ParquetReader.CreateAsync(Path.Combine(directory, "results.parquet"));
        var fields = reader.Schema.GetDataFields();
        Assert.Equal(header, fields.Select(f => f.Name));
        var expectedTypes = new Dictionary<string, Type>
        {
            ["point"] = typeof(int), ["depth"] = typeof(int), ["widths"] = typeof(string), ["input_dim"] = typeof(int),
            ["weights"] = typeof(string), ["engine"] = typeof(string), ["theta_deg"] = typeof(double), ["stat"] = typeof(string),
            ["layer"] = typeof(int), ["a"] = typeof(int), ["b"] = typeof(int), ["trials"] = typeof(long),
            ["mean"] = typeof(double), ["variance"] = typeof(double), ["std_err"] = typeof(double), ["skewness"] = typeof(double),
            ["kurtosis"] = typeof(double), ["infinite_width"] = typeof(double), ["paper"] = typeof(double),
            ["exact_mean"] = typeof(double), ["exact_variance"] = typeof(double), ["complete"] = typeof(bool),
        };
        // Text columns are Parquet strings (UTF-8 byte arrays), which Parquet.Net hands out as ReadOnlyMemory<char>.
        foreach (var field in fields)
            Assert.Equal(expectedTypes[field.Name], field.ClrType == typeof(ReadOnlyMemory<char>) ? typeof(string) : field.ClrType);
        Assert.Equal(["theta_deg", "layer", "a", "b", "infinite_width", "paper", "exact_mean", "exact_variance"], fields.Where(f => f.IsNullable).Select(f => f.Name));

        // Every cell, printed as results.csv prints it, equals the csv's cell.
        var row = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = (int)group.RowCount;
            var columns = new List<string[]>();
            foreach (var field in fields) columns.Add(await ReadAsText(group, field, count));
            for (var r = 0; r < count; r++, row++)
                for (var c = 0; c < fields.Length; c++)
                    Assert.True(lines[row][c] == columns[c][r], $"row {row} column {header[c]}: csv {lines[row][c]}, parquet {columns[c][r]}");
        }
        Assert.Equal(lines.Count, row);
    }

    private static async Task<string[]> ReadAsText(ParquetRowGroupReader group, DataField field, int count)
    {
        string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[count];
            await group.ReadAsync(field, values.AsMemory());
            return values.Select(v => v ?? "").ToArray();
        }
        if (field.ClrType == typeof(int))
        {
            if (!field.IsNullable)
            {
                var values = new int[count];
                await group.ReadAsync<int>(field, values.AsMemory());
                return values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
            }
            var optional = new int?[count];
            await group.ReadAsync<int>(field, optional.AsMemory());
            return optional.Select(v => v?.ToString(CultureInfo.InvariantCulture) ?? "").ToArray();
        }
        if (field.ClrType == typeof(bool))
        {
            var values = new bool[count];
            await group.ReadAsync<bool>(field, values.AsMemory());
            return values.Select(v => v ? "true" : "false").ToArray();
        }
        if (field.ClrType == typeof(long))
        {
            var values = new long[count];
            await group.ReadAsync<long>(field, values.AsMemory());
            return values.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        }
        if (!field.IsNullable)
        {
            var values = new double[count];
            await group.ReadAsync<double>(field, values.AsMemory());
            return values.Select(Number).ToArray();
        }
        var doubles = new double?[count];
        await group.ReadAsync<double>(field, doubles.AsMemory());
        return doubles.Select(v => v is { } d ? Number(d) : "").ToArray();
    }

    [Fact]
    public void The_point_state_store_keeps_the_latest_record_per_point_and_drops_a_torn_last_record()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, PointStateStore.FileName);
        var layout = MeasurementLayout.For(inputCount: 2, depth: 1, hasConditionalCorrelator: false);
        PointSnapshot Point(int index, int shards, bool done, double value)
        {
            var accumulator = new PointAccumulator(layout);
            var measurement = new double[layout.Count];
            for (var t = 0; t < shards * 10; t++)
            {
                Array.Fill(measurement, value + t);
                accumulator.Push(measurement);
            }
            return new PointSnapshot(index, shards, shards * 10L, done, accumulator);
        }

        using (var store = PointStateStore.Create(path, "hash-1"))
        {
            store.Append(Point(0, 1, false, 1), null);
            store.Append(Point(1, 2, true, 2), 3.5);
            store.Append(Point(0, 3, true, 4), 7.25);
        }
        var expected = Point(0, 3, true, 4).Merged.ToBytes();
        // A kill in the middle of the next record leaves part of it behind.
        var whole = new FileInfo(path).Length;
        using (var stream = new FileStream(path, FileMode.Append))
            stream.Write(new byte[] { 0x4E, 0x4B, 0x54, 0x50, 1, 0, 0, 0, 9 });

        using (var reopened = PointStateStore.OpenForAppend(path))
        {
            Assert.Equal("hash-1", reopened.SweepHash);
            Assert.Equal(whole, new FileInfo(path).Length);
            Assert.Equal([0, 1], reopened.Latest.Keys.Order());
            var zero = reopened.Latest[0];
            Assert.Equal((3, 30L, true, 7.25), (zero.ShardsMerged, zero.Trials, zero.Done, zero.DoneSeconds));
            Assert.Equal(expected, reopened.ReadState(zero));
            Assert.Equal((2, true, 3.5), (reopened.Latest[1].ShardsMerged, reopened.Latest[1].Done, reopened.Latest[1].DoneSeconds));
            reopened.Append(Point(2, 1, false, 5), null);
        }
        var read = PointStateStore.OpenForReading(path);
        Assert.Equal([0, 1, 2], read.Latest.Keys.Order());
        Assert.False(read.Latest[2].Done);

        File.WriteAllText(path, "not a store");
        Assert.Throws<InvalidDataException>(() => PointStateStore.OpenForReading(path));
    }
}
