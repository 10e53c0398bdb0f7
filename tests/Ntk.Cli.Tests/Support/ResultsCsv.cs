using System.Globalization;

namespace Ntk.Cli.Tests.Support;

/// <summary>One parsed row of results.csv (the columns of docs/contract.md §7).</summary>
public sealed record CsvRow(IReadOnlyDictionary<string, string> Fields)
{
    public string this[string column] => Fields[column];
    public int Int(string column) => int.Parse(Fields[column], CultureInfo.InvariantCulture);
    public double Double(string column) => double.Parse(Fields[column], CultureInfo.InvariantCulture);
}

/// <summary>Reads results.csv into rows keyed by column name (the file has no quoted fields).</summary>
public static class ResultsCsv
{
    public static IReadOnlyList<CsvRow> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        return lines.Skip(1)
            .Select(line => line.Split(','))
            .Select(cells => new CsvRow(header.Zip(cells).ToDictionary(p => p.First, p => p.Second)))
            .ToList();
    }
}

/// <summary>Runs the built <c>ntk</c> as a separate OS process (for tests that kill it).</summary>
public static class NtkProcess
{
    /// <summary>Path of ntk.dll next to the test assembly (the test project references Ntk.Cli).</summary>
    public static string DllPath => System.IO.Path.Combine(AppContext.BaseDirectory, "ntk.dll");

    /// <summary>What the child printed on stderr so far, per process id (for failure messages).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, System.Text.StringBuilder> Errors = new();

    public static string StderrOf(System.Diagnostics.Process process) =>
        Errors.TryGetValue(process.Id, out var text) ? text.ToString() : "";

    public static System.Diagnostics.Process Start(params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(DllPath);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["CI"] = "true";
        var process = System.Diagnostics.Process.Start(info)!;
        // Drain the pipes so a chatty child never blocks on a full buffer.
        var errors = Errors.GetOrAdd(process.Id, _ => new System.Text.StringBuilder());
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
