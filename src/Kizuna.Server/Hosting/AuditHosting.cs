using Kizuna.Core.Audit;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Federation;
using Kizuna.Server.Cli;

namespace Kizuna.Server.Hosting;

/// <summary>
/// The node's audit trail in the host: the <see cref="IAuditTrail"/> every desk is given (an
/// <see cref="AuditLog"/> under <c>DATA/audit/</c>, or nothing with <c>--audit false</c>), the
/// acts it hears of by events (labels refused at the door, federation links up and down), and
/// its shutdown checkpoint.
/// </summary>
public static class AuditHosting
{
    public static IServiceCollection AddKizunaAudit(this IServiceCollection services, NodeSettings settings, NodeCertificateAuthority authority)
    {
        if (settings.Audit)
        {
            services.AddSingleton(sp => new AuditLog(
                AuditFile.DirectoryOf(settings.DataDir), authority.NodeId, authority.ServerCertificate, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Kizuna.Audit"), settings.AuditRotateBytes));
            services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<AuditLog>());
        }
        else
        {
            services.AddSingleton<IAuditTrail>(NoAuditTrail.Instance);
        }

        return services;
    }

    /// <summary>Subscribes the trail to what it hears of by events; before the listeners and diallers start.</summary>
    public static void WireAudit(IServiceProvider services)
    {
        var audit = services.GetRequiredService<IAuditTrail>();
        if (audit is NoAuditTrail)
        {
            return;
        }

        var labels = services.GetRequiredService<LabelPolicy>();
        var node = services.GetRequiredService<NodeIdentity>().Principal;
        var national = labels.DefaultFor(node).Banner;
        labels.Refused += (sender, verdict) => audit.Record(new AuditEntry(AuditActs.LabelRefused, sender.Name, sender.Organization, verdict.Refusal.ToString(), national));
        if (services.GetService<FederationNode>() is { } federation)
        {
            federation.Links.LinkUp += link => audit.Record(new AuditEntry(AuditActs.FederationLinkUp, AuditEntry.NodeActor, node.Organization, $"{link.Peer.NodeId} ({link.Peer.Organization})", national));
            federation.Links.LinkDown += (link, reason) => audit.Record(new AuditEntry(AuditActs.FederationLinkDown, AuditEntry.NodeActor, node.Organization, $"{link.Peer.NodeId} ({link.Peer.Organization}): {reason}", national));
        }
    }

    /// <summary>An act of the node's own (a console sign-in, an enrollment), labelled national-only at the hosting organization's default.</summary>
    public static void RecordNational(this HttpContext context, string act, Principal actor, string obj)
    {
        var services = context.RequestServices;
        var national = services.GetRequiredService<LabelPolicy>().DefaultFor(services.GetRequiredService<NodeIdentity>().Principal).Banner;
        services.GetRequiredService<IAuditTrail>().Record(new AuditEntry(act, actor.Name, actor.Organization, obj, national));
    }

    /// <summary>After the host stopped: what is queued, and the shutdown checkpoint.</summary>
    public static async Task StopAuditAsync(IServiceProvider services)
    {
        if (services.GetService<AuditLog>() is { } log)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }
    }
}
