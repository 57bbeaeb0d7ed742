using System.Diagnostics.CodeAnalysis;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Warnings;

/// <summary>
/// Who may speak for a sensor (docs/warnings.md, "Who may send a report"): an identity whose
/// certificate role is <c>sensor-feed</c>, of the organization the catalog names as the sensor's
/// operator or holding the authorization <c>sensor:ID</c>, reporting under its own nation.
/// Anonymous and node principals are never sensor feeds. Every report is checked, whatever its
/// state: a cancellation, a correction and a downgrade obey the same rule.
/// <para>
/// One rule for federation (docs/federation.md, "Sensor reports across links"): a report that
/// arrives over a federation link was checked by the sensor authority of its origin node, which
/// vouches for its own sensor feeds. It is offered here as a <see cref="PrincipalKind.PartnerNode"/>
/// principal of the origin node's organization, and accepted only when the report names that
/// node's nation: a node never speaks for another nation's sensor.
/// </para>
/// </summary>
public static class SensorAuthority
{
    /// <summary>The certificate role of a sensor feed.</summary>
    public const string SensorFeedRole = "sensor-feed";

    /// <summary>The authorization category that grants one sensor: <c>sensor:SENSOR-ID</c>.</summary>
    public const string Category = "sensor";

    /// <summary>Whether the principal may send sensor reports at all.</summary>
    public static bool IsSensorFeed(Principal sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        return (sender.Kind == PrincipalKind.Certificate && string.Equals(sender.Role, SensorFeedRole, StringComparison.Ordinal))
            || sender.Kind == PrincipalKind.PartnerNode;
    }

    /// <summary>Whether a sensor feed may report for <paramref name="sensor"/> under <paramref name="nation"/>; on refusal, why.</summary>
    public static bool TryAuthorize(Principal sender, Sensor sensor, string nation, out ReportRefusal refusal, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(sensor);
        ArgumentNullException.ThrowIfNull(nation);
        refusal = ReportRefusal.NotSensorFeed;
        if (!IsSensorFeed(sender))
        {
            reason = $"the sender is not a sensor feed (a client certificate with role {SensorFeedRole} is needed)";
            return false;
        }

        if (sender.Kind == PrincipalKind.PartnerNode)
        {
            // The origin node vouches for its own sensor feeds, under its own nation only.
            if (!string.Equals(sender.Nation, nation, StringComparison.Ordinal))
            {
                refusal = ReportRefusal.SenderNationMismatch;
                reason = $"a federated report from a node of {sender.Nation} names another nation ({nation}): a node vouches only for its own nation's sensors";
                return false;
            }

            reason = null;
            return true;
        }

        if (!string.Equals(sender.Organization, sensor.Operator, StringComparison.Ordinal) && !sender.Holds(Category, sensor.Id))
        {
            refusal = ReportRefusal.NotSensorOperator;
            reason = $"the sender's organization {sender.Organization} does not operate the sensor and holds no {Category}:{sensor.Id} authorization";
            return false;
        }

        if (!string.Equals(sender.Nation, nation, StringComparison.Ordinal))
        {
            refusal = ReportRefusal.SenderNationMismatch;
            reason = $"the report names another nation than the sender's ({sender.Nation})";
            return false;
        }

        reason = null;
        return true;
    }

    /// <summary>
    /// Checks the <c>sensor:ID</c> authorizations of an identity about to be issued: each must
    /// name a sensor of <paramref name="catalog"/>, and only a sensor feed may hold one.
    /// </summary>
    public static bool TryCheckAuthorizations(IEnumerable<string> authorizations, string role, SensorCatalog catalog, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(authorizations);
        ArgumentNullException.ThrowIfNull(catalog);
        foreach (var held in authorizations)
        {
            if (!held.StartsWith(Category + ":", StringComparison.Ordinal))
            {
                continue;
            }

            var id = held[(Category.Length + 1)..];
            if (!catalog.TryFind(id, out _))
            {
                reason = $"--authorization {held}: no sensor '{id}' in the sensor catalog {catalog.Id} (known: {string.Join(", ", catalog.Sensors.Select(s => s.Id))})";
                return false;
            }

            if (!string.Equals(role, SensorFeedRole, StringComparison.Ordinal))
            {
                reason = $"--authorization {held}: only a sensor feed holds a sensor; issue it with --role {SensorFeedRole}";
                return false;
            }
        }

        reason = null;
        return true;
    }
}
