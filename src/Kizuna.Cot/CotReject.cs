namespace Kizuna.Cot;

/// <summary>Why a piece of input was refused. Stable names: they appear in logs and metrics.</summary>
public enum CotRejectReason
{
    Truncated,
    DtdForbidden,
    EntityForbidden,
    Oversize,
    TooDeep,
    TooManyAttributes,
    MalformedXml,
    MissingField,
    BadCoordinate,
    BadTime,
    BadNumber,
    BinaryGarbage,
    BadVarint,
    BadLength,
    BadProtobuf,

    /// <summary>A protobuf string field holds a character the XML decoder refuses too (<see cref="CotCharacters"/>).</summary>
    ControlCharacter,
}

/// <summary>A refusal with a human-readable reason. The message never echoes the client's bytes.</summary>
public readonly record struct CotReject(CotRejectReason Reason, string Message)
{
    public override string ToString() => $"{Reason}: {Message}";
}

/// <summary>Thrown when a single message (not a stream) cannot be decoded.</summary>
public sealed class CotFormatException(CotRejectReason reason, string message) : Exception(message)
{
    public CotRejectReason Reason { get; } = reason;
}
