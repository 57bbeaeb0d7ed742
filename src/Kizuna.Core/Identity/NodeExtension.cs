using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Kizuna.Core.Identity;

/// <summary>What a node certificate says about its node: the alliance policy, node id, hosting organization and nation.</summary>
public sealed record NodeClaims(string Policy, string NodeId, string Organization, string Nation);

/// <summary>
/// The X.509 extension that makes a certificate a Kizuna <em>node</em> certificate, the one a
/// node presents on federation links. Distinct from <see cref="IdentityExtension"/> on purpose:
/// a node certificate carries no client identity, so no CoT or HTTPS listener takes it for a
/// client, and a client certificate is never taken for a node.
/// </summary>
/// <remarks>
/// OID under the UUID arc 2.25, like the identity extension. DER:
/// <code>
/// KizunaNode ::= SEQUENCE {
///   version      INTEGER (1),
///   policy       UTF8String,  -- the alliance's security policy identifier
///   nodeId       UTF8String,
///   organization UTF8String,  -- the hosting organization, an id of the alliance profile
///   nation       UTF8String   -- ISO 3166 alpha-3
/// }
/// </code>
/// </remarks>
public static class NodeExtension
{
    public const string Oid = "2.25.258806508031150671809678865863114721093";
    private const int Version = 1;

    public static X509Extension Create(NodeClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Policy);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.NodeId);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Organization);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Nation);
        }

        return new X509Extension(Oid, writer.Encode(), critical: false);
    }

    public static bool TryRead(X509Certificate2 certificate, [NotNullWhen(true)] out NodeClaims? claims, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        claims = null;
        if (certificate.Extensions[Oid] is not { } extension)
        {
            error = "the certificate is not a Kizuna node certificate (no node extension); a partner presents the node certificate its own CA issued";
            return false;
        }

        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (!sequence.TryReadInt32(out var version) || version != Version)
            {
                error = $"the certificate's node extension has an unknown version (expected {Version})";
                return false;
            }

            var policy = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var nodeId = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var organization = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var nation = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            sequence.ThrowIfNotEmpty();
            claims = new NodeClaims(policy, nodeId, organization, nation);
            error = null;
            return true;
        }
        catch (AsnContentException)
        {
            error = "the certificate's node extension is not valid DER";
            return false;
        }
    }
}
