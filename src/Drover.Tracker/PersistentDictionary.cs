using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Drover.Tracker;

public static class PersistentDictionary
{
    /// <summary>Opens (or makes) the dictionary in the file at <paramref name="path"/>.</summary>
    public static PersistentDictionary<TValue> Open<TValue>(string path, TrackerOptions? options = null) => new(path, options ?? new());
}

/// <summary>
/// A dictionary of string keys to JSON values kept in a file: a write returns once it would survive
/// a kill -9 of the process; entries enumerate in insertion order (an update keeps the entry's place);
/// several processes and threads may open the same file and see each other's writes. Values are
/// JSON text in the file's <c>entries</c> table, readable with any SQLite tool.
/// </summary>
public sealed class PersistentDictionary<TValue> : IEnumerable<KeyValuePair<string, TValue>>, IDisposable
{
    private readonly TrackerConnections _file;

    internal PersistentDictionary(string path, TrackerOptions options)
    {
        _file = new TrackerConnections(path, options);
    }

    public string Path => _file.Path;

    public TValue this[string key]
    {
        get => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no entry '{key}' in {Path}");
        set
        {
            // Serialized here, by the caller's thread: the commit leader only writes.
            var json = JsonSerializer.Serialize(value, _file.Json);
            _file.Write((c, t) => Put(c, t, key, json));
        }
    }

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var text = _file.Read(c => Sql.Scalar(c, null, "SELECT value FROM entries WHERE key = $key", ("$key", key)));
        if (text is null)
        {
            value = default;
            return false;
        }
        value = JsonSerializer.Deserialize<TValue>(text, _file.Json)!;
        return true;
    }

    public bool ContainsKey(string key) => _file.Read(c => Sql.Scalar(c, null, "SELECT 1 FROM entries WHERE key = $key", ("$key", key))) is not null;

    public int Count => int.Parse(_file.Read(c => Sql.Scalar(c, null, "SELECT count(*) FROM entries"))!, System.Globalization.CultureInfo.InvariantCulture);

    /// <returns>False when there was no such entry.</returns>
    public bool Remove(string key) => _file.Write((c, t) => Sql.Execute(c, t, "DELETE FROM entries WHERE key = $key", ("$key", key)) > 0);

    /// <summary>
    /// Reads, changes and writes an entry in one step, atomic across threads and processes: the
    /// function gets the current value (default when there is none) and returns the new one.
    /// </summary>
    public TValue Update(string key, Func<TValue?, TValue> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _file.Write((c, t) =>
        {
            var text = Sql.Scalar(c, t, "SELECT value FROM entries WHERE key = $key", ("$key", key));
            var updated = change(text is null ? default : JsonSerializer.Deserialize<TValue>(text, _file.Json));
            Put(c, t, key, JsonSerializer.Serialize(updated, _file.Json));
            return updated;
        });
    }

    /// <summary>Entries in insertion order, read in pages (a snapshot per page, not of the whole).</summary>
    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator()
    {
        long after = 0;
        while (true)
        {
            var page = _file.Read(c => Page(c, after));
            foreach (var (seq, key, text) in page)
            {
                after = seq;
                yield return new(key, JsonSerializer.Deserialize<TValue>(text, _file.Json)!);
            }
            if (page.Count < PageSize) yield break;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public IEnumerable<string> Keys => this.Select(e => e.Key);

    private const int PageSize = 1000;

    private static List<(long Seq, string Key, string Value)> Page(SqliteConnection connection, long after)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, key, value FROM entries WHERE seq > $after ORDER BY seq LIMIT $limit";
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", PageSize);
        using var reader = command.ExecuteReader();
        var page = new List<(long, string, string)>();
        while (reader.Read()) page.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        return page;
    }

    private static bool Put(SqliteConnection connection, SqliteTransaction transaction, string key, string json)
    {
        ArgumentNullException.ThrowIfNull(key);
        Sql.Execute(connection, transaction,
            "INSERT INTO entries (key, value) VALUES ($key, $value) " +
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$key", key), ("$value", json));
        return true;
    }


    public void Dispose() => _file.Dispose();
}
