using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Kizuna.Server.WebConsole;

/// <summary>
/// Serves the browser console: the build output of <c>web/</c> (<c>npm run build</c> writes
/// <c>web/dist</c>; the node's build copies it to <c>console/</c> beside the node) at
/// <c>/</c> on the HTTP and HTTPS listeners, every response with the console's security headers.
/// Without a built console, <c>/</c> is a placeholder page saying how to build it.
/// </summary>
public static class ConsoleFiles
{
    /// <summary>
    /// Scripts, styles, images and connections from the node itself only (WebSockets to it too);
    /// inline styles for the map library; no frames, no base tag, forms post only here.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>Where the node's build puts the console: <c>console/</c> in the output directory.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "console");

    /// <summary>The directory served for a setting (null: the built-in copy).</summary>
    public static string DirectoryFor(string? setting) => Path.GetFullPath(setting ?? DefaultDirectory);

    /// <summary>Security headers on every response (the API's JSON included: harmless there, and nothing is missed).</summary>
    public static void UseConsoleSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            // Sign-in links carry their token in the URL: never send it on as a referrer.
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
    }

    /// <summary>Static files of <paramref name="directory"/> at <c>/</c> (<c>/</c> is index.html), or the placeholder page.</summary>
    public static void MapConsoleFiles(this WebApplication app, string directory)
    {
        if (!File.Exists(Path.Combine(directory, "index.html")))
        {
            app.MapGet("/", () => Results.Content(Placeholder, "text/html; charset=utf-8")).AllowAnonymous();
            return;
        }

        var files = new PhysicalFileProvider(directory);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        types.Mappings[".js"] = "text/javascript";
        types.Mappings[".map"] = "application/json";
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = types,
            // The console is rebuilt in place: browsers revalidate (ETag) rather than keep a stale copy.
            OnPrepareResponse = static file => file.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    /// <summary>Shown at <c>/</c> when the node was built without the console (web/ absent or not built).</summary>
    public const string Placeholder = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Kizuna console</title></head>
        <body>
        <h1 data-testid="placeholder">Kizuna</h1>
        <p>The browser console is not built into this node. Build it from the project
        (<code>./kizuna serve</code> builds <code>web/</code> when it has a <code>package.json</code>),
        or point <code>--console-dir</code> at the output of <code>npm run build</code> in <code>web/</code>.</p>
        <p>The HTTP API answers meanwhile: <a href="/api/whoami">/api/whoami</a>, <a href="/healthz">/healthz</a>.</p>
        </body>
        </html>
        """;
}
