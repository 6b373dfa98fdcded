using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// What one write operation sees inside the writer's transaction: the connection, cached prepared
/// commands, and a place to leave actions that must run only once the transaction has committed.
/// </summary>
internal sealed partial class WriteContext(SqliteConnection connection)
{
    [GeneratedRegex(@"\$\w+")]
    private static partial Regex ParameterName { get; }

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly List<Action> _afterCommit = [];

    public SqliteTransaction? Transaction { get; set; }

    /// <summary>A command for this SQL, prepared once and reused for every later operation.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            // One parameter per name, in the order the names first appear, for binding by position.
            foreach (var name in ParameterName.Matches(sql).Select(m => m.Value).Distinct(StringComparer.Ordinal))
                command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            _commands[sql] = command;
        }
        command.Transaction = Transaction;
        return command;
    }

    public void Execute(string sql)
    {
        var command = Command(sql);
        command.Parameters.Clear();
        command.ExecuteNonQuery();
    }

    public List<T> ReadAll<T>(SqliteCommand command, Func<SqliteDataReader, T> read)
    {
        command.Transaction = Transaction;
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
