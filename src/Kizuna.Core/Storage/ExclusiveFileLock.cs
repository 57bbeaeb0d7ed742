namespace Kizuna.Core.Storage;

/// <summary>
/// An exclusive lock between the processes sharing a data directory (the node, and the commands
/// that change its files while it runs): a lock file opened with <see cref="FileShare.None"/>,
/// which is flock on Unix, held until the stream is disposed. One loop for every file that needs
/// it (the audit trail, the token files).
/// </summary>
public static class ExclusiveFileLock
{
    /// <summary>Opens <paramref name="path"/> (created 0600 if missing) exclusively, trying again while another process holds it, up to <paramref name="timeout"/>.</summary>
    public static FileStream Acquire(string path, TimeSpan timeout)
    {
        var started = Environment.TickCount64;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = PrivateDirectory.FileMode;
                }

                return new FileStream(path, options);
            }
            catch (IOException) when (Environment.TickCount64 - started < timeout.TotalMilliseconds)
            {
                // Another process holds it for a few milliseconds; try again shortly.
                Thread.Sleep(2);
            }
        }
    }
}
