using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Kizuna.Core.Diagnostics;

/// <summary>
/// The one place a count lives once measured: a <see cref="MeterListener"/> over the Kizuna meters
/// (named "Kizuna" or "Kizuna.*") of one scope (a node's <see cref="IMeterFactory"/>, so nodes in
/// one process do not mix), keeping each instrument's series and writing them as Prometheus text
/// (format 0.0.4) for GET /metrics. docs/dev/metrics.md says why this bridge and not an exporter.
/// </summary>
/// <remarks>
/// Names: the instrument's, with '.' as '_'; a unit of "s" ends the name in "_seconds" (replacing a
/// final ".duration"); a counter's name ends in "_total". Counters and up-down counters add, the
/// observable instruments are read when the text is written, histograms keep fixed buckets (the
/// instrument's advice, or <see cref="DurationHistogram.Bounds"/>). A tag becomes a label.
/// </remarks>
public sealed class PrometheusExposition : IDisposable
{
    private readonly object _scope;
    private readonly MeterListener _listener;
    private readonly Lock _gate = new();
    private readonly List<Family> _families = [];
    private readonly ConcurrentDictionary<string, Family> _byInstrument = new(StringComparer.Ordinal);

    /// <param name="scope">The <see cref="Meter.Scope"/> of the meters to expose.</param>
    public PrometheusExposition(object scope)
    {
        _scope = scope;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter.Scope, _scope) || !IsKizuna(instrument.Meter.Name) || Family.For(instrument) is not { } family)
                {
                    return;
                }

                lock (_gate)
                {
                    _families.Add(family);
                }

                _byInstrument[instrument.Name] = family;
                listener.EnableMeasurementEvents(instrument, family);
            },
            MeasurementsCompleted = (instrument, state) =>
            {
                lock (_gate)
                {
                    _families.Remove((Family)state!);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    private static bool IsKizuna(string meter) => meter == "Kizuna" || meter.StartsWith("Kizuna.", StringComparison.Ordinal);

    /// <summary>A counter's or up-down counter's value (of the series with this one label value, or the unlabelled one); 0 before any.</summary>
    public long Value(string instrument, string? labelValue = null)
        => _byInstrument.TryGetValue(instrument, out var family) ? family.Value(labelValue) : 0;

    /// <summary>A histogram's unlabelled series, or null when the instrument is not exposed.</summary>
    public DurationHistogram? Histogram(string instrument)
        => _byInstrument.TryGetValue(instrument, out var family) ? family.Histogram : null;

    public string ToText()
    {
        var text = new StringBuilder(4096);
        lock (_gate)
        {
            _listener.RecordObservableInstruments();
            foreach (var family in _families)
            {
                family.Write(text);
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private sealed class Series(string labels, double[]? bounds)
    {
        public long Value;
        public readonly string Labels = labels;
        public readonly DurationHistogram? Histogram = bounds is null ? null : new DurationHistogram(bounds);
    }

    /// <summary>Add: counters; Set: observed whole numbers; SetReal: observed real numbers (a double gauge, its bits in the series' value); Histogram.</summary>
    private enum Kind { Add, Set, SetReal, Histogram }

    private sealed class Family
    {
        private readonly Kind _kind;
        private readonly string _name;
        private readonly string _help;
        private readonly string _type;
        private readonly double[]? _bounds;
        private readonly Series _unlabelled;
        private readonly ConcurrentDictionary<(string Key, string Value), Series> _labelled = new();
        private readonly List<Series> _order = [];

        private Family(Kind kind, string name, string help, string type, double[]? bounds)
        {
            _kind = kind;
            _name = name;
            _help = help;
            _type = type;
            _bounds = bounds;
            _unlabelled = new Series(string.Empty, bounds);
        }

        public DurationHistogram? Histogram => _unlabelled.Histogram;

        public static Family? For(Instrument instrument)
        {
            var name = instrument.Name.Replace('.', '_');
            if (instrument.Unit == "s")
            {
                name = (name.EndsWith("_duration", StringComparison.Ordinal) ? name[..^"_duration".Length] : name) + "_seconds";
            }

            var help = instrument.Description ?? instrument.Name;
            return instrument switch
            {
                Counter<long> or Counter<int> => new Family(Kind.Add, name + "_total", help, "counter", null),
                ObservableCounter<long> or ObservableCounter<int> => new Family(Kind.Set, name + "_total", help, "counter", null),
                UpDownCounter<long> or UpDownCounter<int> => new Family(Kind.Add, name, help, "gauge", null),
                ObservableUpDownCounter<long> or ObservableUpDownCounter<int> or ObservableGauge<long> or ObservableGauge<int>
                    => new Family(Kind.Set, name, help, "gauge", null),
                ObservableGauge<double> => new Family(Kind.SetReal, name, help, "gauge", null),
                Histogram<double> histogram => new Family(Kind.Histogram, name, help, "histogram",
                    histogram.Advice?.HistogramBucketBoundaries is { Count: > 0 } advised ? [.. advised] : DurationHistogram.Bounds),
                _ => null,
            };
        }

        public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = SeriesFor(tags);
            if (_kind == Kind.Set)
            {
                Volatile.Write(ref series.Value, value);
            }
            else if (_kind == Kind.Add)
            {
                Interlocked.Add(ref series.Value, value);
            }
            else
            {
                series.Histogram!.Record(value);
            }
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_kind == Kind.Histogram)
            {
                SeriesFor(tags).Histogram!.Record(value);
            }
            else if (_kind == Kind.SetReal)
            {
                Volatile.Write(ref SeriesFor(tags).Value, BitConverter.DoubleToInt64Bits(value));
            }
            else
            {
                Record((long)value, tags);
            }
        }

        public long Value(string? labelValue)
        {
            if (labelValue is null)
            {
                return Volatile.Read(ref _unlabelled.Value);
            }

            foreach (var (key, series) in _labelled)
            {
                if (key.Value == labelValue)
                {
                    return Volatile.Read(ref series.Value);
                }
            }

            return 0;
        }

        private Series SeriesFor(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return _unlabelled;
            }

            var key = tags.Length == 1
                ? (tags[0].Key, Convert.ToString(tags[0].Value, CultureInfo.InvariantCulture) ?? string.Empty)
                : (string.Empty, LabelText(tags));
            if (_labelled.TryGetValue(key, out var found))
            {
                return found;
            }

            lock (_order)
            {
                if (!_labelled.TryGetValue(key, out found))
                {
                    found = new Series(LabelText(tags), _bounds);
                    _order.Add(found);
                    _labelled[key] = found;
                }
            }

            return found;
        }

        private static string LabelText(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var text = new StringBuilder();
            foreach (var tag in tags)
            {
                var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
                text.Append(text.Length == 0 ? string.Empty : ",").Append(tag.Key.Replace('.', '_')).Append("=\"")
                    .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                    .Append('"');
            }

            return text.ToString();
        }

        public void Write(StringBuilder text)
        {
            var c = CultureInfo.InvariantCulture;
            if (_kind == Kind.Histogram)
            {
                // A histogram is written unlabelled (every Kizuna histogram is); tagged ones add a series each.
                _unlabelled.Histogram!.WritePrometheus(text, _name, _help);
                return;
            }

            text.Append(c, $"# HELP {_name} {_help}\n# TYPE {_name} {_type}\n");
            List<Series> labelled;
            lock (_order)
            {
                labelled = [.. _order];
            }

            if (labelled.Count == 0 || Volatile.Read(ref _unlabelled.Value) != 0)
            {
                text.Append(c, $"{_name} {Text(_unlabelled)}\n");
            }

            foreach (var series in labelled)
            {
                text.Append(c, $"{_name}{{{series.Labels}}} {Text(series)}\n");
            }
        }

        private string Text(Series series)
        {
            var value = Volatile.Read(ref series.Value);
            return _kind == Kind.SetReal
                ? BitConverter.Int64BitsToDouble(value).ToString("R", CultureInfo.InvariantCulture)
                : value.ToString(CultureInfo.InvariantCulture);
        }
    }
}
