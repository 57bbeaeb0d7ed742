using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace Kizuna.Core.Identity;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<ConsoleTokenRecord>))]
internal sealed partial class ConsoleTokenJsonContext : JsonSerializerContext;

/// <summary>
/// Console sign-in tokens in <c>console-tokens.json</c> of the data directory: the command and the
/// node are different processes, so every change happens under an exclusive lock on
/// <c>console-tokens.lock</c>.
/// </summary>
public sealed class FileConsoleTokenStore : IConsoleTokenStore
{
    public const string FileName = "console-tokens.json";

    private readonly LockedJsonFile<ConsoleTokenRecord> _file;

    public FileConsoleTokenStore(string dataDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        _file = new LockedJsonFile<ConsoleTokenRecord>(Path.GetFullPath(dataDir), FileName, "console-tokens.lock", ConsoleTokenJsonContext.Default.ListConsoleTokenRecord);
    }

    public void Add(ConsoleTokenRecord record, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(record);
        _file.Update(records =>
        {
            records.Add(record);
            return true;
        }, r => ConsoleTokens.MayForget(r, now));
    }

    public ConsoleTokenRecord? Use(string hash, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var wanted = Encoding.ASCII.GetBytes(hash);
        ConsoleTokenRecord? found = null;
        _file.Update(records =>
        {
            var index = records.FindIndex(r => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(r.Hash), wanted));
            if (index < 0)
                return false;
            found = records[index];
            if (found.UsedAt is not null || found.ExpiresAt <= now)
                return false;
            records[index] = found with { UsedAt = now };
            return true;
        }, r => ConsoleTokens.MayForget(r, now));
        return found;
    }
}
