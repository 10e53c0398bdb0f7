using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// Reads the inputs of a <c>"kind": "csv"</c> sweep (docs/contract.md §5): one input per row, comma-separated numbers, an optional
/// first row of column names (a row where no cell is a number), blank lines ignored. Every row must have the same
/// number of values, every value must be a finite number, and no row may be the zero vector.
/// </summary>
internal static class CsvInputReader
{
    /// <summary>
    /// The rows of <paramref name="fullPath"/> as vectors, each divided by its Euclidean norm when
    /// <paramref name="normalize"/> is set. Errors name <paramref name="displayPath"/> and the 1-based row (line of
    /// the file) and column (value index) of the first offending value.
    /// </summary>
    public static double[][] Read(string fullPath, string displayPath, bool normalize) =>
        Read(fullPath, displayPath, normalize, out _);

    /// <summary>As <see cref="Read(string, string, bool)"/>, also returning the SHA-256 of the file's bytes (lowercase hex).</summary>
    public static double[][] Read(string fullPath, string displayPath, bool normalize, out string sha256)
    {
        string[] lines;
        try
        {
            var bytes = File.ReadAllBytes(fullPath);
            sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var list = new List<string>();
            while (reader.ReadLine() is { } line) list.Add(line);
            lines = [.. list];
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new SweepException(displayPath, null, null, null, "cannot read the CSV file: " + error.Message, error);
        }

        var rows = new List<double[]>();
        var width = -1;
        var widthRow = 0;
        var sawFirstLine = false;
        for (var lineIndex = 0; lineIndex < lines.Length; lineIndex++)
        {
            var line = lines[lineIndex];
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = lineIndex + 1;
            var cells = line.Split(',');
            if (!sawFirstLine)
            {
                sawFirstLine = true;
                if (cells.All(cell => !IsNumber(cell)))
                {
                    width = cells.Length;
                    widthRow = row;
                    continue;
                }
            }
            if (width >= 0 && cells.Length != width)
                throw Fail(displayPath, row, null,
                    $"has {cells.Length} values but row {widthRow} has {width}; every row must have the same number of values");
            width = cells.Length;
            if (widthRow == 0) widthRow = row;

            var values = new double[cells.Length];
            var norm2 = 0.0;
            for (var column = 0; column < cells.Length; column++)
            {
                var cell = cells[column].Trim();
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw Fail(displayPath, row, column + 1,
                        cell.Length == 0 ? "is empty; expected a number" : $"\"{cell}\" is not a number");
                if (!double.IsFinite(value))
                    throw Fail(displayPath, row, column + 1, $"\"{cell}\" is not a finite number; NaN and infinities cannot be inputs");
                values[column] = value;
                norm2 += value * value;
            }
            if (norm2 == 0)
                throw Fail(displayPath, row, null, "is the zero vector; every input must be non-zero");
            if (normalize)
            {
                var inverseNorm = 1 / Math.Sqrt(norm2);
                for (var column = 0; column < values.Length; column++) values[column] *= inverseNorm;
            }
            rows.Add(values);
        }

        if (rows.Count == 0)
            throw new SweepException(displayPath, null, null, null, "the CSV file has no data rows");
        return rows.ToArray();
    }

    private static bool IsNumber(string cell) =>
        double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static SweepException Fail(string displayPath, int row, int? column, string detail) =>
        new(displayPath, null, null, null,
            (column is { } c ? $"row {row}, column {c}: " : $"row {row}: ") + detail + " (the file named by inputs.path)");
}
