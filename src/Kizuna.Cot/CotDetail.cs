namespace Kizuna.Cot;

/// <summary>
/// The &lt;detail&gt; of an event, kept losslessly: the inner XML in canonical form (well-formed,
/// properly escaped, no &lt;detail&gt; wrapper) plus a lazily parsed element tree.
/// STUB: the codec work fills this in; the public members below are the contract.
/// </summary>
public sealed class CotDetail
{
    public static CotDetail Empty { get; } = new(string.Empty);

    private CotDetail(string innerXml) => InnerXml = innerXml;

    /// <summary>Canonical inner XML of &lt;detail&gt;, without the wrapper; empty when there is none.</summary>
    public string InnerXml { get; }

    public bool IsEmpty => InnerXml.Length == 0;

    /// <summary>Parses and validates inner detail XML (throws <see cref="CotFormatException"/>).</summary>
    public static CotDetail FromXml(string innerXml) => throw new NotImplementedException();

    /// <summary><c>contact/@callsign</c>, if present.</summary>
    public string? ContactCallsign => throw new NotImplementedException();

    /// <summary><c>contact/@endpoint</c>, if present.</summary>
    public string? ContactEndpoint => throw new NotImplementedException();

    /// <summary>Every <c>marti/dest</c>: a directed message goes to these only. Empty when not directed.</summary>
    public IReadOnlyList<CotDestination> MartiDestinations => throw new NotImplementedException();
}

/// <summary>One <c>marti/dest</c>: by callsign, by uid, or both.</summary>
public readonly record struct CotDestination(string? Callsign, string? Uid);
