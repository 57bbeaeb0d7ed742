using Kizuna.Core.Identity;

namespace Kizuna.Storage.Tests.Identity;

/// <summary>
/// One-time console sign-in tokens in the data directory: the CLI issues and a running node
/// consumes, from different processes, so changes must never be lost to a concurrent writer.
/// </summary>
public sealed class ConsoleTokensTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "kizuna-token-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [Fact]
    public async Task Tokens_issued_by_many_writers_at_once_are_all_kept_and_each_works_once()
    {
        using (var authority = NodeCertificateAuthority.LoadOrCreate(_dataDir))
        {
            authority.IssueClient("watch", Path.Combine(_dataDir, "clients", "watch"));
        }

        // Separate instances share nothing in memory: only the file lock keeps them apart, as between processes.
        var issued = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var writer = new ConsoleTokens(_dataDir);
            return Enumerable.Range(0, 10).Select(_ => writer.Issue("watch")).ToList();
        })));
        var tokens = issued.SelectMany(t => t).ToList();
        Assert.Equal(80, tokens.Distinct(StringComparer.Ordinal).Count());

        var consumed = await Task.WhenAll(tokens.Select(token => Task.Run(() => new ConsoleTokens(_dataDir).TryConsume(token, out _, out _))));
        Assert.All(consumed, Assert.True);
        Assert.All(tokens, token => Assert.False(new ConsoleTokens(_dataDir).TryConsume(token, out _, out var reason) || reason is null));
    }

    [Fact]
    public void A_token_names_the_newest_usable_certificate_of_the_name()
    {
        string newest;
        using (var authority = NodeCertificateAuthority.LoadOrCreate(_dataDir))
        {
            var old = authority.IssueClient("watch", Path.Combine(_dataDir, "clients", "old"));
            newest = authority.IssueClient("watch", Path.Combine(_dataDir, "clients", "new")).Serial;
            authority.Registry.Revoke([new RevokedCertificate(newest, "watch", DateTime.UtcNow, "lost")]);
            newest = old.Serial;
        }

        var tokens = new ConsoleTokens(_dataDir);
        Assert.True(tokens.TryConsume(tokens.Issue("watch"), out var record, out _));
        Assert.Equal(newest, record.Serial);
        Assert.Equal("watch", record.Name);
    }
}
