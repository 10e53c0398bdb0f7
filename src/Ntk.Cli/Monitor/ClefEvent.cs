using System.Globalization;
using System.Text;
using System.Text.Json;
using Ntk.Cluster.Logging;

namespace Ntk.Cli.Monitor;

/// <summary>Serilog's levels, in order; CLEF omits <c>@l</c> for <see cref="Information"/>.</summary>
internal enum ClefLevel
{
    Verbose,
    Debug,
    Information,
    Warning,
    Error,
    Fatal,
}

/// <summary>
/// One event of a Serilog compact-JSON (CLEF) log line: <c>@t</c> timestamp, <c>@mt</c> message template, <c>@l</c>
/// level (absent = Information), <c>@x</c> exception, and the event's properties as top-level members. A view over a
/// <see cref="JsonElement"/>: valid only while the <see cref="JsonDocument"/> it came from is alive.
/// </summary>
internal readonly struct ClefEvent
{
    private readonly JsonElement _root;

    private ClefEvent(JsonElement root, DateTimeOffset timestamp, ClefLevel level)
    {
        _root = root;
        Timestamp = timestamp;
        Level = level;
    }

    public DateTimeOffset Timestamp { get; }

    public ClefLevel Level { get; }

    /// <summary>The message template (<c>@mt</c>), or "" when the line has none.</summary>
    public string Template => String("@mt") ?? "";

    /// <summary>The <c>{Event}</c> property the project's actors log (ShardCompleted, SweepFinished, …), or null.</summary>
    public string? Name => String(LogEvents.Property);

    /// <summary>
    /// Parses one log line. False (and no document) for anything that is not a JSON object with a readable <c>@t</c>:
    /// blank lines, console text, a line cut short while it was being written.
    /// </summary>
    public static bool TryParse(string line, out JsonDocument? document, out ClefEvent clef)
    {
        document = null;
        clef = default;
        var trimmed = line.AsSpan().Trim();
        if (trimmed.Length < 2 || trimmed[0] != '{' || trimmed[^1] != '}') return false;
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return false;
        }
        var root = parsed.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("@t", out var time) || time.ValueKind != JsonValueKind.String
            || !TryParseTimestamp(time.GetString(), out var timestamp))
        {
            parsed.Dispose();
            return false;
        }
        var level = ClefLevel.Information;
        if (root.TryGetProperty("@l", out var levelElement) && levelElement.ValueKind == JsonValueKind.String)
            level = ParseLevel(levelElement.GetString());
        document = parsed;
        clef = new ClefEvent(root, timestamp, level);
        return true;
    }

    /// <summary>
    /// The <c>@t</c> of a line as Serilog's compact formatter writes it (<c>{"@t":"…"</c> first), without parsing the
    /// JSON: the key by which lines of several files are merged in time order. Null when the line does not start so.
    /// </summary>
    public static DateTimeOffset? PeekTimestamp(string line)
    {
        const string prefix = "{\"@t\":\"";
        if (!line.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var end = line.IndexOf('"', prefix.Length);
        if (end < 0) return null;
        return TryParseTimestamp(line.AsSpan(prefix.Length, end - prefix.Length), out var timestamp) ? timestamp : null;
    }

    public string? String(string name)
    {
        if (!_root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            // Serilog writes collections as arrays (e.g. a list of roles): join them.
            JsonValueKind.Array => string.Join(",", value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
            _ => value.GetRawText(),
        };
    }

    /// <summary>A numeric property (a JSON number, or a string holding one); null when absent or not a number.</summary>
    public double? Double(string name)
    {
        if (!_root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        if (value.ValueKind == JsonValueKind.String
            && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            return parsed;
        return null;
    }

    /// <summary>An integer property; null when absent, not a number or not integral.</summary>
    public long? Long(string name)
    {
        if (!_root.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var integer)) return integer;
        if (value.ValueKind == JsonValueKind.String
            && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            return parsed;
        return null;
    }

    public int? Int(string name) => Long(name) is { } value && value is >= int.MinValue and <= int.MaxValue ? (int)value : null;

    /// <summary>A boolean property (JSON true/false or "True"/"False"); null otherwise.</summary>
    public bool? Bool(string name)
    {
        if (!_root.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetString(), out var parsed) => parsed,
            _ => null,
        };
    }

    /// <summary>
    /// The message: the template with each <c>{Name}</c>, <c>{Name:format}</c>, <c>{@Name}</c> or <c>{$Name}</c> hole
    /// replaced by the property's value (strings unquoted; formats ignored), plus the first line of the exception.
    /// </summary>
    public string RenderMessage()
    {
        var template = Template;
        var text = new StringBuilder(template.Length + 32);
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                text.Append('{');
                i += 2;
                continue;
            }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                text.Append('}');
                i += 2;
                continue;
            }
            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                text.Append(c);
                i++;
                continue;
            }
            var hole = template.AsSpan(i + 1, close - i - 1);
            if (hole.Length > 0 && hole[0] is '@' or '$') hole = hole[1..];
            var end = hole.IndexOfAny(':', ',');
            var name = (end < 0 ? hole : hole[..end]).ToString();
            text.Append(String(name) ?? "{" + name + "}");
            i = close + 1;
        }
        if (String("@x") is { Length: > 0 } exception)
        {
            var firstLine = exception.Split('\n', 2)[0].TrimEnd('\r');
            text.Append(" — ").Append(firstLine);
        }
        return text.ToString();
    }

    private static bool TryParseTimestamp(ReadOnlySpan<char> text, out DateTimeOffset timestamp) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out timestamp);

    private static bool TryParseTimestamp(string? text, out DateTimeOffset timestamp)
    {
        timestamp = default;
        return text is not null && TryParseTimestamp(text.AsSpan(), out timestamp);
    }

    private static ClefLevel ParseLevel(string? level) => level switch
    {
        "Verbose" => ClefLevel.Verbose,
        "Debug" => ClefLevel.Debug,
        "Warning" => ClefLevel.Warning,
        "Error" => ClefLevel.Error,
        "Fatal" => ClefLevel.Fatal,
        _ => ClefLevel.Information,
    };
}
