using System.Text;
using System.Text.Json;

namespace Ntk.Cli.Sweeps;

/// <summary>
/// The 1-based line and column of every field and array element of a JSON text, keyed by its path
/// (<c>network.width[2]</c>; the root is the empty path). An object member maps to the position of its name, an array
/// element to the position of its value. <see cref="System.Text.Json.JsonDocument"/> keeps no positions, so this
/// walks the same bytes once with <see cref="Utf8JsonReader"/> under the same options.
/// </summary>
internal sealed class JsonPositions
{
    private readonly Dictionary<string, (int Line, int Column)> _positions = new(StringComparer.Ordinal);

    private JsonPositions() { }

    /// <summary>Maps <paramref name="utf8"/>, which must already have parsed without error under <paramref name="options"/>.</summary>
    public static JsonPositions Build(ReadOnlySpan<byte> utf8, JsonReaderOptions options)
    {
        var map = new JsonPositions();
        var lineStarts = LineStarts(utf8);
        var reader = new Utf8JsonReader(utf8, options);
        // One frame per open container: its path, whether it is an array, the next array index, the pending member name.
        var frames = new Stack<Frame>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                {
                    var frame = frames.Peek();
                    frame.PendingName = reader.GetString() ?? "";
                    var path = Child(frame.Path, frame.PendingName);
                    map._positions.TryAdd(path, Position(utf8, lineStarts, (int)reader.TokenStartIndex));
                    break;
                }
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    frames.Pop();
                    break;
                case JsonTokenType.Comment or JsonTokenType.None:
                    break;
                default:
                {
                    string path;
                    if (frames.Count == 0)
                        path = "";
                    else
                    {
                        var frame = frames.Peek();
                        if (frame.IsArray)
                        {
                            path = frame.Path + "[" + frame.NextIndex++ + "]";
                            map._positions.TryAdd(path, Position(utf8, lineStarts, (int)reader.TokenStartIndex));
                        }
                        else
                            path = Child(frame.Path, frame.PendingName);
                    }
                    if (frames.Count == 0)
                        map._positions.TryAdd(path, Position(utf8, lineStarts, (int)reader.TokenStartIndex));
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        frames.Push(new Frame(path, reader.TokenType == JsonTokenType.StartArray));
                    break;
                }
            }
        }
        return map;
    }

    /// <summary>The position of <paramref name="path"/>, or of its nearest enclosing field that has one.</summary>
    public (int Line, int Column)? Find(string path)
    {
        while (true)
        {
            if (_positions.TryGetValue(path, out var position)) return position;
            if (path.Length == 0) return null;
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            path = cut < 0 ? "" : path[..cut];
        }
    }

    /// <summary>Appends a member name to a path: "" + "seed" = "seed", "network" + "width" = "network.width".</summary>
    public static string Child(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    private static List<int> LineStarts(ReadOnlySpan<byte> utf8)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < utf8.Length; i++)
            if (utf8[i] == (byte)'\n') starts.Add(i + 1);
        return starts;
    }

    private static (int Line, int Column) Position(ReadOnlySpan<byte> utf8, List<int> lineStarts, int offset)
    {
        var index = lineStarts.BinarySearch(offset);
        var line = index >= 0 ? index : ~index - 1;
        // Columns count characters, not bytes, so a "θ" earlier on the line moves the column by one.
        var column = Encoding.UTF8.GetCharCount(utf8[lineStarts[line]..offset]) + 1;
        return (line + 1, column);
    }

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public int NextIndex { get; set; }
        public string PendingName { get; set; } = "";
    }
}
