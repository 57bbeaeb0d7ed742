using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Core.Warnings;
using Kizuna.Core.Warnings.Cap;
using Kizuna.Server.Cli;

namespace Kizuna.Server.Api;

/// <summary>
/// Warnings over HTTP: <c>/api/warnings</c> and <c>/api/warnings/{id}</c> for identified callers
/// (each version through the access decision, with its receipts), and the public CAP alerts:
/// <c>/api/cap</c> (Atom) and <c>/api/cap/{id}.{version}.xml</c>. CAP needs no identity: only
/// versions whose label is public become alerts at all (docs/warnings-cap.md).
/// </summary>
public static class WarningsApi
{
    public static void MapWarningsApi(this WebApplication app)
    {
        app.MapGet("/api/warnings", async (HttpContext context, IWarningStore store, CancellationToken cancellationToken) =>
        {
            var caller = Caller.Of(context);
            // Per warning, the view the caller gets (the full view, or its nation's: WarningViews).
            var latest = await store.LatestVersionsAsync(cancellationToken).ConfigureAwait(false);
            return Results.Ok(latest.GroupBy(v => v.WarningId, StringComparer.Ordinal)
                .Select(views => WarningViews.For(caller, views)).OfType<WarningVersion>()
                .Select(v => WarningJson.From(v, [])).ToList());
        });

        app.MapGet("/api/warnings/{id}", async (string id, HttpContext context, IWarningStore store, IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var caller = Caller.Of(context);
            // Per version number the view the caller may see; a version it may not see is not
            // shown, nor its receipts; a warning none of whose versions it may see does not exist for it.
            var all = await store.VersionsAsync(id, cancellationToken).ConfigureAwait(false);
            var versions = WarningViews.HistoryFor(caller, all);
            if (versions.Count == 0)
            {
                return Results.NotFound(new ErrorJson($"no warning {id}"));
            }

            // Receipts by view as well as version: only those of a view the caller may see.
            var receipts = WarningViews.ReceiptsFor(caller, all, await store.ReceiptsAsync(id, cancellationToken).ConfigureAwait(false));
            var escalations = await store.EscalationsAsync(id, cancellationToken).ConfigureAwait(false);
            // Federation: receipts partner nodes sent back for their own warning of this launch, each under its own label.
            var partner = services.GetService<IPartnerReceipts>()?.For(id, caller) is { Count: > 0 } found ? found.Select(PartnerReceiptJson.From).ToList() : null;
            return Results.Ok(versions.Select(v => Detail(v, receipts, escalations, partner)).ToList());
        });

        // The console's acknowledge button: the same record as a CoT b-w-m-a from this identity.
        // Only a version the caller may see can be acknowledged; any other does not exist for it.
        app.MapPost("/api/warnings/{id}/ack", async (string id, HttpContext context, IWarningStore store, WarningDesk desk, CancellationToken cancellationToken) =>
        {
            var caller = Caller.Of(context);
            AckJson? body;
            try
            {
                body = context.Request.HasJsonContentType() && context.Request.ContentLength is null or <= 1024
                    ? await context.Request.ReadFromJsonAsync(ApiJsonContext.Default.AckJson, cancellationToken).ConfigureAwait(false)
                    : null;
            }
            catch (System.Text.Json.JsonException)
            {
                body = null;
            }

            if (body is null || body.Version < 1)
            {
                return Results.BadRequest(new ErrorJson("expected a JSON body {\"version\": N} (Content-Type: application/json) naming the version acknowledged"));
            }

            // The desk's one check (WarningDesk.RecordAcknowledgementAsync), as for a CoT b-w-m-a.
            return await desk.RecordAcknowledgementAsync(caller, id, body.Version, cancellationToken).ConfigureAwait(false) is null
                ? Results.NoContent()
                : Results.NotFound(new ErrorJson($"no warning {id} version {body.Version}"));
        });

        app.MapGet("/api/cap", async (IWarningStore store, LabelPolicy labels, CapOptions options, CancellationToken cancellationToken) =>
        {
            var entries = new List<(string Id, string Title, DateTime Updated, string Link)>();
            foreach (var warningId in (await store.LatestVersionsAsync(cancellationToken).ConfigureAwait(false)).Select(v => v.WarningId).Distinct(StringComparer.Ordinal))
            {
                foreach (var (version, _) in await PublicAlertsAsync(store, labels, options, warningId, cancellationToken).ConfigureAwait(false))
                {
                    entries.Add((CapAlert.Identifier(version, options), Title(version), version.IssuedAt, $"/api/cap/{version.WarningId}.{version.Version}.xml"));
                }
            }

            var feed = CapFeed.Write(entries, $"urn:kizuna:{options.Node}:cap", "Kizuna public missile warnings (CAP 1.2)", "/api/cap");
            return Results.Text(feed, "application/atom+xml; charset=utf-8");
        }).AllowAnonymous();

        app.MapGet("/api/cap/{file}", async (string file, IWarningStore store, LabelPolicy labels, CapOptions options, CancellationToken cancellationToken) =>
        {
            // {warning id}.{version}.xml is one alert (its CAP identifier); {warning id}.xml the newest public one.
            if (!file.EndsWith(".xml", StringComparison.Ordinal) || file.Length <= 4)
            {
                return Results.NotFound(new ErrorJson("a CAP alert is /api/cap/{warning id}.{version}.xml, or /api/cap/{warning id}.xml for the newest"));
            }

            var name = file[..^4];
            var dot = name.LastIndexOf('.');
            int? number = null;
            if (dot > 0 && int.TryParse(name.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                number = parsed;
                name = name[..dot];
            }

            var alerts = await PublicAlertsAsync(store, labels, options, name, cancellationToken).ConfigureAwait(false);
            var alert = number is { } n ? alerts.FirstOrDefault(a => a.Version.Version == n) : alerts.LastOrDefault();
            return alert.Xml is null
                ? Results.NotFound(new ErrorJson($"no public alert {file}"))
                : Results.Text(alert.Xml, "application/cap+xml; charset=utf-8");
        }).AllowAnonymous();
    }

    /// <summary>The alerts of one warning's versions, oldest first: each references the public alerts before it.</summary>
    private static async Task<List<(WarningVersion Version, string Xml)>> PublicAlertsAsync(
        IWarningStore store, LabelPolicy labels, CapOptions options, string warningId, CancellationToken cancellationToken)
    {
        var alerts = new List<(WarningVersion, string)>();
        var earlier = new List<CapReference>();
        // The public is in Japan: per version number, the full view, else Japan's view.
        var versions = (await store.VersionsAsync(warningId, cancellationToken).ConfigureAwait(false))
            .Where(v => v.Audience.Length == 0 || string.Equals(v.Audience, PublicRelease.PublicNation, StringComparison.Ordinal))
            .GroupBy(v => v.Version)
            .Select(g => g.FirstOrDefault(v => PublicRelease.IsPublic(v.Label, labels.Profile)))
            .OfType<WarningVersion>();
        foreach (var version in versions)
        {
            if (CapAlert.Write(version, options, labels.Profile, earlier) is { } xml)
            {
                alerts.Add((version, xml));
                earlier.Add(CapAlert.ReferenceTo(version, options));
            }
        }

        return alerts;
    }

    private static WarningJson Detail(WarningVersion v, IReadOnlyList<WarningReceipt> receipts, IReadOnlyList<WarningEscalation> escalations, List<PartnerReceiptJson>? partner)
        => WarningJson.From(v, [.. receipts.Where(r => r.Version == v.Version)], [.. escalations.Where(e => e.Version == v.Version).Select(e => e.Organization)]) with { PartnerReceipts = partner };

    private static string Title(WarningVersion version)
        => $"{(version.Exercise ? "[EXERCISE] " : string.Empty)}Missile warning {version.WarningId} v{version.Version}: {WarningCot.StageName(version.Stage)}";

    /// <summary>CAP options for a node: its hosting organization names it.</summary>
    public static CapOptions OptionsFor(NodeSettings settings) => new()
    {
        Node = settings.NodeOrg.ToLowerInvariant(),
        Sender = $"kizuna@{settings.NodeOrg.ToLowerInvariant()}.kizuna.invalid",
    };
}
