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

    // LISTEN/NOTIFY tells this server of its own commits' ends too, and may come first.
    protected override bool EndsMayComeWithoutRecords => true;

    public override async ValueTask InitializeAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync();
        await base.InitializeAsync();
    }

    protected override ITaskStore CreateStore() =>
        new PostgresTaskStore(new PostgresStoreOptions { ConnectionString = _connectionString }, Options, Signals, Time, Events);

    [Fact]
    public async System.Threading.Tasks.Task Disposing_a_store_ends_its_listening_connection()
    {
        var store = CreateStore();
        for (var i = 0; i < 300 && await ListenersAsync() < 2; i++) await System.Threading.Tasks.Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(2, await ListenersAsync());
        await ((IAsyncDisposable)store).DisposeAsync();
        // Its backend was ended (it goes a moment after it was told to), not left waiting; the test's own store still listens.
        for (var i = 0; i < 100 && await ListenersAsync() > 1; i++) await System.Threading.Tasks.Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal(1, await ListenersAsync());
    }

    /// <summary>Backends of this test's database whose last statement was the notifications' LISTEN.</summary>
    private async System.Threading.Tasks.Task<long> ListenersAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(_connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var count = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'", connection);
        return (long)(await count.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await postgres.DropDatabaseAsync(_connectionString);
    }
}
