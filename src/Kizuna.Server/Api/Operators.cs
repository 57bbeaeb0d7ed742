using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Api;

/// <summary>
/// Who counts as the node's operators, for what only they may read (<c>/metrics</c>,
/// <c>/api/federation</c>): a caller on the node's own machine (loopback, unless
/// <see cref="NodeSettings.MetricsLoopback"/> is off), or over HTTPS an identity of the hosting
/// organization with the role <see cref="Role"/>. One rule, in one place.
/// </summary>
public static class Operators
{
    /// <summary>The role an identity needs (with the hosting organization) to be an operator over HTTPS.</summary>
    public const string Role = "node-operator";

    public static async Task<bool> IsOperatorAsync(HttpContext context, NodeSettings settings, NodeIdentity node)
    {
        if (settings.MetricsLoopback && context.Connection.RemoteIpAddress is { } address && System.Net.IPAddress.IsLoopback(address))
        {
            return true;
        }

        return context.Request.IsHttps
               && await Caller.PrincipalAsync(context).ConfigureAwait(false) is { } caller
               && string.Equals(caller.Role, Role, StringComparison.Ordinal)
               && string.Equals(caller.Organization, node.Principal.Organization, StringComparison.Ordinal);
    }

    /// <summary>What a caller who is not an operator is told, naming what it asked for.</summary>
    public static string Refused(string what) =>
        what + " are served only to the node's operators: from the node's own machine (loopback, unless --metrics-loopback false), "
        + "or over HTTPS with a client certificate of the hosting organization issued with `kizuna certs client --role " + Role + "`";
}
