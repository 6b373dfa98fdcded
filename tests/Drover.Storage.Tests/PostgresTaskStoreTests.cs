using Drover.Postgres;
using Drover.Tests.Shared;

namespace Drover.Storage.Tests;

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;

/// <summary>The whole contract against a real PostgreSQL server, a fresh database per test.</summary>
[Collection("postgres")]
public sealed class PostgresTaskStoreTests(PostgresServer postgres) : TaskDatabaseConformance
{
    private string _connectionString = "";

    public override async ValueTask InitializeAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync();
        await base.InitializeAsync();
    }

    protected override ITaskStore CreateStore() =>
        new PostgresTaskStore(new PostgresStoreOptions { ConnectionString = _connectionString }, Options, Signals, Time, Events);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await postgres.DropDatabaseAsync(_connectionString);
    }
}
