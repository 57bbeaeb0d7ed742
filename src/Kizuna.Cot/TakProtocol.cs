namespace Kizuna.Cot;

/// <summary>TAK protocol v1 TakControl (protobuf).</summary>
public sealed record TakControl(uint MinProtoVersion, uint MaxProtoVersion, string? ContactUid);

/// <summary>The wire formats a connection can speak.</summary>
public enum WireFormat
{
    CotXml,
    TakProtobufV1,
}
