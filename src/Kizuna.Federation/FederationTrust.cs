using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Alliance;
using Kizuna.Core.Identity;

namespace Kizuna.Federation;

/// <summary>
/// A partner node this node trusts for a link: who it is (node id, organization, nation), the
/// SHA-256 of the certificate it presented (its federate id, as TAK Server identifies one), and
/// the link the profile allows with it.
/// </summary>
public sealed record FederationPeer(string NodeId, string Organization, string Nation, string Fingerprint, FederationLink Link);

/// <summary>
/// Decides whether a certificate presented on a federation link is a partner node's: it must
/// carry the node extension, name a node whose bundle was imported, chain to that partner's CA
/// and only that one (a partner's CA vouches for nothing else, and never for clients: the
/// client authenticator trusts this node's CA alone), name the bundle's organization and the
/// profile's nation for it, be of this node's policy, and the profile must allow the link.
/// </summary>
public sealed class FederationTrust
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly AllianceProfile _profile;
    private readonly FederationPartners _partners;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private IReadOnlyList<TrustBundle> _bundles = [];
    private DateTime _loadedAt = DateTime.MinValue;

    public FederationTrust(AllianceProfile profile, string hostOrganization, FederationPartners partners, TimeProvider? time = null)
    {
        _profile = profile;
        HostOrganization = hostOrganization;
        _partners = partners;
        _time = time ?? TimeProvider.System;
    }

    public string HostOrganization { get; }

    /// <summary>The imported bundles, reread when the partners folder changed (an import takes effect at the next handshake).</summary>
    public IReadOnlyList<TrustBundle> Partners
    {
        get
        {
            var changed = _partners.LastChange();
            lock (_gate)
            {
                if (changed != _loadedAt)
                {
                    _bundles = _partners.Load();
                    _loadedAt = changed;
                }

                return _bundles;
            }
        }
    }

    /// <summary>
    /// Checks a peer's certificate. <paramref name="asServer"/>: the peer is the TLS server (this
    /// node dialled), so its certificate must be for server authentication; else for client authentication.
    /// </summary>
    public bool TryAuthenticate(X509Certificate2 certificate, bool asServer, [NotNullWhen(true)] out FederationPeer? peer, [NotNullWhen(false)] out string? reason)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        peer = null;
        if (!NodeExtension.TryRead(certificate, out var claims, out reason))
        {
            return false;
        }

        var bundle = Partners.FirstOrDefault(b => string.Equals(b.NodeId, claims.NodeId, StringComparison.Ordinal));
        if (bundle is null)
        {
            reason = $"no trust bundle is imported for node {claims.NodeId} ({claims.Organization}): its operator exports one with `kizuna federation export`, this node's imports it with `kizuna federation trust`";
            return false;
        }

        using (var ca = bundle.LoadCa())
        {
            if (!ChainsTo(certificate, ca, asServer ? ServerAuthOid : ClientAuthOid, out reason))
            {
                return false;
            }
        }

        if (!string.Equals(claims.Organization, bundle.Organization, StringComparison.Ordinal))
        {
            reason = $"the node certificate names organization {claims.Organization}, but the bundle imported for node {claims.NodeId} is {bundle.Organization}'s";
            return false;
        }

        if (!string.Equals(claims.Policy, _profile.PolicyId, StringComparison.Ordinal))
        {
            reason = $"the node certificate is of security policy {claims.Policy}, not this node's {_profile.PolicyId}";
            return false;
        }

        if (_profile.FindOrganization(claims.Organization) is not { } organization || !organization.Nations.Contains(claims.Nation, StringComparer.Ordinal))
        {
            reason = $"the node certificate's organization {claims.Organization} and nation {claims.Nation} do not fit the alliance profile {_profile.Id}";
            return false;
        }

        if (_profile.Federation.Find(HostOrganization, claims.Organization) is not { } link)
        {
            reason = $"the alliance profile {_profile.Id} allows no federation link between {HostOrganization} (this node) and {claims.Organization}";
            return false;
        }

        peer = new FederationPeer(claims.NodeId, claims.Organization, claims.Nation, TrustBundle.Fingerprint(certificate), link);
        reason = null;
        return true;
    }

    private bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca, string usageOid, [NotNullWhen(false)] out string? reason)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(usageOid));
        if (!chain.Build(certificate))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            reason = $"the node certificate does not chain to the CA in the partner's imported bundle ({flags})";
            return false;
        }

        if (chain.ChainElements.Count < 2 || !chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span))
        {
            reason = "the node certificate is not issued by the CA in the partner's imported bundle";
            return false;
        }

        reason = null;
        return true;
    }
}
