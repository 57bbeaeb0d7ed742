using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Federation.Wire;
using Microsoft.Extensions.Logging;

namespace Kizuna.Federation;

/// <summary>Where this node listens for partners and whom it dials.</summary>
public sealed record FederationOptions(IPEndPoint? Listen, IReadOnlyList<DnsEndPoint> FederateWith)
{
    /// <summary>Largest federated message accepted, in bytes.</summary>
    public int MaxMessageBytes { get; init; } = 256 * 1024;

    public bool Enabled => Listen is not null || FederateWith.Count > 0;
}

/// <summary>
/// This node as a federate: its id, hosting organization and nation, the node certificate it
/// presents, whom it trusts, and its links. One per node, built when federation is on.
/// </summary>
public sealed class FederationNode : IDisposable
{
    public FederationNode(
        NodeCertificateAuthority authority,
        LabelPolicy labels,
        string hostOrganization,
        FederationOptions options,
        IFederationHandler handler,
        ILoggerFactory loggers,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(labels);
        var organization = labels.Profile.FindOrganization(hostOrganization)
            ?? throw new ArgumentException($"{hostOrganization} is not an organization of {labels.Profile.Id}", nameof(hostOrganization));
        Time = time ?? TimeProvider.System;
        NodeId = authority.NodeId;
        Organization = organization.Id;
        Nation = organization.Nation;
        Options = options;
        Certificate = authority.LoadOrIssueNodeCertificate(labels.PolicyId, Organization, Nation);
        Trust = new FederationTrust(labels.Profile, Organization, new FederationPartners(Path.GetDirectoryName(authority.CertificateDirectory)!), Time);
        Links = new FederationLinks(handler, loggers.CreateLogger("Kizuna.Federation"));
        Mapper = new FederationMapper(labels);
        Loggers = loggers;
        Dialers = [.. options.FederateWith.Select(target => new FederationDialer(this, target))];
    }

    public string NodeId { get; }

    public string Organization { get; }

    public string Nation { get; }

    public FederationOptions Options { get; }

    /// <summary>The node certificate with its key: the federation listener's server certificate and the dialler's client certificate.</summary>
    public X509Certificate2 Certificate { get; }

    public FederationTrust Trust { get; }

    public FederationLinks Links { get; }

    public FederationMapper Mapper { get; }

    /// <summary>One dialler per <c>--federate-with</c> target.</summary>
    public IReadOnlyList<FederationDialer> Dialers { get; }

    internal TimeProvider Time { get; }

    internal ILoggerFactory Loggers { get; }

    /// <summary>How this node names itself to a federate (TAK's <c>Identity</c>).</summary>
    public Identity Identity() => new()
    {
        Name = Organization,
        Uid = NodeId,
        ServerId = NodeId,
        Description = "Kizuna node of " + Organization,
        Type = Wire.Identity.Types.ConnectionType.FederationTakServer,
    };

    public void Dispose() => Certificate.Dispose();
}
