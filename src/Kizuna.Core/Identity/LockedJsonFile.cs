using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kizuna.Core.Identity;

/// <summary>
/// A list of records kept in a JSON file of the data directory (one-time tokens), changed by more
/// than one process (the node, and the commands that issue tokens): every change reads the file,
/// changes the list, prunes it and writes it back (0600, through a temporary renamed over it) under
/// an exclusive lock on a lock file beside it.
/// </summary>
internal sealed class LockedJsonFile<T>
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly string _dataDir;
    private readonly string _path;
    private readonly string _lockPath;
    private readonly JsonTypeInfo<List<T>> _json;
    private readonly Lock _gate = new();

    /// <param name="dataDir">The data directory (full path); created 0700 if missing.</param>
    /// <param name="fileName">The records' file, e.g. <c>enroll-tokens.json</c>.</param>
    /// <param name="lockName">The lock file beside it, e.g. <c>enroll-tokens.lock</c>.</param>
    public LockedJsonFile(string dataDir, string fileName, string lockName, JsonTypeInfo<List<T>> json)
    {
        _dataDir = dataDir;
        _path = Path.Combine(dataDir, fileName);
        _lockPath = Path.Combine(dataDir, lockName);
        _json = json;
    }

    /// <summary>
    /// Reads the records, lets <paramref name="change"/> change them (it returns whether it did),
    /// removes those <paramref name="expired"/> says are done with, and writes them back if
    /// anything changed; all under the lock, so no other process changes them meanwhile.
    /// </summary>
    public void Update(Func<List<T>, bool> change, Predicate<T> expired)
    {
        lock (_gate)
        {
            if (!Directory.Exists(_dataDir))
            {
                Storage.PrivateDirectory.Prepare(_dataDir, "data-dir");
            }

            using var exclusive = Storage.ExclusiveFileLock.Acquire(_lockPath, LockTimeout);
            var records = File.Exists(_path) ? JsonSerializer.Deserialize(File.ReadAllText(_path), _json) ?? [] : [];
            var before = records.Count;
            var changed = change(records);
            records.RemoveAll(expired);
            if (changed || records.Count != before)
            {
                var temporary = _path + ".tmp";
                Storage.PrivateDirectory.WriteAllText(temporary, JsonSerializer.Serialize(records, _json) + "\n");
                File.Move(temporary, _path, overwrite: true);
            }
        }
    }
}
