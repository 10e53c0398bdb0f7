using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Ntk.Cli.Operations;

/// <summary>
/// Renders the instruments of the given meters in the Prometheus text format (version 0.0.4): a
/// <see cref="MeterListener"/> accumulates counters (by tag set) and histograms (buckets from the instrument's advice)
/// as they are recorded, and observes the gauges at each scrape. Names are the meter's and the instrument's, dots to
/// underscores, lower case: counter <c>shards.completed</c> of meter <c>Ntk.Sweep</c> is
/// <c>ntk_sweep_shards_completed_total</c>; a histogram <c>journal.write.duration</c> (unit ms) gives
/// <c>ntk_sweep_journal_write_duration_ms_bucket/_sum/_count</c>. Thread-safe.
/// </summary>
internal sealed class PrometheusMeterExporter : IDisposable
{
    private static readonly double[] DefaultBuckets = [1, 5, 10, 50, 100, 500, 1000, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private readonly Lock _observeGate = new();
    private readonly HashSet<string> _meters;

    public PrometheusMeterExporter(params string[] meterNames)
    {
        _meters = [.. meterNames];
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_meters.Contains(instrument.Meter.Name)) return;
            _series.TryAdd(instrument, new Series(instrument));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var series)) series.Record(value, Key(tags));
    }

    /// <summary>Appends every series to <paramref name="text"/>.</summary>
    public void WriteTo(StringBuilder text)
    {
        lock (_observeGate)
        {
            foreach (var series in _series.Values.Where(s => s.IsObservable)) series.ClearGauge();
            _listener.RecordObservableInstruments();
        }
        foreach (var series in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal)) series.WriteTo(text);
    }

    public void Dispose() => _listener.Dispose();

    private static string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<string>(tags.Length);
        foreach (var tag in tags)
            pairs.Add($"{Sanitize(tag.Key)}=\"{Convert.ToString(tag.Value, CultureInfo.InvariantCulture)?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(',', pairs);
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant()) builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        return builder.ToString();
    }

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class Series
    {
        private readonly Instrument _instrument;
        private readonly double[] _bounds;
        private readonly Lock _gate = new();
        private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (long[] Buckets, double Sum, long Count)> _histograms = new(StringComparer.Ordinal);

        public Series(Instrument instrument)
        {
            _instrument = instrument;
            var type = instrument.GetType();
            IsHistogram = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Histogram<>);
            IsCounter = type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(Counter<>) || d == typeof(ObservableCounter<>));
            IsObservable = instrument.IsObservable;
            _bounds = instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } ? [.. advised] : DefaultBuckets;
            var baseName = Sanitize(instrument.Meter.Name) + "_" + Sanitize(instrument.Name);
            Name = IsHistogram && !string.IsNullOrEmpty(instrument.Unit) && !instrument.Unit.StartsWith('{') ? baseName + "_" + Sanitize(instrument.Unit) : baseName;
        }

        public string Name { get; }
        public bool IsHistogram { get; }
        public bool IsCounter { get; }
        public bool IsObservable { get; }

        public void ClearGauge()
        {
            if (!IsCounter) lock (_gate) _values.Clear();
        }

        public void Record(double value, string key)
        {
            lock (_gate)
            {
                if (IsHistogram)
                {
                    var (buckets, sum, count) = _histograms.TryGetValue(key, out var h) ? h : (new long[_bounds.Length], 0.0, 0L);
                    for (var i = 0; i < _bounds.Length; i++)
                        if (value <= _bounds[i]) buckets[i]++;
                    _histograms[key] = (buckets, sum + value, count + 1);
                }
                else if (IsCounter && !IsObservable) _values[key] = _values.GetValueOrDefault(key) + value;
                else _values[key] = value; // gauges and observable counters report their current value
            }
        }

        public void WriteTo(StringBuilder text)
        {
            lock (_gate)
            {
                if (_values.Count == 0 && _histograms.Count == 0 && !IsCounter) return;
                var type = IsHistogram ? "histogram" : IsCounter ? "counter" : "gauge";
                var name = IsCounter ? Name + "_total" : Name;
                text.Append("# HELP ").Append(name).Append(' ').Append(_instrument.Description?.Replace('\n', ' ')).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                if (IsCounter && _values.Count == 0) text.Append(name).Append(" 0\n");
                foreach (var (key, value) in _values.OrderBy(v => v.Key, StringComparer.Ordinal))
                    text.Append(name).Append(key.Length == 0 ? "" : "{" + key + "}").Append(' ').Append(Number(value)).Append('\n');
                foreach (var (key, (buckets, sum, count)) in _histograms.OrderBy(v => v.Key, StringComparer.Ordinal))
                {
                    var prefix = key.Length == 0 ? "" : key + ",";
                    for (var i = 0; i < _bounds.Length; i++)
                        text.Append(Name).Append("_bucket{").Append(prefix).Append("le=\"").Append(Number(_bounds[i])).Append("\"} ")
                            .Append(buckets[i].ToString(CultureInfo.InvariantCulture)).Append('\n');
                    text.Append(Name).Append("_bucket{").Append(prefix).Append("le=\"+Inf\"} ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                    var labels = key.Length == 0 ? "" : "{" + key + "}";
                    text.Append(Name).Append("_sum").Append(labels).Append(' ').Append(Number(sum)).Append('\n');
                    text.Append(Name).Append("_count").Append(labels).Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }
            }
        }
    }
}
