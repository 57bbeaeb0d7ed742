using System.Globalization;
using Kizuna.Cot;

namespace Kizuna.Core.Coordination;

/// <summary>An answer a TAK client sends over CoT: the request's id, the action, and a reason or proposal.</summary>
public sealed record CoordinationAnswer(string Id, CoordinationAction Action, string? Note);

/// <summary>
/// Reads the two CoT forms of coordination (docs/coordination.md): a version of a request as a
/// node sends it (<c>b-t-f</c> whose <c>__coordination</c> has <c>version</c>, <c>state</c> and
/// the whole request as children), and an answer a TAK client sends (<c>b-t-f</c> whose
/// <c>__coordination</c> has <c>id</c> and <c>answer</c>).
/// </summary>
public static class CoordinationCotReader
{
    /// <summary>Any <c>b-t-f</c> that carries <c>__coordination</c>: not part of the shared picture, whoever sent it.</summary>
    public static bool IsCoordination(CotEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return string.Equals(evt.Type, CoordinationCot.Type, StringComparison.Ordinal) && evt.Detail.Element(CoordinationCot.Element) is not null;
    }

    /// <summary>An answer from a client: <c>__coordination</c> with <c>id</c> and <c>answer</c> (ack, accept, decline, counter, complete, withdraw).</summary>
    public static bool TryReadAnswer(CotEvent evt, out CoordinationAnswer? answer)
    {
        ArgumentNullException.ThrowIfNull(evt);
        answer = null;
        if (!IsCoordination(evt) || evt.Detail.Element(CoordinationCot.Element) is not { } element
            || element.Attribute("id") is not { Length: > 0 and <= 64 } id
            || element.Attribute("answer") is not { } name
            || !TryParseAction(name, out var action))
        {
            return false;
        }

        var note = element.Attribute("note");
        answer = new CoordinationAnswer(id, action, string.IsNullOrWhiteSpace(note) ? null : note);
        return true;
    }

    /// <summary>The action names of the API's last segment and of the CoT answer.</summary>
    public static bool TryParseAction(string name, out CoordinationAction action)
    {
        switch (name)
        {
            case "ack":
                action = CoordinationAction.Ack;
                return true;
            case "accept":
                action = CoordinationAction.Accept;
                return true;
            case "decline":
                action = CoordinationAction.Decline;
                return true;
            case "counter":
                action = CoordinationAction.Counter;
                return true;
            case "complete":
                action = CoordinationAction.Complete;
                return true;
            case "withdraw":
                action = CoordinationAction.Withdraw;
                return true;
            default:
                action = default;
                return false;
        }
    }

    /// <summary>
    /// A version of a request as a node sent it, labelled <paramref name="label"/> (the banner the
    /// event's label reads as). Escalation notices (<c>escalatedTo</c>) are not versions to keep.
    /// </summary>
    public static bool TryReadRequest(CotEvent evt, string label, out CoordinationRequest? request, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(evt);
        request = null;
        problem = null;
        if (!IsCoordination(evt) || evt.Detail.Element(CoordinationCot.Element) is not { } e)
        {
            problem = "not a coordination event";
            return false;
        }

        if (e.Attribute("escalatedTo") is not null)
        {
            problem = "an escalation notice is not a version of the request";
            return false;
        }

        if (e.Attribute("id") is not { Length: > 0 and <= 64 } id
            || e.Attribute("from") is not { Length: > 0 } from
            || e.Attribute("to") is not { Length: > 0 } to
            || e.Attribute("relationship") is not { Length: > 0 } relationship
            || e.Attribute("priority") is not { } priority || !CoordinationPriorities.All.Contains(priority, StringComparer.Ordinal)
            || e.Attribute("subject") is not { Length: > 0 and <= CoordinationDesk.MaxSubject } subject
            || !CotTime.TryParse(e.Attribute("replyBy") ?? string.Empty, out var replyBy)
            || !int.TryParse(e.Attribute("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            problem = "a coordination version lacks id, from, to, relationship, priority, subject, replyBy or version";
            return false;
        }

        var text = e.Child("text")?.Text ?? string.Empty;
        var attachments = e.Children.Where(c => string.Equals(c.Name, "attachment", StringComparison.Ordinal)).Select(c => c.Attribute("ref")).OfType<string>().ToList();
        var history = new List<CoordinationTransition>();
        foreach (var step in e.Children.Where(c => string.Equals(c.Name, "transition", StringComparison.Ordinal)))
        {
            if (step.Attribute("state") is not { } state || !CoordinationStates.All.Contains(state, StringComparer.Ordinal)
                || step.Attribute("by") is not { Length: > 0 } by
                || step.Attribute("organization") is not { } organization
                || !CotTime.TryParse(step.Attribute("at") ?? string.Empty, out var at))
            {
                problem = "a transition lacks state, by, organization or at";
                return false;
            }

            history.Add(new CoordinationTransition(state, by, organization, at, step.Attribute("note")));
        }

        if (history.Count == 0 || text.Length > CoordinationDesk.MaxText || attachments.Count > CoordinationDesk.MaxAttachments)
        {
            problem = "a coordination version has no history, or its text or attachments are too long";
            return false;
        }

        var last = history[^1];
        request = new CoordinationRequest(
            id, from, to, relationship, subject, text, priority, replyBy, attachments, label, last.State,
            history.LastOrDefault(h => h.State == CoordinationStates.Countered)?.Note,
            history.LastOrDefault(h => h.State == CoordinationStates.Declined)?.Note,
            version, history, []);
        return true;
    }
}
