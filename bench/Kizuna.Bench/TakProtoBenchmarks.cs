using BenchmarkDotNet.Attributes;
using Kizuna.Cot;

namespace Kizuna.Bench;

/// <summary>TAK protocol v1 encode of one event: the whole stream frame (0xBF, varint length, TakMessage).</summary>
[MemoryDiagnoser]
public class TakProtoEncode
{
    private CotEvent _event = null!;

    [GlobalSetup]
    public void Setup() => _event = SampleEvents.PositionReport();

    [Benchmark]
    public byte[] Encode_stream_frame() => TakProto.EncodeStreamFrame(_event);
}

/// <summary>TAK protocol v1 decode of one TakMessage payload carrying the sample event.</summary>
[MemoryDiagnoser]
public class TakProtoDecode
{
    private byte[] _payload = [];

    [GlobalSetup]
    public void Setup() => _payload = TakProto.EncodeMessage(SampleEvents.PositionReport());

    [Benchmark]
    public CotEvent? Decode_message() => TakProto.DecodeMessage(_payload).Event;
}
