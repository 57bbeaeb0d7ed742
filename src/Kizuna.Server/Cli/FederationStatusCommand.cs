using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Kizuna.Federation;
using Kizuna.Server.Api;

namespace Kizuna.Server.Cli;

/// <summary>
/// <c>kizuna federation status [--url URL]</c>: the node's partner links as a table, from
/// <c>GET /api/federation</c> on the node's loopback HTTP listener (the node's operators only).
/// </summary>
public static class FederationStatusCommand
{
    public static Command Create(Option<string?> configOption)
    {
        var status = new Command("status", "Show the running node's partner links: state, acknowledged position, lag, outbox depth, sent, acknowledged, expired, withheld.");
        var url = new Option<string?>("--url") { Description = "The node's HTTP listener (default: the http setting, http://127.0.0.1:8080)" };
        status.Options.Add(url);
        status.SetAction(async (parse, cancellationToken) =>
        {
            Uri baseUri;
            try
            {
                var sources = SettingSources.Load(parse.GetValue(configOption));
                baseUri = BaseUri(parse.GetValue(url) ?? sources.Resolve(ServeCommand.Http, null));
            }
            catch (SettingsException ex)
            {
                await Console.Error.WriteLineAsync("kizuna federation status: " + ex.Message).ConfigureAwait(false);
                return 2;
            }

            var (code, output) = await RunAsync(baseUri, cancellationToken).ConfigureAwait(false);
            await (code == 0 ? Console.Out : Console.Error).WriteAsync(output).ConfigureAwait(false);
            return code;
        });
        return status;
    }

    /// <summary>Reads the status from the node at <paramref name="baseUri"/>; the exit code and what to print (the table, or why not).</summary>
    public static async Task<(int Code, string Output)> RunAsync(Uri baseUri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(FederationApi.Path, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                return (3, $"kizuna federation status: {baseUri} refused: only the node's operators may read its links (run this on the node's own machine, against its loopback HTTP listener)\n");
            }

            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (1, $"kizuna federation status: {baseUri} has no {FederationApi.Path}: is it a Kizuna node of this version?\n");
            }

            response.EnsureSuccessStatusCode();
            var document = await response.Content.ReadFromJsonAsync(FederationJsonContext.Default.FederationStatusJson, cancellationToken).ConfigureAwait(false)
                ?? throw new HttpRequestException("empty answer");
            return (0, Table(document, DateTime.UtcNow));
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            return (1, $"kizuna federation status: no node answers at {baseUri} ({ex.Message}). Is `kizuna serve` running, with its --http listener there? Say where with --url http://HOST:PORT\n");
        }
        catch (HttpRequestException ex)
        {
            return (1, $"kizuna federation status: {baseUri} answered {(int?)ex.StatusCode}: {ex.Message}\n");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (1, $"kizuna federation status: {baseUri} did not answer within 10 s\n");
        }
        catch (System.Text.Json.JsonException ex)
        {
            return (1, $"kizuna federation status: {baseUri} answered something that is not a federation status: {ex.Message}\n");
        }
    }

    /// <summary>The status as a table, one line per partner.</summary>
    public static string Table(FederationStatusJson status, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        if (!status.Enabled)
        {
            text.Append(CultureInfo.InvariantCulture, $"Federation is off on this node ({status.Organization}): start it with --federation HOST:PORT and/or --federate-with HOST:PORT.\n");
            return text.ToString();
        }

        text.Append(CultureInfo.InvariantCulture, $"Node {status.NodeId} ({status.Organization}): {status.Links.Count} partner{(status.Links.Count == 1 ? string.Empty : "s")}, {status.Links.Count(l => l.State == FederationLinkStates.Up)} up\n");
        if (status.Links.Count == 0)
        {
            text.Append("No partner yet: import one with `kizuna federation trust FILE`.\n");
            return text.ToString();
        }

        string[] header = ["PARTNER", "NODE", "STATE", "SINCE", "ACKED POS", "LAG EV", "LAG S", "OUTBOX", "SENT", "ACKED", "EXPIRED", "WITHHELD"];
        var rows = status.Links.Select(l => new[]
        {
            l.PartnerOrganization,
            l.PartnerNodeId,
            l.State,
            l.Since is { } since ? Ago(now - since) : "-",
            N(l.LastAcknowledgedPosition),
            N(l.LagEvents),
            l.LagSeconds.ToString("0.0", CultureInfo.InvariantCulture),
            N(l.OutboxDepth),
            N(l.Sent),
            N(l.Acknowledged),
            N(l.Expired),
            N(l.Withheld),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        void Line(string[] cells)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                // Names left, figures right.
                text.Append(i < 4 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
                text.Append(i == cells.Length - 1 ? "\n" : "  ");
            }
        }

        Line(header);
        rows.ForEach(Line);
        return text.ToString();
    }

    /// <summary>http://HOST:PORT from a URL or an http setting (HOST:PORT); a wildcard host is asked on loopback.</summary>
    public static Uri BaseUri(string value)
    {
        var text = value.Trim();
        if (text.Length == 0)
        {
            throw new SettingsException("the node's HTTP listener is off (http is empty); say where it is with --url http://HOST:PORT");
        }

        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new SettingsException($"--url: '{value}' is not an http:// URL");
        }

        var builder = new UriBuilder(uri) { Path = "/" };
        if (builder.Host is "0.0.0.0" or "[::]" or "::")
        {
            builder.Host = "127.0.0.1";
        }

        return builder.Uri;
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Ago(TimeSpan span) => span.TotalSeconds < 0 ? "now"
        : span.TotalMinutes < 1 ? $"{(int)span.TotalSeconds}s ago"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes}m ago"
        : span.TotalDays < 1 ? $"{(int)span.TotalHours}h ago"
        : $"{(int)span.TotalDays}d ago";
}
