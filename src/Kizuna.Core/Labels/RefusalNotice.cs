using Kizuna.Cot;

namespace Kizuna.Core.Labels;

/// <summary>
/// What a sender is told when the node refuses one of its events for its label: a control event
/// of type <c>t-x-kizuna-refusal</c> naming the refused uid, the reason as a stable name, and the
/// sentence that was logged. It goes only to the sender, never into history or the picture.
/// </summary>
public static class RefusalNotice
{
    public const string Type = "t-x-kizuna-refusal";

    public static CotEvent Create(string refusedUid, LabelRefusal refusal, string reason, DateTime now) => Create(refusedUid, refusal.ToString(), reason, now);

    /// <summary>
    /// A notice for input a decoder refused before it was an event (malformed XML, a bad frame,
    /// control characters): no uid to name, the reject reason and its sentence (which never
    /// echo the input).
    /// </summary>
    public static CotEvent ForInput(CotReject reject, DateTime now)
    {
        var refused = new CotElement("__refusal");
        refused.Attributes.Add(new("reason", reject.Reason.ToString()));
        refused.Content.Add(reject.Message);
        var remarks = new CotElement("remarks");
        remarks.Content.Add($"Kizuna refused input it could not decode: {reject.Reason}: {reject.Message}");
        return Build(refused, remarks, now);
    }

    /// <summary>A notice for any refusal with a stable reason name (label refusals, refused sensor reports, malformed acknowledgements).</summary>
    public static CotEvent Create(string refusedUid, string reasonName, string reason, DateTime now)
    {
        var refused = new CotElement("__refusal");
        refused.Attributes.Add(new("uid", refusedUid));
        refused.Attributes.Add(new("reason", reasonName));
        refused.Content.Add(reason);
        var remarks = new CotElement("remarks");
        remarks.Content.Add($"Kizuna refused event {refusedUid}: {reason}");
        return Build(refused, remarks, now);
    }

    private static CotEvent Build(CotElement refused, CotElement remarks, DateTime now)
        => new CotEvent
        {
            Uid = "kizuna-refusal-" + Guid.NewGuid().ToString("N"),
            Type = Type,
            How = "h-g-i-g-o",
            Time = now,
            Start = now,
            Stale = now.AddMinutes(1),
            Detail = CotDetail.FromElements([refused, remarks]),
        };
}
