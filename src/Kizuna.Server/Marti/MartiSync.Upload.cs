using Kizuna.Core.DataPackages;
using Kizuna.Core.Labels;
using Kizuna.Cot;
using Kizuna.Server.Api;
using Kizuna.Server.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Kizuna.Server.Marti;

/// <summary>Which upload endpoint: ATAK's data package share, or iTAK's (and anyone's) file upload.</summary>
public enum UploadKind
{
    /// <summary><c>POST /Marti/sync/missionupload?hash=&amp;filename=&amp;creatorUid=</c>, multipart, the file in <c>assetfile</c>; answers the content URL. Listed as a public data package.</summary>
    MissionPackage,

    /// <summary><c>POST /Marti/sync/upload?name=&amp;keywords=&amp;creatorUid=</c>, the raw body (or multipart); answers the record as JSON. Private.</summary>
    File,
}

public sealed partial class MartiSync
{
    /// <summary>Room for a multipart body's boundaries and headers beyond the file itself.</summary>
    private const long MultipartOverhead = 1024 * 1024;

    private const int MaxCreatorUidLength = 256;

    /// <summary>
    /// Receives one file: every parameter is checked before a byte of the body is read (a file name
    /// without a path, the hash, the creator uid, keywords, the label given with the upload against
    /// the uploader's clearance and organization), the body streams into a 0600 file of its own
    /// within the size limit, and the store checks the bytes and keeps them. A refusal is logged
    /// (4611) and counted with its reason, answered with it, and leaves nothing behind.
    /// </summary>
    private async Task<IResult> ReceiveAsync(HttpContext context, UploadKind kind)
    {
        var caller = Caller.Of(context);
        var endpoint = context.Request.Path.ToString();
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        try
        {
            var query = context.Request.Query;
            var named = (kind == UploadKind.MissionPackage ? query["filename"] : query["name"]).ToString();
            if (named.Length > 0)
            {
                CheckName(named, "the file name");
            }

            string? claimed = null;
            if (query["hash"].ToString() is { Length: > 0 } hashText && !PackageInspection.TryNormalizeHash(hashText, out claimed))
            {
                throw new PackageRefusedException(PackageRefusal.BadParameter, HashExpected);
            }

            var creatorUid = query["creatorUid"].ToString() is { Length: > 0 } uid ? uid : null;
            if (creatorUid is not null && !PackageInspection.IsSafeText(creatorUid, MaxCreatorUidLength))
            {
                throw new PackageRefusedException(PackageRefusal.BadParameter, $"creatorUid: at most {MaxCreatorUidLength} characters, no control characters");
            }

            var keywords = Keywords(kind, query);
            var label = UploadLabel(query, caller);

            if (context.Request.ContentLength > store.Limits.MaxBytes + MultipartOverhead)
            {
                throw TooLarge();
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
            {
                bodyLimit.MaxRequestBodySize = store.Limits.MaxBytes + MultipartOverhead;
            }

            using var upload = store.BeginUpload();
            var (partName, partType) = await ReceiveBodyAsync(context, upload, kind).ConfigureAwait(false);
            if (partName is { Length: > 0 })
            {
                CheckName(partName, "the file name in the multipart body");
            }

            var name = named.Length > 0 ? named : partName is { Length: > 0 } ? partName
                : throw new PackageRefusedException(PackageRefusal.BadFileName,
                    kind == UploadKind.MissionPackage ? "filename: a file name is required" : "name: a file name is required");
            var declared = partType ?? (query["mimetype"].ToString() is { Length: > 0 } given ? given : null);
            var tool = kind == UploadKind.MissionPackage ? "public" : "private";
            var record = store.Accept(upload, new DataPackageDraft(name, declared, claimed, creatorUid, caller, keywords, tool, label));

            metrics.Stored(record.Size);
            ServerLog.PackageStored(logger, caller.Name, caller.Organization, record.Size, endpoint, remote, record.Hash, record.MimeType, record.Label.Banner, record.Uid);
            return kind == UploadKind.MissionPackage
                ? Results.Text(ContentUrl(context, record.Hash), "text/plain", System.Text.Encoding.UTF8)
                : Results.Json(SyncResourceJson.From(record), MartiSyncJsonContext.Default.SyncResourceJson, contentType: "application/json; charset=utf-8");
        }
        catch (PackageRefusedException refused)
        {
            metrics.Refused(refused.Refusal);
            ServerLog.PackageRefused(logger, caller.Name, endpoint, remote, refused.Refusal.ToString(), refused.Message);
            var status = refused.Refusal switch
            {
                PackageRefusal.TooLarge => StatusCodes.Status413PayloadTooLarge,
                PackageRefusal.ContentTypeMismatch => StatusCodes.Status415UnsupportedMediaType,
                PackageRefusal.LabelRefused => StatusCodes.Status403Forbidden,
                _ => StatusCodes.Status400BadRequest,
            };
            return Results.Json(new ErrorJson(refused.Message), ApiJsonContext.Default.ErrorJson, statusCode: status);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-upload: its bytes are already deleted (the upload's dispose), nobody to answer.
            ServerLog.PackageRefused(logger, caller.Name, endpoint, remote, "Aborted", "the client closed the connection before the upload ended");
            return Results.Empty;
        }
    }

    /// <summary>
    /// The file of the request: the multipart section named <c>assetfile</c> (or the first with a file
    /// name) with its own name and type, or (for <see cref="UploadKind.File"/>) the whole body with the
    /// request's content type.
    /// </summary>
    private async Task<(string? FileName, string? ContentType)> ReceiveBodyAsync(HttpContext context, PackageUpload upload, UploadKind kind)
    {
        var aborted = context.RequestAborted;
        try
        {
            if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var media)
                && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            {
                var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
                if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
                {
                    throw Malformed("the multipart body has no boundary (or one longer than 70 characters)");
                }

                var reader = new MultipartReader(boundary, context.Request.Body)
                {
                    HeadersCountLimit = 16,
                    HeadersLengthLimit = 16 * 1024,
                    BodyLengthLimit = store.Limits.MaxBytes + MultipartOverhead,
                };
                (string?, string?)? file = null;
                while (await reader.ReadNextSectionAsync(aborted).ConfigureAwait(false) is { } section)
                {
                    if (file is null
                        && ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                        && disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                        && (string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, "assetfile", StringComparison.OrdinalIgnoreCase) || disposition.IsFileDisposition()))
                    {
                        var fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                        await upload.CopyFromAsync(section.Body, aborted).ConfigureAwait(false);
                        file = (fileName, section.ContentType);
                    }
                    else
                    {
                        await section.Body.DrainAsync(aborted).ConfigureAwait(false);
                    }
                }

                return file ?? throw Malformed("the multipart body has no file in it (ATAK sends it in the field assetfile)");
            }

            if (kind == UploadKind.MissionPackage)
            {
                throw Malformed("missionupload takes multipart/form-data with the file in the field assetfile");
            }

            await upload.CopyFromAsync(context.Request.Body, aborted).ConfigureAwait(false);
            return (null, context.Request.ContentType);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException && !aborted.IsCancellationRequested)
        {
            throw Malformed("the body is malformed or ended early (" + ex.GetType().Name + ")");
        }
    }

    /// <summary>The upload's label: the uploader's default, or the one given as CoT's attributes (<c>access</c>, <c>releasableTo</c>, <c>caveat</c>), checked by the same rule as an event's.</summary>
    private ConfidentialityLabel UploadLabel(IQueryCollection query, Principal caller)
    {
        var access = query["access"].ToString();
        var releasableTo = query["releasableTo"].ToString();
        var caveat = query["caveat"].ToString();
        if (access.Length == 0 && releasableTo.Length == 0 && caveat.Length == 0)
        {
            return labels.DefaultFor(caller);
        }

        var carrier = new CotEvent
        {
            Uid = "upload",
            Type = FileShareLabels.TypePrefix + "r",
            Access = access.Length > 0 ? access : null,
            ReleasableTo = releasableTo.Length > 0 ? releasableTo : null,
            Caveat = caveat.Length > 0 ? caveat : null,
        };
        var verdict = labels.Accept(carrier, caller);
        return verdict.Accepted ? verdict.Label : throw new PackageRefusedException(PackageRefusal.LabelRefused, "the label given: " + verdict.Reason);
    }

    /// <summary>ATAK's <c>keyword</c> (repeated), iTAK's <c>keywords</c> (comma separated); a data package is always a <c>missionpackage</c>.</summary>
    private List<string> Keywords(UploadKind kind, IQueryCollection query)
    {
        var keywords = Split(query["keyword"]).Concat(Split(query["keywords"])).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (kind == UploadKind.MissionPackage && !keywords.Contains("missionpackage", StringComparer.OrdinalIgnoreCase))
        {
            keywords.Insert(0, "missionpackage");
        }

        var limits = store.Limits;
        if (keywords.Count > limits.MaxKeywords || keywords.Any(k => !PackageInspection.IsSafeText(k, limits.MaxKeywordLength)))
        {
            throw new PackageRefusedException(PackageRefusal.BadParameter,
                $"keywords: at most {limits.MaxKeywords}, each at most {limits.MaxKeywordLength} characters without control characters");
        }

        return keywords;
    }

    private void CheckName(string name, string what)
    {
        if (!PackageInspection.IsSafeFileName(name, store.Limits.MaxNameLength, out var reason))
        {
            throw new PackageRefusedException(PackageRefusal.BadFileName, $"{what}: {reason}");
        }
    }

    private PackageRefusedException TooLarge() => new(PackageRefusal.TooLarge, $"the file is larger than {store.Limits.MaxBytes} bytes, the most this node takes");

    private static PackageRefusedException Malformed(string reason) => new(PackageRefusal.MalformedUpload, reason);

    private static IEnumerable<string> Split(StringValues values)
        => values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
