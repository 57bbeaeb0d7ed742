using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Server.Hosting;
using Kizuna.Server.Tests.Infrastructure;
using Kizuna.Storage.Tests.Engines;
using Npgsql;

namespace Kizuna.Server.Tests;

/// <summary>
/// Two instances of one node as real processes on the throwaway PostgreSQL and NATS: one is killed
/// with SIGKILL in the middle of a burst of position reports; its clients reconnect to the other
/// (as through the load balancer) and go on. Whatever the killed instance had committed to the
/// shared history is still there and in the survivor's picture; what the clients sent after
/// moving is stored once.
/// </summary>
[Collection(EnginesCollection.Name)]
public sealed class ClusterPictureFailoverProcessTests(EnginesFixture engines)
{
    private const int Senders = 4;
    // Each sender moves a unit of its own among a few uids, as a client updates its tracks: the
    // picture stays small (a late joiner's replay fits its queue) while the history grows.
    private const int UidsPerSender = 50;
    private const int PerPhase = UidsPerSender;
    // A bound, not a target: each sender goes on until A is killed. On a loaded machine A's first
    // commit was heard only after four senders had each written 20,000 (the kernel and A's queues
    // take an unpaced stream quickly). Times stay in the past below 120,000 (T0 is two minutes back).
    private const int MaxFirstPhase = 100_000;

    [Fact]
    public async Task Killing_an_instance_under_picture_load_moves_its_clients_to_the_other_and_loses_nothing_it_had_stored()
    {
        var database = await engines.Postgres.NewDatabaseAsync();
        var dataA = ClusterProcesses.PrivateDirectory();
        var dataB = ClusterProcesses.PrivateDirectory();
        var labels = KizunaNode.LoadLabelPolicy(null, "JJOC");
        ClientCertificateFiles[] senderFiles;
        ClientCertificateFiles lateFiles;
        using (var authority = NodeCertificateAuthority.LoadOrCreate(dataA))
        {
            senderFiles = [.. Enumerable.Range(0, Senders).Select(k => ClusterProcesses.Issue(authority, labels, new IdentityClaims($"jjoc-unit-{k}", "JPN", "JJOC", "operator", "SECRET", [])))];
            lateFiles = ClusterProcesses.Issue(authority, labels, new IdentityClaims("jjoc-late-watch", "JPN", "JJOC", "operator", "SECRET", []));
        }

        foreach (var file in Directory.GetFiles(Path.Combine(dataA, "certs")))
            File.Copy(file, Path.Combine(dataB, "certs", Path.GetFileName(file)));
        string[] cluster = ["--postgres", database, "--nats", engines.Nats.Url];
        await using var a = await NodeProcess.StartAsync(dataA, "JJOC", "--cot-tls", cluster);
        await using var b = await NodeProcess.StartAsync(dataB, "JJOC", "--cot-tls", cluster);

        // The test hears of every commit to the history: a trigger on the events table (fired by COPY too).
        await using var listener = await ListenForCommitsAsync(database);

        // Every sender on A sends unpaced until its connection breaks; A is killed at its first commit, in the middle of the stream.
        var senders = new CotTestClient[Senders];
        for (var k = 0; k < Senders; k++)
            senders[k] = await ClusterProcesses.Connect(a, senderFiles[k]);
        var next = new int[Senders];
        try
        {
            var streams = Task.WhenAll(Enumerable.Range(0, Senders).Select(k => Task.Run(async () =>
            {
                for (; next[k] < MaxFirstPhase && !senders[k].Closed.IsCompleted; next[k]++)
                {
                    try
                    {
                        await senders[k].SendAsync(Position(k, next[k]));
                    }
                    catch (Exception ex) when (ex is IOException or ObjectDisposedException)
                    {
                        return;
                    }
                }
            })));

            using (var heard = new CancellationTokenSource(TestNode.Timeout))
                await listener.WaitAsync(heard.Token);

            // What A had committed when it died is what it acknowledged as stored: read it at the last moment.
            var committed = await StoredAsync(database);
            a.Kill();
            await streams.WaitAsync(TestNode.Timeout);
            Assert.True(next.Any(n => n < MaxFirstPhase), "the senders ran out before A's first commit: the kill came after the load");

            // Its clients see the connection end and reconnect to the other instance, and go on.
            for (var k = 0; k < Senders; k++)
            {
                await senders[k].Closed.WaitAsync(TestNode.Timeout);
                await senders[k].DisposeAsync();
                senders[k] = await ClusterProcesses.Connect(b, senderFiles[k]);
            }

            await Task.WhenAll(Enumerable.Range(0, Senders).Select(async k =>
            {
                for (var n = next[k]; n < next[k] + PerPhase; n++)
                    await senders[k].SendAsync(Position(k, n));
            }));

            // A late joiner on the survivor gets the picture as it was after the move: every unit's newest position.
            var moved = Enumerable.Range(0, Senders).SelectMany(k => Enumerable.Range(next[k], PerPhase).Select(n => Row(k, n))).ToList();
            await using (var late = await ClusterProcesses.Connect(b, lateFiles))
            {
                // Older versions may come first (the replay can pass the last moves still on their way); the newest must come.
                var newest = moved.GroupBy(r => r.Uid).Select(g => (Uid: g.Key, Time: g.Max(r => r.Time))).ToHashSet();
                while (newest.Count > 0)
                    await late.ExpectAsync(e => newest.Remove((e.Uid, e.Time)), $"the newest positions of {newest.Count} units");
            }

            // An orderly stop flushes the survivor's writer; then the history has every event A had stored and every one sent after the move, each once.
            await b.StopAsync();
            var stored = await StoredAsync(database);
            Assert.True(committed.Count > 0, "the killed instance had stored nothing: the kill came too early to test anything");
            Assert.All(committed.Keys, row => Assert.True(stored.ContainsKey(row), $"{row} was stored before the kill and is missing after it"));
            Assert.All(moved, row => Assert.True(stored.ContainsKey(row), $"{row} was sent to the survivor and is not in its history"));
            Assert.All(stored, row => Assert.True(row.Value == 1, $"{row.Key} is in the history {row.Value} times"));
        }
        finally
        {
            foreach (var sender in senders)
                await sender.DisposeAsync();
        }
    }

    // Whole seconds (CoT times are to the millisecond), and in the past: no event of the burst is from the future.
    private static readonly DateTime T0 = new(DateTime.UtcNow.AddMinutes(-2).Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    /// <summary>The <paramref name="n"/>th position of a sender: one of its uids, at a time of its own (so every row is told apart).</summary>
    private static (string Uid, DateTime Time) Row(int sender, int n) => ($"pic-{sender}-{n % UidsPerSender}", T0.AddMilliseconds(n));

    private static string Position(int sender, int n)
    {
        var (uid, time) = Row(sender, n);
        return CotText.Position(uid, $"UNIT-{sender}", staleIn: TimeSpan.FromHours(1), time: time);
    }

    /// <summary>A connection that is notified of every statement that adds events to the history.</summary>
    private static async Task<NpgsqlConnection> ListenForCommitsAsync(string database)
    {
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand(
            """
            CREATE FUNCTION test_events_committed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('test_events_committed', ''); RETURN NULL; END $$;
            CREATE TRIGGER test_events_committed AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION test_events_committed();
            LISTEN test_events_committed;
            """, connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        return connection;
    }

    /// <summary>The burst's rows in the shared history (uid and time), with how many times each is there.</summary>
    private static async Task<Dictionary<(string Uid, DateTime Time), long>> StoredAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT uid, time, count(*) FROM events WHERE uid LIKE 'pic-%' GROUP BY uid, time", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var stored = new Dictionary<(string, DateTime), long>();
        while (await reader.ReadAsync())
            stored[(reader.GetString(0), reader.GetFieldValue<DateTime>(1))] = reader.GetInt64(2);
        return stored;
    }
}
