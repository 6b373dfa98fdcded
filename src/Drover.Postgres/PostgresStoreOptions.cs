namespace Drover.Postgres;

public sealed class PostgresStoreOptions
{
    /// <summary>An Npgsql connection string: "Host=...;Username=...;Database=...".</summary>
    public required string ConnectionString { get; init; }
}
