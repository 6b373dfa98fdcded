using System.Text;
using Drover.Model;
using Drover.Storage;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// What one write operation sees inside the writer's transaction: the connection, cached prepared
/// commands, and a place to leave what must happen only once the transaction has committed: actions
/// (signals), and changes for followers, published together once per commit.
/// </summary>
internal sealed class WriteContext(SqliteConnection connection, TaskEvents? events = null)
{

    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    // An Action, a (TaskRecord, created) for followers, or a TaskOutputChunk: one list, so that a
    // failed operation's share is discarded the same way whatever it left.
    private readonly List<object> _afterCommit = [];
    private readonly Dictionary<string, RawStatement> _raw = new(StringComparer.Ordinal);
    private readonly Dictionary<int, RawStatement> _rawByKey = [];

    public SqliteTransaction? Transaction { get; set; }

    /// <summary>The number of the commit this transaction will be, increasing (<see cref="SqliteWriter.SyncAsync"/>; one rolled back and run again takes the next).</summary>
    public long Commit { get; set; }

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

    /// <summary>A hot statement whose SQL is built from a small number (a set of columns): found by the number, not by hashing its text.</summary>
    public RawStatement Raw(int key, Func<int, string> sql)
    {
        if (!_rawByKey.TryGetValue(key, out var statement)) _rawByKey[key] = statement = Raw(sql(key));
        return statement;
    }

    private SqliteCommand Prepare(string sql, (string Name, object Value)[] parameters)
    {
        var command = Command(sql);
        command.Parameters.Clear();
        // Microsoft.Data.Sqlite binds strings, not UTF-8 bytes (which it would bind as a BLOB).
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value is Utf8Text text ? Encoding.UTF8.GetString(text.Bytes) : value);
        return command;
    }

    /// <summary>Finalizes the prepared statements, before the connection closes.</summary>
    public void DisposeStatements()
    {
        foreach (var statement in _raw.Values) statement.Dispose();
        foreach (var command in _commands.Values) command.Dispose();
        _raw.Clear();
        _rawByKey.Clear();
        _commands.Clear();
    }

    public void Execute(string sql, params (string Name, object Value)[] parameters) =>
        Prepare(sql, parameters).ExecuteNonQuery();

    /// <summary>Rows of a query (or of a statement's RETURNING), the statement prepared once and reused.</summary>
    public List<T> Query<T>(string sql, Func<RawStatement, T> read, params (string Name, object Value)[] parameters) =>
        Bound(Raw(sql), parameters).Rows(read);

    /// <summary>For SQL built per request (a purge's filter): run once and not cached, so the cache stays small.</summary>
    public List<T> QueryOnce<T>(string sql, Func<RawStatement, T> read, IEnumerable<(string Name, object Value)> parameters)
    {
        using var statement = new RawStatement(connection, sql);
        return Bound(statement, parameters).Rows(read);
    }

    private static RawStatement Bound(RawStatement statement, IEnumerable<(string Name, object Value)> parameters)
    {
        foreach (var (name, value) in parameters) statement.Bind(name, value);
        return statement;
    }

    public void AfterCommit(Action action) => _afterCommit.Add(action);

    /// <summary>Followers hear of this task's new state once the transaction has committed (only if there are any).</summary>
    public void Announce(TaskRecord task, bool created)
    {
        if (events?.HasSubscribers == true) _afterCommit.Add(new Announcement(task, created));
    }

    public void Announce(TaskOutputChunk output)
    {
        if (events?.HasSubscribers == true) _afterCommit.Add(output);
    }

    public void RunAfterCommit()
    {
        List<TaskRecord>? created = null, changed = null;
        List<TaskOutputChunk>? output = null;
        foreach (var item in _afterCommit)
        {
            switch (item)
            {
                case Action action:
                    action();
                    break;
                case Announcement announcement:
                    (announcement.Created ? created ??= [] : changed ??= []).Add(announcement.Task);
                    break;
                case TaskOutputChunk chunk:
                    (output ??= []).Add(chunk);
                    break;
            }
        }
        _afterCommit.Clear();
        // One publish per commit, however many tasks it changed.
        if (created is not null) events!.Publish(created, created: true);
        if (output is not null) events!.PublishOutput(output);
        if (changed is not null) events!.Publish(changed);
    }

    private sealed record Announcement(TaskRecord Task, bool Created);

    public void DiscardAfterCommit(int keep) => _afterCommit.RemoveRange(keep, _afterCommit.Count - keep);

    public int AfterCommitCount => _afterCommit.Count;
}
