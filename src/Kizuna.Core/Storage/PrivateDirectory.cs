namespace Kizuna.Core.Storage;

/// <summary>
/// The node's data directories (history, warnings, the CA's keys, console tokens) are its
/// owner's alone: the directory 0700, every file in it 0600, created so from the start (never
/// widened and then narrowed). A directory another local user can read or enter is refused at
/// start, with the command that fixes it. On Windows, where Unix modes do not apply, nothing is
/// checked.
/// </summary>
public static class PrivateDirectory
{
    /// <summary>rwx for the owner only.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>rw for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates <paramref name="directory"/> 0700 if it does not exist; refuses one that exists and
    /// is open to the group or others (<see cref="InsecureDirectoryException"/>, naming the fix).
    /// Files and directories already inside that are wider than 0600/0700 (written by an older
    /// version) are narrowed.
    /// </summary>
    public static void Prepare(string directory, string setting)
    {
        var full = Path.GetFullPath(directory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(full);
            return;
        }

        if (!Directory.Exists(full))
        {
            var parent = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(parent))
            {
                Directory.CreateDirectory(parent);
            }

            Directory.CreateDirectory(full, DirectoryMode);
            return;
        }

        var mode = File.GetUnixFileMode(full);
        if ((mode & GroupOrOther) != 0)
        {
            throw new InsecureDirectoryException(
                $"{setting}: the directory {full} is open to other users (mode {Octal(mode)}); it holds the node's history, warnings and CA keys and must be its owner's alone: run `chmod 700 {full}`");
        }

        foreach (var entry in new DirectoryInfo(full).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            var wanted = entry is DirectoryInfo ? DirectoryMode : FileMode;
            if ((entry.UnixFileMode & GroupOrOther) != 0)
            {
                entry.UnixFileMode = entry.UnixFileMode & ~GroupOrOther & (wanted | UnixFileMode.UserExecute);
            }
        }
    }

    /// <summary>Creates an empty file 0600 if it does not exist (before SQLite opens it: its WAL and shared-memory files take the database file's mode).</summary>
    public static void CreateFile(string path)
    {
        if (File.Exists(path))
        {
            return;
        }

        var options = new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        try
        {
            using var _ = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Created meanwhile by another process: its mode is checked at the next start.
        }
    }

    /// <summary>Writes <paramref name="text"/> to a new 0600 file (a temporary, before it is renamed over the target).</summary>
    public static void WriteAllText(string path, string text)
    {
        var options = new FileStreamOptions { Mode = System.IO.FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, FileMode); // an existing file keeps its mode on open
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}

/// <summary>A data directory other local users can read: the node refuses to run on it.</summary>
public sealed class InsecureDirectoryException(string message) : Exception(message);
