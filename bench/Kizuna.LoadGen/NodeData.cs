namespace Kizuna.LoadGen;

/// <summary>
/// The data directory of a node the load generator started, removed when the run ends: a
/// saturated run writes hundreds of megabytes of event history, and runs that left theirs in
/// the temp directory filled the disk. The logs beside it stay. Declare it before the node's
/// <see cref="ChildProcess"/> so that it is disposed after the node has stopped.
/// </summary>
internal sealed class NodeData(string directory, TextWriter console) : IDisposable
{
    public string Directory { get; } = directory;

    public void Dispose()
    {
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteLine($"could not remove the node's data directory {Directory}: {e.Message}");
        }
    }
}
