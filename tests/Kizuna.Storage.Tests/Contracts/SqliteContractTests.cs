using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kizuna.Storage.Tests.Contracts;

/// <summary>The event store contract against SQLite, with small uid index segments so queries cross the tail and the written index.</summary>
public sealed class SqliteEventStoreContractTests : EventStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kizuna-contract-events", Guid.NewGuid().ToString("N"));
    private readonly TestLogger<SqliteEventStore> _log = new();

    protected override IEventStore CreateStore(TimeProvider time)
        => new SqliteEventStore(new SqliteStoreOptions { DatabasePath = Path.Combine(_directory, "events.db"), IndexSegmentEvents = 8 }, _log, time);

    protected override Task DeleteStorageAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
        // A backend that logged an error the contract did not ask for fails the test.
        Assert.Empty(_log.AtLeast(LogLevel.Error));
        return Task.CompletedTask;
    }
}

/// <summary>The warning store contract against SQLite.</summary>
public sealed class SqliteWarningStoreContractTests : WarningStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kizuna-contract-warnings", Guid.NewGuid().ToString("N"));

    protected override IWarningStore CreateStore(LabelPolicy labels) => new SqliteWarningStore(Path.Combine(_directory, "warnings.db"), labels);

    protected override Task DeleteStorageAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
