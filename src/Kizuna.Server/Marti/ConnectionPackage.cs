using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;

namespace Kizuna.Server.Marti;

/// <summary>
/// A connection data package: the zip ATAK and WinTAK import (<c>MANIFEST/manifest.xml</c> and the
/// files under <c>certs/</c>) or the flat one iTAK imports (the same files at the root, no
/// manifest). It holds a <c>.pref</c> naming the server (<c>cot_streams</c>) and the two PKCS#12
/// stores with their passwords (<c>com.atakmap.app_preferences</c>), the CA's trust store and the
/// client's certificate with its key. Both passwords are generated for each package.
/// </summary>
public static class ConnectionPackage
{
    public const string PreferenceFile = "config.pref";
    public const string TrustStoreFile = "truststore.p12";
    public const string ManifestEntry = "MANIFEST/manifest.xml";
    private const string PasswordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";

    /// <summary>A new random password for a PKCS#12 store: 20 characters, letters and digits without look-alikes.</summary>
    public static string NewPassword() => RandomNumberGenerator.GetString(PasswordAlphabet, 20);

    /// <summary>The file name of the client's store in the package.</summary>
    public static string ClientStoreFile(string name)
    {
        var safe = new StringBuilder();
        foreach (var c in name)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        return safe.ToString().TrimStart('.') + ".p12";
    }

    /// <summary>What went into a package, for the command to report.</summary>
    public sealed record Contents(IReadOnlyList<string> Entries, string CaPassword, string ClientPassword);

    /// <summary>
    /// Writes the package to <paramref name="zip"/>: <paramref name="trustStore"/> and
    /// <paramref name="clientStore"/> are PKCS#12 files under their passwords; <paramref name="host"/>
    /// and <paramref name="port"/> are where the client connects (CoT over TLS).
    /// </summary>
    public static Contents Write(Stream zip, string name, string host, int port, byte[] trustStore, string caPassword, byte[] clientStore, string clientPassword, bool flat)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        var folder = flat ? string.Empty : "certs/";
        var clientFile = ClientStoreFile(name);
        var files = new List<(string Entry, byte[] Bytes)>
        {
            (folder + PreferenceFile, Preferences(name, host, port, caPassword, clientFile, clientPassword)),
            (folder + TrustStoreFile, trustStore),
            (folder + clientFile, clientStore),
        };

        var entries = new List<string>();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            if (!flat)
            {
                Add(archive, ManifestEntry, Manifest(name, files.Select(f => f.Entry)));
                entries.Add(ManifestEntry);
            }

            foreach (var (entry, bytes) in files)
            {
                Add(archive, entry, bytes);
                entries.Add(entry);
            }
        }

        return new Contents(entries, caPassword, clientPassword);
    }

    /// <summary>The <c>.pref</c> file: one TLS stream to the node, and the two stores with their passwords.</summary>
    public static byte[] Preferences(string name, string host, int port, string caPassword, string clientFile, string clientPassword)
    {
        return Xml(w =>
        {
            w.WriteStartElement("preferences");
            w.WriteStartElement("preference");
            w.WriteAttributeString("version", "1");
            w.WriteAttributeString("name", "cot_streams");
            Entry(w, "count", "Integer", "1");
            Entry(w, "description0", "String", $"Kizuna {host} ({name})");
            Entry(w, "enabled0", "Boolean", "true");
            Entry(w, "connectString0", "String", $"{host}:{port}:ssl");
            w.WriteEndElement();
            w.WriteStartElement("preference");
            w.WriteAttributeString("version", "1");
            w.WriteAttributeString("name", "com.atakmap.app_preferences");
            Entry(w, "displayServerConnectionWidget", "Boolean", "true");
            Entry(w, "caLocation", "String", "cert/" + TrustStoreFile);
            Entry(w, "caPassword", "String", caPassword);
            Entry(w, "certificateLocation", "String", "cert/" + clientFile);
            Entry(w, "clientPassword", "String", clientPassword);
            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    /// <summary>The mission package manifest (version 2): uid, name, delete after import, one Content per file.</summary>
    public static byte[] Manifest(string name, IEnumerable<string> entries)
    {
        return Xml(w =>
        {
            w.WriteStartElement("MissionPackageManifest");
            w.WriteAttributeString("version", "2");
            w.WriteStartElement("Configuration");
            Parameter(w, "uid", Guid.NewGuid().ToString());
            Parameter(w, "name", $"kizuna-{name}");
            Parameter(w, "onReceiveDelete", "true");
            w.WriteEndElement();
            w.WriteStartElement("Contents");
            foreach (var entry in entries)
            {
                w.WriteStartElement("Content");
                w.WriteAttributeString("ignore", "false");
                w.WriteAttributeString("zipEntry", entry);
                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
        });
    }

    private static void Parameter(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("Parameter");
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("value", value);
        w.WriteEndElement();
    }

    private static void Entry(XmlWriter w, string key, string type, string value)
    {
        w.WriteStartElement("entry");
        w.WriteAttributeString("key", key);
        w.WriteAttributeString("class", "class java.lang." + type);
        w.WriteString(value);
        w.WriteEndElement();
    }

    private static byte[] Xml(Action<XmlWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            w.WriteStartDocument(standalone: true);
            write(w);
            w.WriteEndDocument();
        }

        return buffer.ToArray();
    }

    private static void Add(ZipArchive archive, string entry, byte[] bytes)
    {
        var zipEntry = archive.CreateEntry(entry, CompressionLevel.Optimal);
        using var stream = zipEntry.Open();
        stream.Write(bytes);
    }

    /// <summary>Issues the client's certificate and writes its package; used by the command and the tests.</summary>
    public static Contents Build(Core.Identity.NodeCertificateAuthority authority, Core.Labels.IdentityClaims claims, string policy, string host, int port, Stream zip, bool flat)
    {
        var caPassword = NewPassword();
        var clientPassword = NewPassword();
        using X509Certificate2 client = authority.IssueClientWithKey(claims, policy);
        return Write(zip, claims.Name, host, port, authority.ExportPkcs12(null, caPassword), caPassword, authority.ExportPkcs12(client, clientPassword), clientPassword, flat);
    }
}
