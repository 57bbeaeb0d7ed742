using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kizuna.Core.Audit;

/// <summary>
/// One line of the audit trail: its sequence number, the time, the actor (identity,
/// organization, and the node that recorded it), the act, its object, the object's label, the
/// hash of the record before it, and its own hash. The hash is SHA-256 over the line's exact
/// bytes up to its <c>"hash"</c> member, so any byte changed in a record changes its hash, and
/// the next record's <c>prev</c> no longer matches.
/// </summary>
public sealed record AuditRecord(
    long Seq,
    DateTime Time,
    string Actor,
    string ActorOrganization,
    string Node,
    string Act,
    string Object,
    string Label,
    string Prev,
    string Hash)
{
    /// <summary>The <c>prev</c> of the first record.</summary>
    public static readonly string Genesis = new('0', 64);

    private static readonly byte[] HashMember = Encoding.UTF8.GetBytes(",\"hash\":\"");

    /// <summary>Writes the record's line (without the newline) and returns it with its hash.</summary>
    public static (AuditRecord Record, byte[] Line) Create(long seq, DateTime time, string node, AuditEntry entry, string prev)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var body = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", seq);
            json.WriteString("time", time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("actor", entry.Actor);
            json.WriteString("org", entry.ActorOrganization);
            json.WriteString("node", node);
            json.WriteString("act", entry.Act);
            json.WriteString("object", entry.Object);
            json.WriteString("label", entry.Label);
            json.WriteString("prev", prev);
            json.Flush();
        }

        var head = body.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(head));
        var line = new byte[head.Length + HashMember.Length + 64 + 2];
        head.CopyTo(line, 0);
        HashMember.CopyTo(line, head.Length);
        Encoding.ASCII.GetBytes(hash, 0, 64, line, head.Length + HashMember.Length);
        line[^2] = (byte)'"';
        line[^1] = (byte)'}';
        return (new AuditRecord(seq, DateTime.SpecifyKind(time, DateTimeKind.Utc), entry.Actor, entry.ActorOrganization, node, entry.Act, entry.Object, entry.Label, prev, hash), line);
    }

    /// <summary>
    /// Reads one line. False with a reason when it is not a record this build writes, or its
    /// hash is not the hash of its bytes (the line was changed).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> line, [NotNullWhen(true)] out AuditRecord? record, [NotNullWhen(false)] out string? problem)
    {
        record = null;
        var suffix = HashMember.Length + 64 + 2;
        if (line.Length <= suffix || !line[^suffix..].StartsWith(HashMember) || line[^2] != '"' || line[^1] != '}')
        {
            problem = "it does not end with its hash";
            return false;
        }

        var head = line[..^suffix];
        var stated = Encoding.ASCII.GetString(line.Slice(line.Length - 66, 64));
        var actual = Convert.ToHexStringLower(SHA256.HashData(head));
        if (!string.Equals(stated, actual, StringComparison.Ordinal))
        {
            problem = "its bytes do not match its hash (the record was changed)";
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var root = doc.RootElement;
            record = new AuditRecord(
                root.GetProperty("seq").GetInt64(),
                DateTime.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                root.GetProperty("actor").GetString()!,
                root.GetProperty("org").GetString()!,
                root.GetProperty("node").GetString()!,
                root.GetProperty("act").GetString()!,
                root.GetProperty("object").GetString()!,
                root.GetProperty("label").GetString()!,
                root.GetProperty("prev").GetString()!,
                stated);
            problem = null;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problem = "it is not a record: " + ex.Message;
            return false;
        }
    }
}
