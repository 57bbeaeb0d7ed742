using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Labels;

namespace Kizuna.Core.Identity;

/// <summary>
/// The X.509 extension in which a client certificate carries its holder's place in the alliance:
/// nation, organization, role, clearance, and any category values held. The CA signs it, so the
/// node believes it; the profile still decides whether the claims fit (see <see cref="LabelPolicy.TryCreatePrincipal"/>).
/// </summary>
/// <remarks>
/// OID under the UUID arc 2.25 (ITU-T X.667), which needs no registration. DER:
/// <code>
/// KizunaIdentity ::= SEQUENCE {
///   version        INTEGER (1),
///   policy         UTF8String,   -- the alliance's security policy identifier
///   nation         UTF8String,   -- ISO 3166 alpha-3
///   organization   UTF8String,   -- organization id in the alliance profile
///   role           UTF8String,
///   clearance      UTF8String,   -- a classification of the policy
///   authorizations SEQUENCE OF UTF8String  -- CATEGORY:VALUE
/// }
/// </code>
/// Non-critical, so other TLS stacks accept the certificate; Kizuna refuses a client certificate without it.
/// </remarks>
public static class IdentityExtension
{
    public const string Oid = "2.25.109223547158034286588977798763296002329";
    private const int Version = 1;

    public static X509Extension Create(IdentityClaims claims, string policy)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, policy);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Nation);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Organization);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Role);
            writer.WriteCharacterString(UniversalTagNumber.UTF8String, claims.Clearance);
            using (writer.PushSequence())
            {
                foreach (var held in claims.Authorizations)
                {
                    writer.WriteCharacterString(UniversalTagNumber.UTF8String, held);
                }
            }
        }

        return new X509Extension(Oid, writer.Encode(), critical: false);
    }

    /// <summary>Reads the claims of a certificate; <paramref name="error"/> says what is missing or broken.</summary>
    public static bool TryRead(
        X509Certificate2 certificate,
        string name,
        [NotNullWhen(true)] out IdentityClaims? claims,
        [NotNullWhen(true)] out string? policy,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        claims = null;
        policy = null;
        var extension = certificate.Extensions[Oid];
        if (extension is null)
        {
            error = "the certificate carries no Kizuna identity (nation, organization, clearance); issue it with `kizuna certs client --nation --org --clearance`";
            return false;
        }

        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (!sequence.TryReadInt32(out var version) || version != Version)
            {
                error = $"the certificate's Kizuna identity has an unknown version (expected {Version})";
                return false;
            }

            policy = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var nation = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var organization = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var role = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var clearance = sequence.ReadCharacterString(UniversalTagNumber.UTF8String);
            var list = sequence.ReadSequence();
            var authorizations = new List<string>();
            while (list.HasData)
            {
                authorizations.Add(list.ReadCharacterString(UniversalTagNumber.UTF8String));
            }

            sequence.ThrowIfNotEmpty();
            claims = new IdentityClaims(name, nation, organization, role, clearance, authorizations);
            error = null;
            return true;
        }
        catch (AsnContentException)
        {
            policy = null;
            error = "the certificate's Kizuna identity extension is not valid DER";
            return false;
        }
    }
}
