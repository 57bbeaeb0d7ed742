using Kizuna.Core.Identity;
using Kizuna.Core.Labels;
using Kizuna.Core.Storage;
using Kizuna.Storage.Postgres;
using Kizuna.Storage.Tests.Engines;
using Microsoft.Extensions.Logging;

namespace Kizuna.Storage.Tests.Contracts;

/// <summary>The throwaway PostgreSQL (and NATS) every PostgreSQL test of this assembly shares; each test gets a schema of its own.</summary>
[CollectionDefinition(Name)]
public sealed class EnginesCollection : ICollectionFixture<EnginesFixture>
{
    public const string Name = "engines";
}

/// <summary>The event store contract against PostgreSQL, small batches so a test's events span several.</summary>
[Collection(EnginesCollection.Name)]
public sealed class PostgresEventStoreContractTests(EnginesFixture engines) : EventStoreContract
{
    private readonly Task<string> _schema = engines.Postgres.NewSchemaAsync();
    private readonly TestLogger<PostgresEventStore> _log = new();

    protected override IEventStore CreateStore(TimeProvider time)
        => new PostgresEventStore(new PostgresStoreOptions { ConnectionString = _schema.GetAwaiter().GetResult(), BatchSize = 16 }, _log, time);

    protected override Task DeleteStorageAsync()
    {
        // A backend that logged an error the contract did not ask for fails the test.
        Assert.Empty(_log.AtLeast(LogLevel.Error));
        return Task.CompletedTask;
    }
}

/// <summary>The warning store contract against PostgreSQL.</summary>
[Collection(EnginesCollection.Name)]
public sealed class PostgresWarningStoreContractTests(EnginesFixture engines) : WarningStoreContract
{
    private readonly Task<string> _schema = engines.Postgres.NewSchemaAsync();

    protected override IWarningStore CreateStore(LabelPolicy labels) => new PostgresWarningStore(_schema.GetAwaiter().GetResult(), labels);

    protected override Task DeleteStorageAsync() => Task.CompletedTask;
}

/// <summary>The console records contract against PostgreSQL: every handle is another opening of the same schema, as another instance's.</summary>
[Collection(EnginesCollection.Name)]
public sealed class PostgresConsoleRecordsContractTests(EnginesFixture engines) : ConsoleRecordsContract
{
    private readonly Task<string> _schema = engines.Postgres.NewSchemaAsync();
    private readonly List<PostgresConsoleRecords> _open = [];

    protected override IConsoleTokenStore CreateTokens() => Open();

    protected override IConsoleSessionStore CreateSessions() => Open();

    private PostgresConsoleRecords Open()
    {
        var records = PostgresConsoleRecords.OpenAsync(_schema.GetAwaiter().GetResult(), null, CancellationToken.None).GetAwaiter().GetResult();
        lock (_open)
            _open.Add(records);
        return records;
    }

    public override void Dispose()
    {
        foreach (var records in _open)
            records.Dispose();
        base.Dispose();
    }
}
