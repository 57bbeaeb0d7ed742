using System.Globalization;
using System.Text.Json.Serialization;
using Kizuna.Core.Audit;
using Kizuna.Core.Labels;
using Kizuna.Server.Hosting;

namespace Kizuna.Server.Api;

/// <summary>
/// <c>GET /api/audit</c>: the audit trail, to identities with the role <see cref="AuditorRole"/>,
/// each record through the access decision on its label (a record without one is the hosting
/// organization's national default), so an auditor of a partner nation sees only what was
/// released to it. <c>?since=SEQ</c> (records after it), <c>?act=PREFIX</c> (<c>warning.</c>),
/// <c>?limit=N</c> (default 1000, at most 10000), oldest first.
/// </summary>
public static class AuditApi
{
    public const string AuditorRole = "auditor";

    public const string Refused = "the audit trail is served only to identities with the role auditor (`kizuna certs client --role auditor`)";

    public static void MapAuditApi(this WebApplication app)
    {
        app.MapGet("/api/audit", async (HttpContext context, IAuditTrail trail, LabelPolicy labels, NodeIdentity node) =>
        {
            var caller = Caller.Of(context);
            if (!string.Equals(caller.Role, AuditorRole, StringComparison.Ordinal))
            {
                return Results.Json(new ErrorJson(Refused), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden);
            }

            if (trail is not AuditLog log)
            {
                return Results.Json(new ErrorJson("this node keeps no audit trail (--audit false)"), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status404NotFound);
            }

            var query = context.Request.Query;
            var since = long.TryParse(query["since"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
            var limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 10_000) : 1000;
            var act = query["act"].ToString();
            await log.FlushAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
            var national = labels.DefaultFor(node.Principal);
            var visible = new List<AuditRecordJson>();
            // From the file that holds record since+1 on, a line at a time, until the limit.
            foreach (var record in AuditFile.ReadAfter(log.Directory, since))
            {
                if ((act.Length > 0 && !record.Act.StartsWith(act, StringComparison.Ordinal)))
                {
                    continue;
                }

                // A banner this build cannot read is nobody's to see.
                var label = record.Label.Length == 0 ? national : labels.TryParseBanner(record.Label, out var parsed, out _) ? parsed : null;
                if (label is null || !AccessControl.Permits(caller, label))
                {
                    continue;
                }

                visible.Add(new AuditRecordJson(record.Seq, record.Time, record.Actor, record.ActorOrganization, record.Node, record.Act, record.Object, label.Banner, record.Prev, record.Hash));
                if (visible.Count == limit)
                {
                    break;
                }
            }

            return Results.Json(visible, DeskJsonContext.Default.ListAuditRecordJson);
        });
    }
}

public sealed record AuditRecordJson(long Seq, DateTime Time, string Actor, string Org, string Node, string Act, string Object, string Label, string Prev, string Hash);

/// <summary>The JSON of the audit trail, coordination and readiness APIs (source-generated, like <see cref="ApiJsonContext"/>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<AuditRecordJson>))]
[JsonSerializable(typeof(Kizuna.Core.Coordination.CoordinationRequest))]
[JsonSerializable(typeof(List<Kizuna.Core.Coordination.CoordinationRequest>))]
[JsonSerializable(typeof(CoordinationBodyJson))]
[JsonSerializable(typeof(TransitionBodyJson))]
[JsonSerializable(typeof(RefusalJson))]
[JsonSerializable(typeof(ReadinessBodyJson))]
[JsonSerializable(typeof(ReadinessReportJson))]
[JsonSerializable(typeof(ReadinessRollUpJson))]
public sealed partial class DeskJsonContext : JsonSerializerContext;
