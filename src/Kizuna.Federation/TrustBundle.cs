using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kizuna.Core.Identity;

namespace Kizuna.Federation;

/// <summary>A trust bundle that cannot be used; the message says what is wrong and what to do.</summary>
public sealed class TrustBundleException(string message) : Exception(message);

/// <summary>
/// What one node hands a partner's operator so the partner can trust it: the node id, its hosting
/// organization, its CA certificate (PEM) and its node certificate's SHA-256 fingerprint. JSON,
/// written by <c>kizuna federation export</c> and read by <c>kizuna federation trust</c>.
/// </summary>
public sealed partial record TrustBundle(string NodeId, string Organization, string CaCertificatePem, string NodeCertificateSha256)
{
    public const string Format = "kizuna-federation-trust-bundle";
    public const int FormatVersion = 1;

    /// <summary>The bundle of this node: its CA and node certificate.</summary>
    public static TrustBundle Of(NodeCertificateAuthority authority, X509Certificate2 nodeCertificate, string organization)
        => new(authority.NodeId, organization, authority.CaCertificate.ExportCertificatePem() + "\n", Fingerprint(nodeCertificate));

    /// <summary>SHA-256 of the certificate's DER, lowercase hex: how TAK Server, and Kizuna, identify a federate.</summary>
    public static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));

    /// <summary>The partner's CA certificate; the caller disposes it.</summary>
    public X509Certificate2 LoadCa() => X509Certificate2.CreateFromPem(CaCertificatePem);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteNumber("formatVersion", FormatVersion);
            writer.WriteString("nodeId", NodeId);
            writer.WriteString("organization", Organization);
            writer.WriteString("caCertificatePem", CaCertificatePem);
            writer.WriteString("nodeCertificateSha256", NodeCertificateSha256);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Reads and checks a bundle; <paramref name="source"/> names it in messages.</summary>
    public static TrustBundle Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new TrustBundleException($"{source} is not JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TrustBundleException($"{source} is not a trust bundle (a JSON object written by `kizuna federation export`)");
            }

            if (Text(root, "format", source) != Format)
            {
                throw new TrustBundleException($"{source} is not a trust bundle: \"format\" must be \"{Format}\" (write one with `kizuna federation export`)");
            }

            if (!root.TryGetProperty("formatVersion", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != FormatVersion)
            {
                throw new TrustBundleException($"{source}: this Kizuna reads trust bundles of formatVersion {FormatVersion}");
            }

            var nodeId = Text(root, "nodeId", source);
            if (!NodeIdPattern().IsMatch(nodeId))
            {
                throw new TrustBundleException($"{source}: \"nodeId\" '{nodeId}' is not a node id (lowercase letters, digits and '-', at most 64)");
            }

            var fingerprint = Text(root, "nodeCertificateSha256", source).ToLowerInvariant();
            if (!FingerprintPattern().IsMatch(fingerprint))
            {
                throw new TrustBundleException($"{source}: \"nodeCertificateSha256\" must be 64 hex digits");
            }

            var bundle = new TrustBundle(nodeId, Text(root, "organization", source), Text(root, "caCertificatePem", source), fingerprint);
            try
            {
                using var ca = bundle.LoadCa();
                if (!ca.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
                {
                    throw new TrustBundleException($"{source}: \"caCertificatePem\" is not a CA certificate (basic constraints without CA)");
                }
            }
            catch (CryptographicException ex)
            {
                throw new TrustBundleException($"{source}: \"caCertificatePem\" is not a PEM certificate: {ex.Message}");
            }

            return bundle;
        }
    }

    private static string Text(JsonElement root, string name, string source)
        => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new TrustBundleException($"{source} has no \"{name}\" (a non-empty string)");

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex NodeIdPattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex FingerprintPattern();
}
