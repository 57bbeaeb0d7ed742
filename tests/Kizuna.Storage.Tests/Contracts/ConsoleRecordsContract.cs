using Kizuna.Core.Identity;

namespace Kizuna.Storage.Tests.Contracts;

/// <summary>
/// What every store of console sign-in tokens and console sessions must do, written once: a
/// backend's test class derives from this and says how to open its stores. Each test has its own
/// empty storage; every store the factories return for that test is another handle on it (another
/// process's, or another instance's). Fixed times only.
/// </summary>
public abstract class ConsoleRecordsContract : IDisposable
{
    private static readonly DateTime T0 = new(2026, 12, 8, 0, 15, 0, DateTimeKind.Utc);

    /// <summary>A handle on this test's token storage.</summary>
    protected abstract IConsoleTokenStore CreateTokens();

    /// <summary>A handle on this test's session storage.</summary>
    protected abstract IConsoleSessionStore CreateSessions();

    public virtual void Dispose() => GC.SuppressFinalize(this);

    [Fact]
    public void A_token_is_used_once_and_a_second_use_finds_it_used()
    {
        var record = Token("a1", T0);
        CreateTokens().Add(record, T0);

        var first = CreateTokens().Use("a1", T0.AddMinutes(1));
        Assert.Equal(record, first);
        var second = CreateTokens().Use("a1", T0.AddMinutes(2));
        Assert.NotNull(second);
        Assert.Equal(T0.AddMinutes(1), second.UsedAt);
        Assert.Equal(("watch", "0A1B"), (second.Name, second.Serial));
    }

    [Fact]
    public void An_unknown_token_is_null_and_an_expired_one_is_found_but_never_used()
    {
        var tokens = CreateTokens();
        tokens.Add(Token("a1", T0), T0);
        Assert.Null(tokens.Use("b2", T0));

        var expired = tokens.Use("a1", T0 + ConsoleTokens.Lifetime);
        Assert.NotNull(expired);
        Assert.Null(expired.UsedAt);
        Assert.Null(CreateTokens().Use("a1", T0 + ConsoleTokens.Lifetime + TimeSpan.FromSeconds(1))!.UsedAt);
    }

    [Fact]
    public void A_token_expired_a_lifetime_ago_is_forgotten_when_another_is_added()
    {
        var tokens = CreateTokens();
        tokens.Add(Token("old", T0), T0);
        var later = T0 + ConsoleTokens.Lifetime * 2 + TimeSpan.FromSeconds(1);
        tokens.Add(Token("new", later), later);

        Assert.Null(tokens.Use("old", later));
        Assert.Null(tokens.Use("new", later)!.UsedAt);
    }

    [Fact]
    public async Task Many_users_of_one_token_at_once_sign_in_exactly_one()
    {
        CreateTokens().Add(Token("a1", T0), T0);

        var uses = await Task.WhenAll(Enumerable.Range(0, 8).Select(k => Task.Run(() => CreateTokens().Use("a1", T0.AddSeconds(k + 1)))));
        Assert.Single(uses, u => u is { UsedAt: null });
        Assert.All(uses, u => Assert.NotNull(u));
    }

    [Fact]
    public async Task A_session_is_found_by_every_handle_until_it_ends_or_expires()
    {
        var session = new ConsoleSessionRecord("s1", "0A1B", "watch", T0.AddHours(12));
        await CreateSessions().AddAsync(session, T0, Cancel());

        Assert.Equal(session, await CreateSessions().FindAsync("s1", T0.AddHours(1), Cancel()));
        Assert.Null(await CreateSessions().FindAsync("s2", T0.AddHours(1), Cancel()));
        Assert.Null(await CreateSessions().FindAsync("s1", T0.AddHours(12), Cancel()));

        await CreateSessions().AddAsync(new ConsoleSessionRecord("s3", "0A1B", "watch", T0.AddHours(12)), T0, Cancel());
        Assert.True(await CreateSessions().RemoveAsync("s3", Cancel()));
        Assert.False(await CreateSessions().RemoveAsync("s3", Cancel()));
        Assert.Null(await CreateSessions().FindAsync("s3", T0.AddHours(1), Cancel()));
    }

    [Fact]
    public async Task Ending_the_sessions_of_revoked_certificates_ends_those_only_and_once()
    {
        var sessions = CreateSessions();
        await sessions.AddAsync(new ConsoleSessionRecord("s1", "0A1B", "watch", T0.AddHours(12)), T0, Cancel());
        await sessions.AddAsync(new ConsoleSessionRecord("s2", "0A1B", "watch", T0.AddHours(12)), T0, Cancel());
        await sessions.AddAsync(new ConsoleSessionRecord("s3", "0C2D", "desk", T0.AddHours(12)), T0, Cancel());

        // Serials in any case: X509Certificate2 and the records may differ.
        var ended = await CreateSessions().RemoveSignedInAsAsync(["0a1b", "FFFF"], Cancel());
        Assert.Equal(["s1", "s2"], ended.Select(s => s.Hash).Order(StringComparer.Ordinal));
        Assert.All(ended, s => Assert.Equal("watch", s.Name));
        Assert.Empty(await CreateSessions().RemoveSignedInAsAsync(["0A1B"], Cancel()));
        Assert.Null(await sessions.FindAsync("s1", T0.AddHours(1), Cancel()));
        Assert.NotNull(await sessions.FindAsync("s3", T0.AddHours(1), Cancel()));
        Assert.Empty(await sessions.RemoveSignedInAsAsync([], Cancel()));
    }

    private static ConsoleTokenRecord Token(string hash, DateTime issuedAt) => new(hash, "watch", "0A1B", issuedAt, issuedAt + ConsoleTokens.Lifetime);

    private static CancellationToken Cancel() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;
}

/// <summary>The single node's console records: the data directory's token file, sessions in memory.</summary>
public sealed class FileConsoleRecordsContractTests : ConsoleRecordsContract
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "kizuna-console-contract", Guid.NewGuid().ToString("N"));
    private readonly MemoryConsoleSessionStore _sessions = new();

    // A new file store per call: only the file and its lock are shared, as between the CLI and the node.
    protected override IConsoleTokenStore CreateTokens() => new FileConsoleTokenStore(_dataDir);

    // Memory is one process's: every handle is the same store.
    protected override IConsoleSessionStore CreateSessions() => _sessions;

    public override void Dispose()
    {
        if (Directory.Exists(_dataDir))
            Directory.Delete(_dataDir, recursive: true);
        base.Dispose();
    }
}
