using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kizuna.Storage.Tests.Engines;

/// <summary>
/// A PostgreSQL server of the test run's own: a data directory under a temp directory, a free
/// port on the loopback, started from Debian's binaries and stopped (fast, then killed) when the
/// fixture is disposed or the test process exits. PostgreSQL refuses to run as root, so as root
/// its programs run as the <c>postgres</c> user (Debian's package creates it) through <c>runuser</c>.
/// Each test asks for a schema of its own (<see cref="NewSchemaAsync"/>): one server, no cross-talk.
/// </summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory;
    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private Process? _server;
    private int _schemas;

    private ThrowawayPostgres(string directory, string bin, bool asPostgresUser, int port)
    {
        _directory = directory;
        _bin = bin;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Connection string to the server's <c>postgres</c> database, as the superuser <c>kizuna</c> (trust on the loopback).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=kizuna;Database=postgres;Pooling=true;Timeout=15;Command Timeout=30";

    /// <summary>The directory of PostgreSQL's programs: KIZUNA_PG_BIN, else the newest under /usr/lib/postgresql.</summary>
    public static string? FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("KIZUNA_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
            return null;
        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL's programs were not found under /usr/lib/postgresql/*/bin (or KIZUNA_PG_BIN): ./test.sh installs Debian's postgresql package; run it, or `apt-get install postgresql`.");
        var asPostgresUser = Environment.UserName == "root" || geteuid() == 0;
        var directory = Path.Combine(Path.GetTempPath(), $"kizuna-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(directory);
        if (asPostgresUser)
            await RunAsync("chown", ["postgres:postgres", directory], asPostgresUser: false, TimeSpan.FromSeconds(10));
        var data = Path.Combine(directory, "data");
        var port = FreePort();
        var postgres = new ThrowawayPostgres(directory, bin, asPostgresUser, port);
        try
        {
            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "kizuna", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"], asPostgresUser, StartTimeout);
            postgres.Start(data);
            await postgres.WaitUntilAcceptingAsync();
            return postgres;
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new empty schema, and a connection string whose search path is it.</summary>
    public async Task<string> NewSchemaAsync()
    {
        var schema = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE SCHEMA {schema}";
        await command.ExecuteNonQueryAsync();
        return $"{ConnectionString};Search Path={schema}";
    }

    /// <summary>A new empty database (for a cluster test whose instances share it), and its connection string.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = $"d{Environment.ProcessId}_{Interlocked.Increment(ref _schemas)}_{Guid.NewGuid():N}"[..30];
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE {name}";
        await command.ExecuteNonQueryAsync();
        return ConnectionString.Replace("Database=postgres", $"Database={name}", StringComparison.Ordinal);
    }

    private void Start(string data)
    {
        // No fsync: a throwaway server; the loopback only; its socket in its own directory.
        string[] arguments = ["-D", data, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", _directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200", "-c", "shared_buffers=64MB"];
        _server = Process.Start(Command(Path.Combine(_bin, "postgres"), arguments, _asPostgresUser))
            ?? throw new InvalidOperationException("PostgreSQL did not start.");
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    private readonly StringBuilder _log = new();

    private async Task WaitUntilAcceptingAsync()
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < StartTimeout)
        {
            if (_server!.HasExited)
                throw new InvalidOperationException($"PostgreSQL exited at start (code {_server.ExitCode}): {Log()}");
            try
            {
                await using var connection = new Npgsql.NpgsqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync();
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or SocketException or TimeoutException)
            {
                last = ex;
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"PostgreSQL did not accept connections on port {Port} within {StartTimeout.TotalSeconds:0} s ({last?.Message}): {Log()}");
    }

    private string Log()
    {
        lock (_log)
            return _log.ToString();
    }

    private void Kill()
    {
        try
        {
            if (_server is { HasExited: false })
                _server.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Gone already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            // A fast shutdown (SIGINT to the postmaster, through runuser's parent when there is one).
            try
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["stop", "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "-t", "20"], _asPostgresUser, TimeSpan.FromSeconds(30));
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                // Killed below.
            }

            Kill();
            await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        _server?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held: the temp directory is cleaned by the system.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static ProcessStartInfo Command(string program, IEnumerable<string> arguments, bool asPostgresUser)
    {
        var start = new ProcessStartInfo(asPostgresUser ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgresUser)
        {
            foreach (var a in (string[])["-u", "postgres", "--", program])
                start.ArgumentList.Add(a);
        }

        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        return start;
    }

    private static async Task RunAsync(string program, IEnumerable<string> arguments, bool asPostgresUser, TimeSpan timeout)
    {
        using var process = Process.Start(Command(program, arguments, asPostgresUser))
            ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {timeout.TotalSeconds:0} s.");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed (exit {process.ExitCode}): {await output}{await error}");
    }
}

/// <summary>
/// A NATS server with JetStream of the test run's own (<c>nats-server -js -sd DIR -p PORT</c> on
/// the loopback), its store under a temp directory, killed when disposed or when the test process exits.
/// </summary>
public sealed class ThrowawayNats : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string _directory;
    private readonly Process _server;
    private readonly StringBuilder _log = new();

    private ThrowawayNats(string directory, Process server, int port)
    {
        _directory = directory;
        _server = server;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static string? FindServer()
    {
        var configured = Environment.GetEnvironmentVariable("KIZUNA_NATS_SERVER");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? configured : null;
        return new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists);
    }

    public static async Task<ThrowawayNats> StartAsync()
    {
        var program = FindServer() ?? throw new InvalidOperationException(
            "nats-server was not found (/usr/sbin/nats-server or KIZUNA_NATS_SERVER): ./test.sh installs Debian's nats-server package; run it, or `apt-get install nats-server`.");
        var directory = Path.Combine(Path.GetTempPath(), $"kizuna-nats-{Environment.ProcessId}-{Guid.NewGuid():N}"[..42]);
        Directory.CreateDirectory(directory);
        var port = ThrowawayPostgres.FreePort();
        var start = ThrowawayPostgres.Command(program, ["-js", "-sd", directory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], asPostgresUser: false);
        var process = Process.Start(start) ?? throw new InvalidOperationException("nats-server did not start.");
        var nats = new ThrowawayNats(directory, process, port);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null)
                return;
            lock (nats._log)
                nats._log.AppendLine(line);
            if (line.Contains("Server is ready", StringComparison.Ordinal))
                ready.TrySetResult();
        }

        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => nats.Kill();
        try
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(ready.Task, exited).WaitAsync(StartTimeout) == exited)
                throw new InvalidOperationException($"nats-server exited at start (code {process.ExitCode}): {nats.Log()}");
            return nats;
        }
        catch (TimeoutException)
        {
            await nats.DisposeAsync();
            throw new TimeoutException($"nats-server was not ready on port {port} within {StartTimeout.TotalSeconds:0} s: {nats.Log()}");
        }
        catch
        {
            await nats.DisposeAsync();
            throw;
        }
    }

    private string Log()
    {
        lock (_log)
            return _log.ToString();
    }

    private void Kill()
    {
        try
        {
            if (!_server.HasExited)
                _server.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        _server.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The throwaway PostgreSQL and NATS of one test collection: started once, before its first test; stopped after its last.</summary>
public sealed class EnginesFixture : IAsyncLifetime
{
    private ThrowawayPostgres? _postgres;
    private ThrowawayNats? _nats;

    public ThrowawayPostgres Postgres => _postgres ?? throw new InvalidOperationException("The engines are not started.");

    public ThrowawayNats Nats => _nats ?? throw new InvalidOperationException("The engines are not started.");

    public async Task InitializeAsync()
    {
        var postgres = ThrowawayPostgres.StartAsync();
        var nats = ThrowawayNats.StartAsync();
        try
        {
            _postgres = await postgres;
        }
        finally
        {
            try
            {
                _nats = await nats;
            }
            catch when (_postgres is not null)
            {
                await _postgres.DisposeAsync();
                _postgres = null;
                throw;
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_nats is not null)
            await _nats.DisposeAsync();
        if (_postgres is not null)
            await _postgres.DisposeAsync();
    }
}
