using Drover.Storage;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// The one writer of the database (group commit). Callers queue operations; a single loop drains
/// whatever is queued into one transaction, commits, and only then completes each caller's task.
/// Under load transactions grow by themselves; when idle a lone operation commits at once.
/// One operation that throws fails alone (see <see cref="Commit"/>).
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private const int MaxOperationsPerTransaction = 2000;

    /// <summary>Commits of other writes a waiting background step lets go first.</summary>
    private const int BackgroundPatience = 4;

    private readonly Channel<IWriteOperation> _queue = Channel.CreateUnbounded<IWriteOperation>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _connection;
    private readonly WriteContext _context;
    private readonly Task _loop;

    private readonly Action<WriteContext> _afterFailure;

    /// <param name="afterFailure">Runs on the writer after an operation or a commit failed and was rolled
    /// back, so that state kept beside the database can be read back from it.</param>
    /// <param name="events">Where committed changes are published for followers.</param>
    /// <param name="syncToDisk">The connection commits with <c>synchronous=FULL</c>; operations that need no durability commit without the fsync.</param>
    public SqliteWriter(SqliteConnection connection, Action<WriteContext> afterFailure, TaskEvents? events = null, bool syncToDisk = false)
    {
        _connection = connection;
        _syncToDisk = syncToDisk;
        _synced = syncToDisk;
        _afterFailure = afterFailure;
        _context = new WriteContext(connection, events);
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <param name="durable">
    /// False for a write that may be lost with the machine (a lease: its task is then queued again, as
    /// at-least-once allows): a transaction of only such writes skips the fsync. The next durable commit
    /// syncs the log, and with it every write before it.
    /// </param>
    /// <param name="background">
    /// A step of long work (a purge's batch): it commits in a transaction of its own, when no other
    /// write is waiting (or after <see cref="BackgroundPatience"/> commits of others, so that a busy
    /// server still purges), so that the dispatch's writes wait for one step at most.
    /// </param>
    public Task<T> WriteAsync<T>(Func<WriteContext, T> work, CancellationToken cancellationToken, bool durable = true, bool background = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<T>(work, durable, background);
        if (!_queue.Writer.TryWrite(operation))
            throw new ObjectDisposedException(nameof(SqliteWriter), "The task store is shutting down.");
        return operation.Completion;
    }

    /// <summary>
    /// Returns once commit number <paramref name="commit"/> (<see cref="WriteContext.Commit"/>) is on
    /// disk: at once when a durable commit since has synced the log (an fsync of the log covers every
    /// frame before it), else after a durable commit of its own.
    /// </summary>
    public Task SyncAsync(long commit, CancellationToken cancellationToken)
    {
        if (!_syncToDisk || Volatile.Read(ref _syncedThrough) >= commit) return Task.CompletedTask;
        // A commit that writes nothing writes no log frame, and so syncs nothing: this one rewrites the
        // schema version with its own value (one page).
        return WriteAsync(context =>
        {
            context.Execute($"PRAGMA user_version = {SqliteSchema.Version}");
            return true;
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _context.DisposeStatements();
        _connection.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<IWriteOperation>();
        var background = new Queue<IWriteOperation>();
        var passedOver = 0;
        while (background.Count > 0 || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxOperationsPerTransaction && _queue.Reader.TryRead(out var operation))
            {
                if (operation.Background) background.Enqueue(operation);
                else batch.Add(operation);
            }
            // A background step, alone: when nothing else waits, or when it has waited long enough.
            if (background.Count > 0 && (batch.Count == 0 || passedOver >= BackgroundPatience))
            {
                Commit([background.Dequeue()]);
                passedOver = 0;
            }
            else if (background.Count > 0) passedOver++;
            if (batch.Count == 0) continue;
            Commit(batch);
            batch.Clear();
        }
    }

    /// <summary>
    /// Commits the batch. The operations first run one after another with no savepoint of their own
    /// (a savepoint copies every page an operation touches, in case it is rolled back); should one
    /// throw, the whole transaction is rolled back and the live state read back, and (when it was not
    /// alone) the batch runs again with a savepoint each, so that the one that throws fails alone.
    /// Operations change nothing but the database, the live state (read back) and what they leave for
    /// after the commit (discarded), so running one again is as running it once.
    /// </summary>
    private void Commit(List<IWriteOperation> batch)
    {
        if (!TryCommit(batch, savepoints: false)) TryCommit(batch, savepoints: true);
    }

    /// <returns>False when an operation of several threw without savepoints: nothing was committed or completed.</returns>
    private bool TryCommit(List<IWriteOperation> batch, bool savepoints)
    {
        var succeeded = new List<IWriteOperation>(batch.Count);
        var anyFailed = false;
        var began = System.Diagnostics.Stopwatch.GetTimestamp();
        var sync = _syncToDisk && batch.Exists(o => o.Durable);
        _context.Commit = ++_commits;
        try
        {
            // Held until the commit, not through the answers and signals after it.
            using var held = SqliteNative.Hold(_connection.Handle!);
            SyncAtCommit(sync);
            using (var transaction = _connection.BeginTransaction(deferred: false))
            {
                _context.Transaction = transaction;
                foreach (var operation in batch)
                {
                    if (!savepoints)
                    {
                        if (RunWithoutSavepoint(operation) is not { } thrown)
                        {
                            succeeded.Add(operation);
                            continue;
                        }
                        if (batch.Count > 1) return false;
                        // Alone in its transaction, it has failed alone: nothing to run again.
                        operation.Fail(Translate(thrown));
                        return true;
                    }
                    var actionsBefore = _context.AfterCommitCount;
                    _context.Execute("SAVEPOINT op");
                    try
                    {
                        operation.Run(_context);
                        _context.Execute("RELEASE op");
                        succeeded.Add(operation);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        _context.Execute("ROLLBACK TO op");
                        _context.Execute("RELEASE op");
                        _context.DiscardAfterCommit(actionsBefore);
                        operation.Fail(Translate(ex));
                        anyFailed = true;
                    }
                }
                transaction.Commit();
            }
            if (sync) Volatile.Write(ref _syncedThrough, _context.Commit);
            Observability.TaskMetrics.Committed(System.Diagnostics.Stopwatch.GetElapsedTime(began), batch.Count);
        }
        catch (Exception ex)
        {
            _context.DiscardAfterCommit(0);
            var failure = Translate(ex);
            foreach (var operation in succeeded) operation.Fail(failure);
            _context.Transaction = null;
            _afterFailure(_context);
            return true;
        }
        finally
        {
            _context.Transaction = null;
        }
        if (anyFailed) _afterFailure(_context);
        if (_diskWasFull) ShrinkLog();
        // Checkpoint: callers learn of their write only after it is committed. Their answers go first,
        // then the signals (waking long-polls first measurably delayed the answers: p90 3.5 → 7 ms).
        foreach (var operation in succeeded) operation.Complete();
        _context.RunAfterCommit();
        return true;
    }

    /// <summary>Runs an operation without a savepoint; when it throws, undoes the whole transaction so far (see <see cref="Commit"/>).</summary>
    /// <returns>What it threw, or null.</returns>
    private Exception? RunWithoutSavepoint(IWriteOperation operation)
    {
        try
        {
            operation.Run(_context);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            try
            {
                _context.Transaction!.Rollback();
            }
            catch (SqliteException)
            {
                // SQLite rolled it back itself (as some errors, a full disk among them, do).
            }
            _context.Transaction = null;
            _context.DiscardAfterCommit(0);
            _afterFailure(_context);
            return ex;
        }
    }

    private readonly bool _syncToDisk;
    private bool _synced;
    private long _commits;
    // The last commit that synced the log (read by SyncAsync's callers, written by the loop).
    private long _syncedThrough;

    /// <summary>Sets whether the next commit fsyncs (WAL: FULL syncs the log at each commit, NORMAL leaves it to the next that does).</summary>
    private void SyncAtCommit(bool sync)
    {
        if (sync == _synced) return;
        _context.Execute(sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        _synced = sync;
    }

    // Set when a commit failed for want of space; the next commit that succeeds empties the log.
    private bool _diskWasFull;

    /// <summary>SQLITE_FULL (13): the disk is full; the transaction (or savepoint) was rolled back.</summary>
    private Exception Translate(Exception ex)
    {
        if (ex is not SqliteException { SqliteErrorCode: 13 }) return ex;
        _diskWasFull = true;
        return new StorageFullException(ex);
    }

    /// <summary>
    /// Space is back: write the log's pages into the database and truncate the log, so that the
    /// space freed is not taken by a log that grew while nothing could be checkpointed.
    /// </summary>
    private void ShrinkLog()
    {
        try
        {
            _context.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
            _diskWasFull = false;
        }
        catch (SqliteException)
        {
            // Still short of space, or readers in the way: tried again after the next commit.
        }
    }

    private interface IWriteOperation
    {
        bool Durable { get; }
        bool Background { get; }
        void Run(WriteContext context);
        void Complete();
        void Fail(Exception exception);
    }

    private sealed class WriteOperation<T>(Func<WriteContext, T> work, bool durable, bool background) : IWriteOperation
    {
        public bool Durable => durable;

        public bool Background => background;

        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Completion => _completion.Task;

        public void Run(WriteContext context) => _result = work(context);

        public void Complete() => _completion.TrySetResult(_result!);

        public void Fail(Exception exception) => _completion.TrySetException(exception);
    }
}
