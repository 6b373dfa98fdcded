using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// What one write operation sees inside the writer's transaction: the connection, cached prepared
/// commands, and a place to leave actions that must run only once the transaction has committed.
/// </summary>
internal sealed class WriteContext(SqliteConnection connection)
{

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly List<Action> _afterCommit = [];
    private readonly Dictionary<string, RawStatement> _raw = new(StringComparer.Ordinal);

    public SqliteTransaction? Transaction { get; set; }

    /// <summary>A command for this SQL, prepared once and reused for every later operation.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = Transaction;
        return command;
    }

    /// <summary>A hot statement, prepared once on the writer's connection (see <see cref="RawStatement"/>).</summary>
    public RawStatement Raw(string sql)
    {
        if (!_raw.TryGetValue(sql, out var statement)) _raw[sql] = statement = new RawStatement(connection, sql);
        return statement;
    }

    private SqliteCommand Prepare(string sql, (string Name, object Value)[] parameters)
    {
        var command = Command(sql);
        command.Parameters.Clear();
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }

    /// <summary>Finalizes the prepared statements, before the connection closes.</summary>
    public void DisposeStatements()
    {
        foreach (var statement in _raw.Values) statement.Dispose();
        foreach (var command in _commands.Values) command.Dispose();
        _raw.Clear();
        _commands.Clear();
    }

    public void Execute(string sql, params (string Name, object Value)[] parameters) =>
        Prepare(sql, parameters).ExecuteNonQuery();

    public List<T> Query<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        using var reader = Prepare(sql, parameters).ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>For SQL built per request (a purge's filter): run once and not cached, so the cache stays small.</summary>
    public List<T> QueryOnce<T>(string sql, Func<SqliteDataReader, T> read, IEnumerable<(string Name, object Value)> parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = Transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    public void AfterCommit(Action action) => _afterCommit.Add(action);

    public void RunAfterCommit()
    {
        foreach (var action in _afterCommit) action();
        _afterCommit.Clear();
    }

    public void DiscardAfterCommit(int keep) => _afterCommit.RemoveRange(keep, _afterCommit.Count - keep);

    public int AfterCommitCount => _afterCommit.Count;
}
