namespace Kizuna.Core.Warnings.Cap;

/// <summary>
/// What a node puts into every CAP alert it writes: who it is, how long alerts stay current,
/// and how fine the impact polygon is. Defaults are documented on each property.
/// </summary>
public sealed class CapOptions
{
    private string _node = "kizuna";
    private string _sender = "kizuna@kizuna.invalid";
    private int _polygonPoints = 24;

    /// <summary>
    /// The node's name in alert identifiers (<c>urn:kizuna:{Node}:warning:{WarningId}:{Version}</c>).
    /// Letters, digits, '-', '.', '_' only. Default "kizuna".
    /// </summary>
    public string Node
    {
        get => _node;
        set => _node = ValidToken(value, nameof(Node));
    }

    /// <summary>
    /// The CAP <c>sender</c>: a globally unique identifier of the originator, no spaces, commas,
    /// '&lt;' or '&amp;' (CAP 1.2 §3.2.1). Default <c>kizuna@kizuna.invalid</c>.
    /// </summary>
    public string Sender
    {
        get => _sender;
        set => _sender = ValidToken(value, nameof(Sender));
    }

    /// <summary>The <c>senderName</c> shown to the public, in Japanese.</summary>
    public string SenderNameJa { get; set; } = "Kizuna 国民保護情報";

    /// <summary>The <c>senderName</c> shown to the public, in English.</summary>
    public string SenderNameEn { get; set; } = "Kizuna public warning";

    /// <summary>The <c>senderName</c> shown to the public, in Korean.</summary>
    public string SenderNameKo { get; set; } = "Kizuna 국민보호 정보";

    /// <summary>
    /// How long an alert that asks people to shelter stays current (launch, take shelter,
    /// landed in Japan), counted from the later of its issue time and the expected impact time.
    /// Default 30 minutes; a later version replaces it sooner.
    /// </summary>
    public TimeSpan ShelterExpiry { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long a closing alert stays current (overflight, landed outside Japan, correction),
    /// counted from its issue time. Default 2 hours (the advice about fallen objects).
    /// </summary>
    public TimeSpan ClosingExpiry { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Points on the impact ellipse's outline (the polygon has one more: it is closed). Default 24, at least 8.</summary>
    public int PolygonPoints
    {
        get => _polygonPoints;
        set => _polygonPoints = value >= 8 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A polygon needs at least 8 points.");
    }

    /// <summary>Optional <c>web</c> link for further information (an absolute URI).</summary>
    public Uri? Web { get; set; }

    private static string ValidToken(string value, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, name);
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c) || c is ',' or '<' or '&' or '>' or '"' || char.IsControl(c))
            {
                throw new ArgumentException($"{name} may not contain spaces, commas, '<', '>', '&' or quotes.", name);
            }
        }

        return value;
    }
}

/// <summary>
/// An alert written earlier about the same warning, as CAP <c>references</c> name it:
/// <c>sender,identifier,sent</c>.
/// </summary>
public readonly record struct CapReference(string Sender, string Identifier, DateTime Sent)
{
    /// <summary>The reference in CAP form: <c>sender,identifier,sent</c> with the time in <c>-00:00</c> form.</summary>
    public override string ToString() => $"{Sender},{Identifier},{CapTime.Format(Sent)}";
}
