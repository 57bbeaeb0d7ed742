using System.Text;
using Kizuna.Core.DataPackages;
using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.Api;
using Kizuna.Server.Cli;
using Kizuna.Server.Hosting;
using Microsoft.Extensions.Primitives;

namespace Kizuna.Server.Marti;

/// <summary>
/// Data packages the way TAK clients share them, on the HTTPS port with the caller's identity
/// (every endpoint behind the identity policy): ATAK asks whether the server holds a hash
/// (<c>missionquery</c>), uploads it (<c>missionupload</c>, multipart), marks it <c>private</c>
/// (<c>PUT .../tool</c>), sends a <c>b-f-t-r</c> file-share event (its label narrowed to the file's,
/// <see cref="FileShareLabels"/>), and the receivers download it (<c>content</c>); <c>search</c> lists
/// files; iTAK uploads with <c>/Marti/sync/upload</c>. Each file is kept with a label
/// (<see cref="DataPackageStore"/>), and every answer is made only of records the caller may see:
/// for a file hidden from the caller every endpoint answers exactly as for a file that does not exist.
/// </summary>
public sealed partial class MartiSync(DataPackageStore store, LabelPolicy labels, DataPackageMetrics metrics, NodeCertificateAuthority authority, ILogger<MartiSync> logger)
{
    public const string MissionQueryPath = "/Marti/sync/missionquery";
    public const string MissionUploadPath = "/Marti/sync/missionupload";
    public const string UploadPath = "/Marti/sync/upload";
    public const string ToolPath = "/Marti/api/sync/metadata/{hash}/tool";
    public const string ContentPath = "/Marti/sync/content";
    public const string SearchPath = "/Marti/sync/search";
    public const string ApiSearchPath = "/Marti/api/sync/search";
    public const string MetadataPath = "/Marti/sync/{hash}/metadata";

    /// <summary>The one answer for a file that is missing or hidden from the caller (404, this body).</summary>
    public const string NoSuchFile = "no file with that hash on this node";

    private const string HashExpected = "hash: give the file's SHA-256 as 64 hex digits";

    /// <summary>Content types served as themselves; anything else is served as application/octet-stream, so an upload never runs as a page of the node's origin.</summary>
    private static readonly string[] ServedAsIs =
        ["application/zip", "application/x-zip-compressed", "application/x-zip", "application/vnd.google-earth.kmz", "image/png", "image/jpeg", "image/gif", "application/pdf"];

    /// <summary>The store (opened here, at the node's start), the file-share labels, the counts and these endpoints' services.</summary>
    public static IServiceCollection AddMartiSync(IServiceCollection services, NodeSettings settings)
    {
        services.AddSingleton(sp =>
        {
            var store = new DataPackageStore(
                settings.DataDir, sp.GetRequiredService<LabelPolicy>(), sp.GetRequiredService<NodeIdentity>().Principal,
                new DataPackageLimits { MaxBytes = settings.MaxPackageBytes, MaxUnpackedBytes = settings.MaxPackageUnpackedBytes },
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DataPackageStore>>());
            store.Open();
            return store;
        });
        services.AddSingleton<FileShareLabels>();
        services.AddSingleton<DataPackageMetrics>();
        services.AddSingleton<MartiSync>();
        return services;
    }

    public static void MapMartiSync(WebApplication app)
    {
        var sync = app.Services.GetRequiredService<MartiSync>();
        app.MapGet(MissionQueryPath, sync.MissionQuery);
        Func<HttpContext, Task<IResult>> missionUpload = context => sync.ReceiveAsync(context, UploadKind.MissionPackage);
        Func<HttpContext, Task<IResult>> upload = context => sync.ReceiveAsync(context, UploadKind.File);
        app.MapPost(MissionUploadPath, missionUpload);
        app.MapPost(UploadPath, upload);
        app.MapGet(ToolPath, sync.GetTool);
        app.MapPut(ToolPath, sync.PutToolAsync);
        app.MapMethods(ContentPath, [HttpMethods.Get, HttpMethods.Head], sync.Content);
        app.MapGet(SearchPath, sync.Search);
        app.MapGet(ApiSearchPath, sync.ApiSearch);
        app.MapGet(MetadataPath, sync.Metadata);
    }

    /// <summary><c>GET /Marti/sync/missionquery?hash=</c>: the content URL when the caller may see the file, else 404 (ATAK then uploads it).</summary>
    private IResult MissionQuery(HttpContext context)
    {
        var caller = Caller.Of(context);
        if (!TryHash(context, context.Request.Query["hash"], out var hash, out var bad))
        {
            return bad;
        }

        return Visible(context, caller, hash) is not null
            ? Results.Text(ContentUrl(context, hash), "text/plain", Encoding.UTF8)
            : Hidden();
    }

    /// <summary><c>GET /Marti/api/sync/metadata/{hash}/tool</c>: the tool of the caller's visible record.</summary>
    private IResult GetTool(HttpContext context, string hash)
    {
        var caller = Caller.Of(context);
        if (!TryHash(context, hash, out var normalized, out var bad))
        {
            return bad;
        }

        return Visible(context, caller, normalized) is { } record ? Results.Text(record.Tool, "text/plain", Encoding.UTF8) : Hidden();
    }

    /// <summary>
    /// <c>PUT /Marti/api/sync/metadata/{hash}/tool</c> with <c>public</c> or <c>private</c>: changes the
    /// records the caller may see that its own organization uploaded (ATAK marks a shared file private).
    /// </summary>
    private async Task<IResult> PutToolAsync(HttpContext context, string hash)
    {
        var caller = Caller.Of(context);
        if (!TryHash(context, hash, out var normalized, out var bad))
        {
            return bad;
        }

        var body = await ReadSmallBodyAsync(context, 64).ConfigureAwait(false);
        var tool = body?.Trim().ToLowerInvariant();
        if (tool is not ("public" or "private"))
        {
            return Refuse(context, caller, "the tool is public or private (the request body)");
        }

        var changed = store.SetTool(normalized, caller, tool, out var visible);
        if (!visible)
        {
            ServerLog.PackageNotShown(logger, caller.Name, context.Request.Path, normalized, "no such file, or hidden by its label");
            return Hidden();
        }

        if (changed == 0)
        {
            const string reason = "only the organization that uploaded a file may change its tool";
            ServerLog.PackageToolRefused(logger, caller.Name, normalized, reason);
            return Results.Json(new ErrorJson(reason), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status403Forbidden);
        }

        ServerLog.PackageToolSet(logger, caller.Name, changed, normalized, tool);
        return Results.Ok();
    }

    /// <summary>
    /// <c>GET /Marti/sync/content?hash=</c>: the file, as an attachment, when the caller may see it.
    /// Served with its content type only when that is a zip, an image or a PDF, and never rendered
    /// as a page of the node (sandboxed, no sniffing).
    /// </summary>
    private IResult Content(HttpContext context)
    {
        var caller = Caller.Of(context);
        if (!TryHash(context, context.Request.Query["hash"], out var hash, out var bad))
        {
            return bad;
        }

        if (Visible(context, caller, hash) is not { } record)
        {
            return Hidden();
        }

        context.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        ServerLog.PackageServed(logger, hash, record.Size, caller.Name);
        var type = ServedAsIs.Contains(record.MimeType, StringComparer.Ordinal) ? record.MimeType : "application/octet-stream";
        return Results.File(store.ContentPath(hash), type, record.Name, new DateTimeOffset(record.SubmittedAt, TimeSpan.Zero),
            new Microsoft.Net.Http.Headers.EntityTagHeaderValue("\"" + hash + "\""), enableRangeProcessing: true);
    }

    /// <summary>
    /// <c>GET /Marti/sync/search</c>: the files the caller may see, newest first, as TAK Server lists
    /// them; filtered by <c>keywords</c> (any of them), <c>tool</c>, <c>name</c>, <c>uid</c> and <c>hash</c>.
    /// </summary>
    private IResult Search(HttpContext context)
    {
        var found = Filter(context, Caller.Of(context)).Select(SyncResourceJson.From).ToList();
        return Results.Json(new SyncSearchJson(found.Count, found), MartiSyncJsonContext.Default.SyncSearchJson, contentType: "application/json");
    }

    /// <summary><c>GET /Marti/api/sync/search</c>: the same files in TAK Server's envelope (node-tak's <c>Files.list</c>).</summary>
    private IResult ApiSearch(HttpContext context)
    {
        var found = Filter(context, Caller.Of(context)).Select(SyncFileJson.From).ToList();
        return Results.Json(
            new MartiResponse<List<SyncFileJson>>(MartiApi.ApiVersion, "com.bbn.marti.sync.model.Resource", found, MartiApi.NodeId(authority)),
            MartiSyncJsonContext.Default.MartiResponseListSyncFileJson, contentType: "application/json");
    }

    /// <summary><c>GET /Marti/sync/{hash}/metadata</c>: the record the caller may see, as one search result.</summary>
    private IResult Metadata(HttpContext context, string hash)
    {
        var caller = Caller.Of(context);
        if (!TryHash(context, hash, out var normalized, out var bad))
        {
            return bad;
        }

        return Visible(context, caller, normalized) is { } record
            ? Results.Json(SyncResourceJson.From(record), MartiSyncJsonContext.Default.SyncResourceJson, contentType: "application/json")
            : Hidden();
    }

    private IEnumerable<DataPackage> Filter(HttpContext context, Principal caller)
    {
        var query = context.Request.Query;
        var keywords = Split(query["keywords"]).Concat(Split(query["keyword"])).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var tool = query["tool"].ToString();
        var name = query["name"].ToString();
        var uid = query["uid"].ToString();
        var hash = query["hash"].ToString();
        return store.Visible(caller).Where(r =>
            (keywords.Count == 0 || r.Keywords.Any(keywords.Contains))
            && (tool.Length == 0 || string.Equals(r.Tool, tool, StringComparison.OrdinalIgnoreCase))
            && (name.Length == 0 || string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            && (uid.Length == 0 || string.Equals(r.Uid, uid, StringComparison.Ordinal))
            && (hash.Length == 0 || string.Equals(r.Hash, hash, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>The record of <paramref name="hash"/> the caller may see; a miss is logged with why (missing or hidden), for the node's operators only.</summary>
    private DataPackage? Visible(HttpContext context, Principal caller, string hash)
    {
        var record = store.Find(hash, caller, out var why);
        if (record is null)
        {
            ServerLog.PackageNotShown(logger, caller.Name, context.Request.Path, hash, why);
        }

        return record;
    }

    /// <summary>The same status and body whether the file is missing or hidden by its label.</summary>
    private static IResult Hidden() => Results.Json(new ErrorJson(NoSuchFile), ApiJsonContext.Default.ErrorJson, statusCode: StatusCodes.Status404NotFound);

    private bool TryHash(HttpContext context, StringValues text, out string hash, out IResult bad)
    {
        if (PackageInspection.TryNormalizeHash(text.ToString(), out var normalized))
        {
            hash = normalized;
            bad = Results.Ok();
            return true;
        }

        hash = string.Empty;
        bad = Refuse(context, Caller.Of(context), HashExpected);
        return false;
    }

    private IResult Refuse(HttpContext context, Principal caller, string reason)
    {
        ServerLog.SyncRequestRefused(logger, caller.Name, context.Request.Path, reason);
        return Results.BadRequest(new ErrorJson(reason));
    }

    /// <summary>Where a file is downloaded from, as TAK Server answers an upload: this node's address as the client reached it.</summary>
    internal static string ContentUrl(HttpContext context, string hash) => $"{context.Request.Scheme}://{context.Request.Host}{ContentPath}?hash={hash}";

    private static async Task<string?> ReadSmallBodyAsync(HttpContext context, int max)
    {
        var buffer = new byte[max + 1];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await context.Request.Body.ReadAsync(buffer.AsMemory(total), context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return total > max ? null : Encoding.UTF8.GetString(buffer, 0, total);
    }
}
