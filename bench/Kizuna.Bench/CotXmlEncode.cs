using System.Buffers;
using BenchmarkDotNet.Attributes;
using Kizuna.Cot;

namespace Kizuna.Bench;

/// <summary>CoT XML encode of one ~400-byte event: to a new array, and into a reused buffer writer.</summary>
[MemoryDiagnoser]
public class CotXmlEncode
{
    private readonly ArrayBufferWriter<byte> _writer = new(4096);
    private CotEvent _event = null!;

    [GlobalSetup]
    public void Setup() => _event = SampleEvents.PositionReport();

    [Benchmark(Baseline = true)]
    public byte[] Encode() => CotXml.Encode(_event);

    [Benchmark]
    public int Write_to_buffer_writer()
    {
        _writer.ResetWrittenCount();
        CotXml.Write(_event, _writer);
        return _writer.WrittenCount;
    }
}
