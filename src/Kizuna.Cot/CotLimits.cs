namespace Kizuna.Cot;

/// <summary>Every limit the decoders enforce, with its default. One place, as Kestrel does.</summary>
public sealed class CotLimits
{
    public static CotLimits Default { get; } = new();

    /// <summary>
    /// For reading back XML the node encoded itself (its history, its latest state), perhaps long
    /// ago: it was accepted once already, and the limits for untrusted input would only turn old
    /// events into errors (the clock-skew rule above all, or XML grown from a protobuf event).
    /// </summary>
    public static CotLimits NodeWritten { get; } = new()
    {
        MaxEventBytes = 16 * 1024 * 1024,
        MaxDepth = 128,
        MaxAttributesPerElement = 1024,
        MaxClockSkew = TimeSpan.FromDays(365 * 100),
    };

    /// <summary>Largest accepted event in bytes (XML text or protobuf payload). Default 64 KiB.</summary>
    public int MaxEventBytes { get; init; } = 64 * 1024;

    /// <summary>Deepest element nesting inside an event, &lt;event&gt; counting as 1. Default 32.</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Most attributes on one element. Default 64.</summary>
    public int MaxAttributesPerElement { get; init; } = 64;

    /// <summary>Times further than this into the future (time and start) are refused. Default 1 day.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Bytes a stream reader skips without one good message before it gives the stream up (Fatal). Default 1 MiB.</summary>
    public int MaxSkipBytes { get; init; } = 1024 * 1024;

    /// <summary>Garbage up to this long is held until its end arrives, so it is refused once, whole, however it was split. Default 4 KiB.</summary>
    public int GarbageHoldBytes { get; init; } = 4096;
}
