using Microsoft.Data.Sqlite;

namespace Drover.Tracker;

/// <summary>
/// Writes that share commits. A writer that finds no commit under way leads one: it takes every
/// write waiting (its own included) into one transaction (BEGIN IMMEDIATE: across processes too),
/// commits, and wakes their writers; writers that arrive meanwhile wait for the next. If one write
/// throws, the batch is run again one write per transaction, so that it fails alone. A write returns only once committed:
/// its WAL frames are in the operating system, so a kill -9 of the process cannot lose it.
/// </summary>
internal sealed class GroupCommit(SqliteConnection connection)
{
    private readonly object _gate = new();
    private List<Write> _waiting = [];
    private bool _committing;

    public T Run<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        var write = new Write((c, t) => work(c, t));
        List<Write> batch;
        lock (_gate)
        {
            _waiting.Add(write);
            while (_committing && !write.Finished) Monitor.Wait(_gate);
            if (!write.Finished)
            {
                _committing = true;
                (batch, _waiting) = (_waiting, []);
            }
            else batch = [];
        }
        if (batch.Count > 0) Commit(batch);
        if (write.Error is { } error) throw error;
        return (T)write.Result!;
    }

    private void Commit(List<Write> batch)
    {
        try
        {
            if (!TryTogether(batch))
            {
                // Some write threw: the batch was rolled back whole; now each alone, so that one fails alone.
                foreach (var write in batch) TryTogether([write]);
            }
        }
        finally
        {
            lock (_gate)
            {
                foreach (var write in batch) write.Finished = true;
                _committing = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Runs the writes in one transaction and commits; false (all rolled back) when one of several threw.</summary>
    private bool TryTogether(List<Write> writes)
    {
        try
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            foreach (var write in writes) write.Result = write.Work(connection, transaction);
            transaction.Commit();
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (writes.Count > 1 && ex is not SqliteException { SqliteErrorCode: 5 or 6 or 13 }) return false; // BUSY, LOCKED, FULL fail them all
            foreach (var write in writes) write.Error ??= ex;
            return true;
        }
    }

    private sealed class Write(Func<SqliteConnection, SqliteTransaction, object?> work)
    {
        public Func<SqliteConnection, SqliteTransaction, object?> Work { get; } = work;
        public object? Result { get; set; }
        public Exception? Error { get; set; }
        public bool Finished { get; set; }
    }
}
