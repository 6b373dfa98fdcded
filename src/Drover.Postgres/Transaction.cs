using Npgsql;

namespace Drover.Postgres;

/// <summary>One write's connection and transaction, with the few ways the store talks through it.</summary>
internal sealed class Transaction(NpgsqlConnection connection, NpgsqlTransaction transaction)
{
    /// <summary>Positional parameters ($1, $2, …) from <paramref name="values"/>.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values) command.Parameters.Add(PgRows.Parameter(value));
        return await ReadAllAsync(command, read, cancellationToken);
    }

    /// <summary>Named parameters, as a <see cref="PostgresDialect"/> makes them.</summary>
    public async Task<List<T>> QueryNamedAsync<T>(string sql, Func<NpgsqlDataReader, T> read, IEnumerable<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters) command.Parameters.Add(parameter);
        return await ReadAllAsync(command, read, cancellationToken);
    }

    /// <summary>One statement's rows.</summary>
    public async Task<List<T>> QueryAsync<T>(NpgsqlBatchCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { command } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadAllAsync(reader, read, cancellationToken);
    }

    /// <summary>
    /// A write that may be lost with the machine (<see cref="Drover.Storage.Durability"/>): its commit need
    /// not wait for the WAL's flush (the next durable commit flushes it, and this one with it). The next
    /// batch of statements sent carries <c>SET LOCAL synchronous_commit TO OFF</c>, read at the commit: no
    /// round trip of its own, and none at all for a transaction that writes nothing (whose commit
    /// flushes nothing anyway).
    /// </summary>
    public bool SkipFlushAtCommit { get; set; }

    /// <summary>Many statements in one round trip.</summary>
    public async Task ExecuteAsync(IEnumerable<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var command in commands) batch.BatchCommands.Add(command);
        if (batch.BatchCommands.Count == 0) return;
        if (SkipFlushAtCommit)
        {
            batch.BatchCommands.Add(PgRows.Command("SET LOCAL synchronous_commit TO OFF"));
            SkipFlushAtCommit = false;
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadAllAsync(reader, read, cancellationToken);
    }

    private static async Task<List<T>> ReadAllAsync<T>(NpgsqlDataReader reader, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken)) rows.Add(read(reader));
        return rows;
    }
}
