using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Kizuna.Core.Audit;

/// <summary>
/// A signed statement by a node that the trail held <see cref="Seq"/> records, the last with
/// <see cref="Hash"/>, at <see cref="Time"/>: a record removed or changed before it no longer
/// matches, and the chain cannot be rewritten without the node's key. The signature is RSA
/// SHA-256 over <see cref="SignedText"/>, by the key of <see cref="Certificate"/> (the node's
/// server certificate, issued by its CA).
/// </summary>
public sealed record AuditCheckpoint(long Seq, string Hash, DateTime Time, string Node, byte[] Certificate, byte[] Signature)
{
    public static string SignedText(long seq, string hash, DateTime time, string node)
        => string.Create(CultureInfo.InvariantCulture, $"kizuna-audit-checkpoint\n{seq}\n{hash}\n{Format(time)}\n{node}");

    public static AuditCheckpoint Sign(long seq, string hash, DateTime time, string node, X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        using var key = signer.GetRSAPrivateKey() ?? throw new InvalidOperationException("the node's certificate has no RSA private key to sign audit checkpoints with");
        var signature = key.SignData(Encoding.UTF8.GetBytes(SignedText(seq, hash, time, node)), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new AuditCheckpoint(seq, hash, time, node, signer.RawData, signature);
    }

    /// <summary>Whether the signature is the certificate's key's over this checkpoint's fields.</summary>
    public bool SignatureHolds(out X509Certificate2? certificate)
    {
        certificate = null;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(Certificate);
            using var key = certificate.GetRSAPublicKey();
            return key is not null && key.VerifyData(Encoding.UTF8.GetBytes(SignedText(Seq, Hash, Time, Node)), Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public byte[] ToLine()
    {
        using var body = new MemoryStream(2048);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", Seq);
            json.WriteString("hash", Hash);
            json.WriteString("time", Format(Time));
            json.WriteString("node", Node);
            json.WriteBase64String("certificate", Certificate);
            json.WriteBase64String("signature", Signature);
            json.WriteEndObject();
        }

        return body.ToArray();
    }

    public static bool TryRead(ReadOnlySpan<byte> line, [NotNullWhen(true)] out AuditCheckpoint? checkpoint)
    {
        checkpoint = null;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            checkpoint = new AuditCheckpoint(
                root.GetProperty("seq").GetInt64(),
                root.GetProperty("hash").GetString()!,
                DateTime.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                root.GetProperty("node").GetString()!,
                root.GetProperty("certificate").GetBytesFromBase64(),
                root.GetProperty("signature").GetBytesFromBase64());
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    private static string Format(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
