using Ntk.Cli.Terminal;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// A sweep file (or a file it references) that cannot be run. The message starts with where the problem is, in the
/// form editors and terminals recognise, then the JSON path of the field, then what is wrong:
/// <c>sweeps/a.json:7:14: network.width[2]: must be at least 1, got 0</c>.
/// </summary>
internal sealed class SweepException : InvalidInputException
{
    public SweepException(string file, string? jsonPath, int? line, int? column, string detail, Exception? inner = null)
        : base(Format(file, jsonPath, line, column, detail), inner)
    {
        File = file;
        JsonPath = jsonPath;
        Line = line;
        Column = column;
        Detail = detail;
    }

    /// <summary>The file as the user named it (the sweep file, or a CSV file it references).</summary>
    public string File { get; }

    /// <summary>The JSON path of the offending field, e.g. <c>network.width[2]</c>; null for the whole file.</summary>
    public string? JsonPath { get; }

    /// <summary>1-based line in <see cref="File"/>, when known.</summary>
    public int? Line { get; }

    /// <summary>1-based column (characters) in <see cref="File"/>, when known.</summary>
    public int? Column { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Detail { get; }

    private static string Format(string file, string? jsonPath, int? line, int? column, string detail)
    {
        var location = file;
        if (line is { } l)
        {
            location += ":" + l;
            if (column is { } c) location += ":" + c;
        }
        return string.IsNullOrEmpty(jsonPath) ? $"{location}: {detail}" : $"{location}: {jsonPath}: {detail}";
    }
}
