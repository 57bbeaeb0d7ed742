using Kizuna.Core.Labels;

namespace Kizuna.Core.Routing;

/// <summary>
/// One of the router's recipients as a desk sees it: who it is and where it is, for the desk's
/// decisions and logs. A desk never writes to it: what it sends goes through
/// <see cref="EventRouter.SendTo"/> (or the router's fan-outs), so every delivery leaves one way.
/// </summary>
public interface IRecipient
{
    /// <summary>The session's id in the logs.</summary>
    long Id { get; }

    /// <summary>Who it is: every delivery to it is decided for this principal.</summary>
    Principal Principal { get; }

    /// <summary>Where it is connected from (for the logs).</summary>
    string RemoteEndpoint { get; }
}
