using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Drover.Tracker;

/// <summary>One key of a progress tracker.</summary>
public sealed record ProgressEntry(string Key, bool Done, int Tries, bool Aborted, JsonElement? Data);

/// <summary>How far a tracker is.</summary>
public sealed record ProgressCounts(int Total, int Done, int Tried, int Aborted, int Remaining)
{
    public double FractionDone => Total == 0 ? 0 : (double)Done / Total;
}

/// <summary>
/// Which pieces of a long job are done, in a file that survives a crash or kill -9 and that several
/// processes share: keys with <c>done</c>, <c>tries</c>, <c>aborted</c> and user data.
/// <see cref="TryKeys"/> hands out keys not done, not aborted and under <see cref="MaxTries"/>,
/// counting a try and claiming each for the caller, so that processes iterating at once never get
/// the same key at the same time; a claim expires when its process dies.
/// </summary>
public sealed class ProgressTracker : IDisposable
{
    private readonly TrackerConnections _file;

    private ProgressTracker(string path, int maxTries, TrackerOptions options)
    {
        if (maxTries < 1) throw new ArgumentOutOfRangeException(nameof(maxTries), "must be at least 1");
        MaxTries = maxTries;
        _file = new TrackerConnections(path, options);
    }

    /// <summary>Opens (or makes) the tracker in the file at <paramref name="path"/>.</summary>
    public static ProgressTracker Open(string path, int maxTries = 3, TrackerOptions? options = null) => new(path, maxTries, options ?? new());

    public string Path => _file.Path;

    /// <summary>How many tries a key gets from <see cref="TryKeys"/>.</summary>
    public int MaxTries { get; set; }

    /// <summary>When a claim held by a process on another host counts as abandoned.</summary>
    public TimeSpan ClaimTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <returns>True when the key was added; false when it was there (left as it is).</returns>
    public bool AddIfAbsent(string key, object? data = null) => AddManyIfAbsent([key], data) == 1;

    /// <returns>How many of the keys were added (one commit for all).</returns>
    public int AddManyIfAbsent(IEnumerable<string> keys, object? data = null)
    {
        var list = keys.ToList();
        var json = data is null ? null : JsonSerializer.Serialize(data, _file.Json);
        return _file.Write((c, t) =>
        {
            var seq = long.Parse(Sql.Scalar(c, t, "SELECT coalesce(max(seq), 0) FROM progress")!, CultureInfo.InvariantCulture);
            var added = 0;
            using var insert = c.CreateCommand();
            insert.Transaction = t;
            insert.CommandText = "INSERT INTO progress (key, seq, data) VALUES ($key, $seq, $data) ON CONFLICT (key) DO NOTHING";
            var key = insert.Parameters.Add("$key", SqliteType.Text);
            var order = insert.Parameters.Add("$seq", SqliteType.Integer);
            insert.Parameters.AddWithValue("$data", (object?)json ?? DBNull.Value);
            foreach (var k in list)
            {
                ArgumentNullException.ThrowIfNull(k);
                key.Value = k;
                order.Value = seq + 1;
                if (insert.ExecuteNonQuery() == 1)
                {
                    seq++;
                    added++;
                }
            }
            return added;
        });
    }

    public void MarkDone(string key) => Set(key, "done = 1, claimed_by = NULL");
    public void MarkNotDone(string key) => Set(key, "done = 0");
    public void Abort(string key) => Set(key, "aborted = 1, claimed_by = NULL");
    public void Unabort(string key) => Set(key, "aborted = 0");
    public void IncrementTries(string key) => Set(key, "tries = tries + 1");
    public void ResetTries(string key) => Set(key, "tries = 0");
    public void SetData(string key, object? data) => Set(key, "data = $data", ("$data", data is null ? DBNull.Value : JsonSerializer.Serialize(data, _file.Json)));

    /// <returns>False when there was no such key.</returns>
    public bool Remove(string key) => _file.Write((c, t) => Sql.Execute(c, t, "DELETE FROM progress WHERE key = $key", ("$key", key)) > 0);

    public ProgressEntry this[string key] => TryGet(key, out var entry) ? entry : throw new KeyNotFoundException($"no key '{key}' in the tracker {Path}");

    public bool TryGet(string key, out ProgressEntry entry)
    {
        var found = _file.Read(c => Entries(c, "SELECT key, done, tries, aborted, data FROM progress WHERE key = $key", ("$key", key)));
        entry = found.FirstOrDefault()!;
        return found.Count > 0;
    }

    public T? GetData<T>(string key) => this[key].Data is { } data ? data.Deserialize<T>(_file.Json) : default;

    public bool ContainsKey(string key) => TryGet(key, out _);

    public ProgressCounts Counts() => _file.Read(c =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT count(*), coalesce(sum(done), 0), coalesce(sum(tries > 0), 0), coalesce(sum(aborted), 0), coalesce(sum(done = 0 AND aborted = 0), 0) FROM progress";
        using var reader = command.ExecuteReader();
        reader.Read();
        return new ProgressCounts(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4));
    });

    /// <summary>Every entry in the order the keys were added.</summary>
    public IReadOnlyList<ProgressEntry> Entries(int limit = int.MaxValue) =>
        _file.Read(c => Entries(c, "SELECT key, done, tries, aborted, data FROM progress ORDER BY seq LIMIT $limit", ("$limit", limit)));

    /// <summary>
    /// The keys to work on, in order, one pass: not done, not aborted, under <see cref="MaxTries"/>,
    /// and not claimed by a live process. Each is claimed for this process and its try counted before
    /// it is yielded; the claim is let go when the caller asks for the next key (or stops), so mark it
    /// done (or not) before moving on. A process that dies lets go of its claim with it.
    /// </summary>
    public IEnumerable<string> TryKeys()
    {
        long after = 0;
        string? held = null;
        try
        {
            while (true)
            {
                var previous = held;
                var claimed = _file.Write((c, t) =>
                {
                    if (previous is not null) Release(c, t, previous);
                    return Claim(c, t, after);
                });
                held = null;
                if (claimed is not { } next) yield break;
                (after, held) = next;
                yield return held;
            }
        }
        finally
        {
            if (held is { } last) _file.Write((c, t) => Release(c, t, last));
        }
    }

    /// <summary>Lets go of this process's claim on a key (one another process took over is left alone).</summary>
    private static int Release(SqliteConnection connection, SqliteTransaction transaction, string key) =>
        Sql.Execute(connection, transaction, "UPDATE progress SET claimed_by = NULL WHERE key = $key AND claimed_by = $me", ("$key", key), ("$me", Claimant.Me));

    /// <summary>Claims the first key after <paramref name="after"/> that may be tried now.</summary>
    private (long Seq, string Key)? Claim(SqliteConnection connection, SqliteTransaction transaction, long after)
    {
        var now = DateTimeOffset.UtcNow;
        while (true)
        {
            var candidates = new List<(long Seq, string Key, string? By, long At)>();
            using (var select = connection.CreateCommand())
            {
                select.Transaction = transaction;
                select.CommandText = "SELECT seq, key, claimed_by, coalesce(claimed_at, 0) FROM progress " +
                    "WHERE seq > $after AND done = 0 AND aborted = 0 AND tries < $max ORDER BY seq LIMIT 100";
                select.Parameters.AddWithValue("$after", after);
                select.Parameters.AddWithValue("$max", MaxTries);
                using var reader = select.ExecuteReader();
                while (reader.Read()) candidates.Add((reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt64(3)));
            }
            if (candidates.Count == 0) return null;
            foreach (var (seq, key, by, at) in candidates)
            {
                if (by is not null && by != Claimant.Me && Claimant.IsAlive(by, DateTimeOffset.FromUnixTimeMilliseconds(at), ClaimTimeout, now)) continue;
                Sql.Execute(connection, transaction, "UPDATE progress SET tries = tries + 1, claimed_by = $me, claimed_at = $now WHERE key = $key",
                    ("$me", Claimant.Me), ("$now", now.ToUnixTimeMilliseconds()), ("$key", key));
                return (seq, key);
            }
            after = candidates[^1].Seq;
        }
    }

    private void Set(string key, string assignments, params (string Name, object Value)[] parameters)
    {
        var changed = _file.Write((c, t) => Sql.Execute(c, t, $"UPDATE progress SET {assignments} WHERE key = $key", [("$key", key), .. parameters]));
        if (changed == 0) throw new KeyNotFoundException($"no key '{key}' in the tracker {Path}: add it first (AddIfAbsent)");
    }

    private static List<ProgressEntry> Entries(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var entries = new List<ProgressEntry>();
        while (reader.Read())
        {
            entries.Add(new ProgressEntry(reader.GetString(0), reader.GetInt64(1) != 0, reader.GetInt32(2), reader.GetInt64(3) != 0,
                reader.IsDBNull(4) ? null : JsonDocument.Parse(reader.GetString(4)).RootElement.Clone()));
        }
        return entries;
    }


    public void Dispose() => _file.Dispose();
}
