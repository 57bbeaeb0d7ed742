using System.Buffers;
using BenchmarkDotNet.Attributes;
using Kizuna.Cot;

namespace Kizuna.Bench;

/// <summary>CoT XML decode of one ~400-byte event: whole buffer, and through the stream reader.</summary>
[MemoryDiagnoser]
public class CotXmlDecode
{
    private const int StreamEvents = 100;
    private byte[] _event = [];
    private byte[] _stream = [];

    [GlobalSetup]
    public void Setup()
    {
        _event = SampleEvents.PositionReportUtf8();
        var stream = new List<byte>();
        for (int i = 0; i < StreamEvents; i++)
        {
            stream.AddRange(_event);
            stream.Add((byte)'\n');
        }

        _stream = [.. stream];
        if (Stream_reader_100_events_back_to_back() != StreamEvents)
        {
            throw new InvalidOperationException("The stream reader did not decode every event.");
        }
    }

    [Benchmark(Baseline = true)]
    public CotEvent Decode_whole_buffer() => CotXml.Decode(_event);

    [Benchmark]
    public CotEvent? Stream_reader_one_event()
    {
        var buffer = new ReadOnlySequence<byte>(_event);
        new CotXmlStreamReader().TryRead(ref buffer, out var evt, out _, out _);
        return evt;
    }

    /// <summary>A connection's steady state: one reader, many events in the buffer. Reported per event.</summary>
    [Benchmark(OperationsPerInvoke = StreamEvents)]
    public int Stream_reader_100_events_back_to_back()
    {
        var reader = new CotXmlStreamReader();
        var buffer = new ReadOnlySequence<byte>(_stream);
        int events = 0;
        while (reader.TryRead(ref buffer, out _, out _, out _) == ReadStatus.Event)
        {
            events++;
        }

        return events;
    }
}
