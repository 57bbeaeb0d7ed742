using Kizuna.Server.Tests.Infrastructure;

namespace Kizuna.Browser.Tests.Infrastructure;

/// <summary>
/// One in-process node for a test class: starting a node costs more than the tests that use it,
/// and the tests of a class keep apart by unique identities and uids.
/// </summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await TestNode.StartAsync().ConfigureAwait(false);

    public async Task DisposeAsync() => await Node.DisposeAsync().ConfigureAwait(false);
}
