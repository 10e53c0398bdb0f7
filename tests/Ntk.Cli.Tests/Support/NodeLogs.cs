using Ntk.Cluster.Logging;
using System.Globalization;
using System.Text.Json;

namespace Ntk.Cli.Tests.Support;

/// <summary>One event of a node's compact-JSON log: its {Event} name, time, the file that holds it (worker-HOST-PID.log,
/// run.log) and its scalar properties as text.</summary>
public sealed record NodeEvent(DateTimeOffset Time, string Name, string File, IReadOnlyDictionary<string, string> Properties)
{
    public string? this[string property] => Properties.TryGetValue(property, out var value) ? value : null;

    public int? Int(string property) => this[property] is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    public long? Long(string property) => this[property] is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    public string Shard => $"{this["PointIndex"]}/{this["ShardIndex"]}";

    /// <summary>The process id at the end of the file name (worker-HOST-PID.log), if there is one.</summary>
    public int? ProcessId => int.TryParse(Path.GetFileNameWithoutExtension(File).Split('-').Last(), out var pid) ? pid : null;
}

/// <summary>Reads the {Event} events of node logs, which their processes may still be writing.</summary>
public static class NodeLogs
{
    /// <summary>Every *.log in a directory (coordinator run.log, worker-*.log), by time.</summary>
    public static List<NodeEvent> Read(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory, "*.log").SelectMany(ReadFile).OrderBy(e => e.Time).ToList()
            : [];

    /// <summary>The events of one log file, in file order; a line being written is skipped.</summary>
    public static List<NodeEvent> ReadFile(string file)
    {
        var events = new List<NodeEvent>();
        foreach (var line in Lines(file))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                continue; // a line being written
            }
            using (document)
            {
                var root = document.RootElement;
                if (!root.TryGetProperty(LogEvents.Property, out var name) || name.ValueKind != JsonValueKind.String) continue;
                var properties = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var property in root.EnumerateObject())
                    if (property.Value.ValueKind is JsonValueKind.String) properties[property.Name] = property.Value.GetString()!;
                    else if (property.Value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                        properties[property.Name] = property.Value.GetRawText();
                events.Add(new NodeEvent(root.GetProperty("@t").GetDateTimeOffset(), name.GetString()!, Path.GetFileName(file), properties));
            }
        }
        return events;
    }

    /// <summary>Lines of a log file that a process may still be writing.</summary>
    public static IEnumerable<string> Lines(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line) yield return line;
    }
}
