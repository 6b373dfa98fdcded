using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Drover.Tracker;

/// <summary>
/// Parameterised statements on a tracker file's connections, each prepared once per connection and
/// reused (a connection is used by one thread at a time: the commit leader, or a reader under its lock).
/// </summary>
internal static class Sql
{
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Prepared = new();

    public static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters) =>
        Command(connection, transaction, sql, parameters).ExecuteNonQuery();

    public static string? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters) =>
        Command(connection, transaction, sql, parameters).ExecuteScalar() is { } value and not DBNull
            ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object Value)[] parameters)
    {
        var commands = Prepared.GetOrCreateValue(connection);
        if (!commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            commands[sql] = command;
        }
        command.Transaction = transaction;
        command.Parameters.Clear();
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }
}
