using Kizuna.Cot;

namespace Kizuna.Core.Labels;

/// <summary>Why an event was refused for the kind of principal that sent it (a stable name, counted and told to the sender).</summary>
public enum SendRefusal
{
    /// <summary>An anonymous (plain-TCP) sender offered something that is not a picture update: a report, an acknowledgement, a warning, control, chat.</summary>
    NotPictureUpdate,

    /// <summary>An anonymous (plain-TCP) sender addressed an event to particular recipients (<c>marti/dest</c>).</summary>
    Directed,
}

/// <summary>A refusal by <see cref="SenderRights"/>: its stable name and the sentence logged and told to the sender.</summary>
public readonly record struct SendVerdict(SendRefusal Refusal, string Reason);

/// <summary>
/// The one rule of what each kind of principal may send, asked at the connection after
/// negotiation and pings (which every client may use) and before the label door. A client with
/// a certificate may send any type (what it may say about a sensor, a warning or a uid is
/// decided further in, by the rules of each); the node sends its own. An anonymous client of the
/// plain-TCP listener, which anyone on the network can be, sends picture updates only: atoms
/// (<c>a-*</c>), map points and routes (<c>b-m-*</c>) and drawings (<c>u-*</c>), to everyone its
/// label permits, never addressed to particular recipients. No sensor reports
/// (<c>b-w-m-r</c>), acknowledgements (<c>b-w-m-a</c>), warnings, chat or tasking/control.
/// </summary>
public static class SenderRights
{
    /// <summary>The type prefixes an anonymous sender may use.</summary>
    public static readonly IReadOnlyList<string> AnonymousTypes = ["a-", "b-m-", "u-"];

    /// <summary>Null when <paramref name="sender"/> may send <paramref name="evt"/>; otherwise why not.</summary>
    public static SendVerdict? Refuses(Principal sender, CotEvent evt)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(evt);
        if (sender.Kind != PrincipalKind.Anonymous)
        {
            return null;
        }

        if (!IsPictureUpdate(evt.Type))
        {
            return new SendVerdict(SendRefusal.NotPictureUpdate,
                "the plain-TCP listener has no identity and takes picture updates only (types a-*, b-m-*, u-*): sensor reports, acknowledgements, warnings, chat and control need a client certificate (the TLS listener)");
        }

        if (evt.Detail.MartiDestinations.Count != 0)
        {
            return new SendVerdict(SendRefusal.Directed,
                "the plain-TCP listener has no identity and takes no directed messages (marti/dest): use the TLS listener with a client certificate");
        }

        return null;
    }

    private static bool IsPictureUpdate(string type)
    {
        foreach (var prefix in AnonymousTypes)
        {
            if (type.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
