using System.Globalization;
using Kizuna.Core.Labels;
using Kizuna.Cot;

namespace Kizuna.Core.Coordination;

/// <summary>
/// A coordination request as TAK clients receive it: a GeoChat message (CoT <c>b-t-f</c> with
/// <c>__chat</c>, <c>link</c> and <c>remarks</c>), so a plain TAK client shows it in a chat room
/// named after the two headquarters, and a <c>__coordination</c> element with the request's
/// fields for a client that knows it (docs/coordination.md). One event per version (GeoChat
/// messages are not updated in place), stamped with the request's label.
/// </summary>
public static class CoordinationCot
{
    public const string Type = "b-t-f";
    public const string Element = "__coordination";
    public const string SenderUid = "kizuna-coordination";

    public static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    public static string ChatRoom(CoordinationRequest request) => $"Coordination {request.From}-{request.To}";

    public static CotEvent ToEvent(CoordinationRequest request, ConfidentialityLabel label, LabelPolicy labels, DateTime now, string? escalatedTo = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(labels);
        var last = request.History[^1];
        var uid = $"GeoChat.{SenderUid}.{request.Id}.{request.Version.ToString(CultureInfo.InvariantCulture)}" + (escalatedTo is null ? string.Empty : ".escalated." + escalatedTo);
        var room = ChatRoom(request);

        var chat = new CotElement("__chat");
        Add(chat, "parent", "RootContactGroup");
        Add(chat, "groupOwner", "false");
        Add(chat, "chatroom", room);
        Add(chat, "id", room);
        Add(chat, "senderCallsign", last.ByOrganization.Length > 0 ? last.ByOrganization : "KIZUNA");
        var group = new CotElement("chatgrp");
        Add(group, "uid0", SenderUid);
        Add(group, "uid1", request.To);
        Add(group, "id", room);
        chat.Content.Add(group);

        var link = new CotElement("link");
        Add(link, "uid", SenderUid);
        Add(link, "type", "a-f-G-U-C");
        Add(link, "relation", "p-p");

        var remarks = new CotElement("remarks");
        Add(remarks, "source", "BAO.F.ATAK." + SenderUid);
        Add(remarks, "to", room);
        Add(remarks, "time", CotTime.Format(now));
        remarks.Content.Add(Remarks(request, escalatedTo));

        var element = new CotElement(Element);
        Add(element, "id", request.Id);
        Add(element, "version", request.Version.ToString(CultureInfo.InvariantCulture));
        Add(element, "state", request.State);
        Add(element, "from", request.From);
        Add(element, "to", request.To);
        Add(element, "relationship", request.Relationship);
        Add(element, "priority", request.Priority);
        Add(element, "replyBy", CotTime.Format(request.ReplyBy));
        Add(element, "subject", request.Subject);
        Add(element, "by", last.By);
        if (request.Proposal is { } proposal)
        {
            Add(element, "proposal", proposal);
        }

        if (request.Reason is { } reason)
        {
            Add(element, "reason", reason);
        }

        if (escalatedTo is not null)
        {
            Add(element, "escalatedTo", escalatedTo);
        }

        // The whole request, so a partner node can keep it (docs/coordination.md, "Across federation").
        AddWhole(element, request);

        var evt = new CotEvent
        {
            Uid = uid,
            Type = Type,
            How = "h-g-i-g-o",
            Time = now,
            Start = now,
            Stale = now + StaleAfter,
            Detail = CotDetail.FromElements([chat, link, remarks, element]),
        };
        labels.Stamp(evt, label);
        return evt;
    }

    /// <summary>The chat line a plain TAK client shows: priority, id, state, subject, and what changed.</summary>
    public static string Remarks(CoordinationRequest request, string? escalatedTo)
    {
        ArgumentNullException.ThrowIfNull(request);
        var head = $"[{request.Priority.ToUpperInvariant()}] {request.Id} {request.From}->{request.To} {request.State.ToUpperInvariant()}: {request.Subject}";
        return escalatedTo is not null
            ? $"{head} (NOT ACKNOWLEDGED by reply-by {CotTime.Format(request.ReplyBy)}; escalated to {escalatedTo})"
            : request.State switch
            {
                CoordinationStates.Sent or CoordinationStates.Received => $"{head}. {request.Text} (reply by {CotTime.Format(request.ReplyBy)})",
                CoordinationStates.Countered => $"{head}. Counter-proposal: {request.Proposal}",
                CoordinationStates.Declined => $"{head}. Reason: {request.Reason}",
                _ => head,
            };
    }

    /// <summary>The request's text, attachments and every transition, as children of <c>__coordination</c>.</summary>
    private static void AddWhole(CotElement element, CoordinationRequest request)
    {
        var text = new CotElement("text");
        text.Content.Add(request.Text);
        element.Content.Add(text);
        foreach (var reference in request.Attachments)
        {
            var attachment = new CotElement("attachment");
            Add(attachment, "ref", reference);
            element.Content.Add(attachment);
        }

        foreach (var step in request.History)
        {
            var transition = new CotElement("transition");
            Add(transition, "state", step.State);
            Add(transition, "by", step.By);
            Add(transition, "organization", step.ByOrganization);
            Add(transition, "at", CotTime.Format(step.At));
            if (step.Note is { } note)
            {
                Add(transition, "note", note);
            }

            element.Content.Add(transition);
        }
    }

    private static void Add(CotElement element, string name, string value) => element.Attributes.Add(new KeyValuePair<string, string>(name, value));
}
