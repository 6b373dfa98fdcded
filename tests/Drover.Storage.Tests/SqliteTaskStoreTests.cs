using Drover.Sqlite;
using Microsoft.Data.Sqlite;

namespace Drover.Storage.Tests;

public sealed class SqliteTaskStoreTests : TaskDatabaseConformance
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-sqlite-").FullName;

    private string DatabasePath => Path.Combine(_directory, "drover.db");

    protected override ITaskStore CreateStore() =>
        new SqliteTaskStore(new SqliteStoreOptions { Path = DatabasePath }, Options, Signals, Time, Events);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void An_id_list_is_written_as_the_json_array_of_its_texts(int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToList();
        var written = System.Text.Encoding.UTF8.GetString(SqliteValues.IdsJson(ids).Bytes);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(ids.Select(i => i.ToString())), written);
    }

    [Fact]
    public async Task A_purge_finishes_while_other_writes_keep_coming()
    {
        // A purge's steps go after the writes waiting beside them (and after a few commits of them at
        // most): with heartbeats kept 200 in flight, every step still comes through and the purge ends.
        // (The writer drains its queue faster than this loop refills it, so the "at most" rule itself
        // is not forced here.)
        var worker = await WorkerAsync();
        await Store.CreateAsync([.. Enumerable.Range(0, 300).Select(_ => Task())], Token);
        var leases = await Store.LeaseAsync(worker, 300, Token);
        await ReportAsync(worker, [.. leases.Select(l => Finished(l, 0))]);

        using var stop = new CancellationTokenSource();
        using var inFlight = new SemaphoreSlim(200);
        var busy = System.Threading.Tasks.Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await inFlight.WaitAsync(Token);
                _ = Store.ReportAsync(worker, new Contracts.WorkerReport(), Token).ContinueWith(_ => inFlight.Release(), TaskScheduler.Default);
            }
        }, Token);
        var purged = await Store.PurgeAsync(new Query.AndFilter([]), Token).WaitAsync(TimeSpan.FromSeconds(60), Token);
        await stop.CancelAsync();
        await busy;
        Assert.Equal(300, purged.Deleted);
    }

    [Fact]
    public async Task An_unsynced_create_is_synced_by_the_next_durable_commit_or_by_a_commit_of_its_own()
    {
        // What the log holds, by content: a frame written shows even when the log restarted from its
        // beginning after a checkpoint (its length then stays the same).
        string Log()
        {
            using var file = new FileStream(DatabasePath + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(file));
        }

        // Nothing durable after it (nor in its commit: what the store queued as it opened is done first):
        // its sync writes (and fsyncs) a frame of its own.
        await Store.CreateAsync([Task()], Token);
        var alone = await Store.CreateUnsyncedAsync([Task()], Token);
        var before = Log();
        await alone.SyncAsync(Token);
        Assert.True(Log() != before, "a sync with nothing durable since it writes a commit of its own");

        // Its task's end, a durable commit, came after: that fsync covered it, and the sync writes nothing.
        var definition = Task();
        var created = await Store.CreateUnsyncedAsync([definition], Token);
        Assert.True(created.Outcomes.Single().Created);
        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 3, Token);
        Assert.Contains(definition.Id, leases.Select(l => l.TaskId));
        await ReportAsync(worker, [.. leases.Select(l => Finished(l, 0))]);
        var afterEnd = Log();
        await created.SyncAsync(Token);
        Assert.Equal(afterEnd, Log());

        await ((IAsyncDisposable)Store).DisposeAsync();
        await using var reopened = (SqliteTaskStore)CreateStore();
        Assert.Equal(Model.TaskState.Succeeded, (await reopened.GetTaskAsync(definition.Id, Token))!.Status);
    }

    [Fact]
    public async Task Seqs_the_store_gives_go_on_rising_after_reopening_and_an_existing_id_takes_none()
    {
        // The store numbers new tasks itself (one record made per task): each number is the task row's
        // rowid, above every row there is, also after a restart; an id sent again is not a new row.
        var first = await Store.CreateAsync([Task(), Task()], Token);
        var again = await Store.CreateAsync([Task(), Task(id: first[0].Task.Id)], Token);
        Assert.False(again[1].Created);
        Assert.Equal(first[0].Task.Seq, again[1].Task.Seq);
        await ((IAsyncDisposable)Store).DisposeAsync();

        await using var reopened = (SqliteTaskStore)CreateStore();
        var later = await reopened.CreateAsync([Task()], Token);
        long[] seqs = [first[0].Task.Seq, first[1].Task.Seq, again[0].Task.Seq, later[0].Task.Seq];
        Assert.Equal(seqs.Order(), seqs);
        Assert.Equal(seqs.Length, seqs.Distinct().Count());
        // As stored, and as the task rows' own order says.
        foreach (var created in first.Concat(again.Take(1)).Concat(later))
            Assert.Equal(created.Task.Seq, (await reopened.GetTaskAsync(created.Task.Id, Token))!.Seq);
        var listed = await reopened.ListTasksAsync(new TaskListFilter { Limit = 10 }, Token);
        Assert.Equal(seqs, listed.Select(t => t.Seq));
    }

    [Fact]
    public async Task Everything_committed_is_there_after_reopening()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ((IAsyncDisposable)Store).DisposeAsync();

        await using var reopened = (SqliteTaskStore)CreateStore();
        var task = await reopened.GetTaskAsync(definition.Id, Token);
        Assert.Equal(Model.TaskState.Assigned, task!.Status);
        await reopened.ReportAsync(worker, new Contracts.WorkerReport { Events = [Finished(lease, 0)] }, Token);
        Assert.Equal(Model.TaskState.Succeeded, (await reopened.GetTaskAsync(definition.Id, Token))!.Status);
    }

    [Fact]
    public async Task Pending_tasks_wait_for_their_requirements_across_a_restart()
    {
        var first = Task();
        var second = Task();
        var last = Task() with { Requires = [first.Id, second.Id] };
        await Store.CreateAsync([first, second, last], Token);
        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 3, Token);
        await ReportAsync(worker, Finished(leases.Single(l => l.TaskId == first.Id), 0));
        await ((IAsyncDisposable)Store).DisposeAsync();

        await using var reopened = (SqliteTaskStore)CreateStore();
        Assert.Equal(Model.TaskState.Pending, (await reopened.GetTaskAsync(last.Id, Token))!.Status);
        await reopened.ReportAsync(worker, new Contracts.WorkerReport { Events = [Finished(leases.Single(l => l.TaskId == second.Id), 0)] }, Token);
        Assert.Equal(last.Id, Assert.Single(await reopened.LeaseAsync(worker, 5, Token)).TaskId);
    }

    [Fact]
    public async Task A_version_8_database_is_upgraded_and_its_executions_still_found()
    {
        var ended = Task();
        var open = Task();
        await Store.CreateAsync([ended, open], Token);
        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 2, Token);
        var endedLease = leases.Single(l => l.TaskId == ended.Id);
        var openLease = leases.Single(l => l.TaskId == open.Id);
        await ReportAsync(worker, Finished(endedLease, 0));
        var endedExecution = Assert.Single(await Store.ListExecutionsAsync(ended.Id, Token));
        await ((IAsyncDisposable)Store).DisposeAsync();
        // Back to schema 8 as it was: the open-executions index with its IN, and every closed execution in a row of its own.
        using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP INDEX tasks_execution; " +
                "CREATE INDEX tasks_open_execution ON tasks (execution_id) WHERE status IN ('assigned', 'running', 'paused'); " +
                "INSERT INTO executions (id, task_id, worker_id, attempt, status, assigned, started, completed, exit_code, timed_out, reason) " +
                "SELECT execution_id, id, worker_id, attempts, status, assigned, started, completed, exit_code, 0, reason FROM tasks WHERE id = $ended; " +
                "PRAGMA user_version = 8";
            command.Parameters.AddWithValue("$ended", ended.Id.ToString());
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        Store = CreateStore();
        Assert.Equal(Model.ExecutionState.Assigned, (await Store.GetExecutionAsync(openLease.ExecutionId, Token))!.Status);
        await using var check = new SqliteConnection($"Data Source={DatabasePath}");
        await check.OpenAsync(Token);
        await using var read = check.CreateCommand();
        read.CommandText = "SELECT (SELECT count(*) FROM sqlite_schema WHERE name = 'tasks_open_execution'), " +
            "(SELECT sql FROM sqlite_schema WHERE name = 'tasks_execution'), (SELECT user_version FROM pragma_user_version)";
        await using (var reader = await read.ExecuteReaderAsync(Token))
        {
            Assert.True(await reader.ReadAsync(Token));
            Assert.Equal(0, reader.GetInt64(0));
            Assert.EndsWith("WHERE execution_id IS NOT NULL", reader.GetString(1), StringComparison.Ordinal);
            Assert.Equal(10, reader.GetInt64(2));
        }
        // The ended task's execution in its old row, listed once; the open one's, once it ended, from its task row.
        Assert.Equal(endedExecution, Assert.Single(await Store.ListExecutionsAsync(ended.Id, Token)));
        await ReportAsync(worker, Finished(openLease, 0));
        var openExecution = Assert.Single(await Store.ListExecutionsAsync(open.Id, Token));
        Assert.Equal((Model.ExecutionState.Succeeded, 0), (openExecution.Status, openExecution.ExitCode));
        Assert.Equal(openExecution, await Store.GetExecutionAsync(openLease.ExecutionId, Token));
    }

    [Fact]
    public async Task An_ended_tasks_last_run_is_read_from_its_task_row_and_other_runs_from_rows_of_their_own()
    {
        var worker = await WorkerAsync();
        var retried = Task(retry: 1);
        var timedOut = Task();
        var saysTimedOut = Task();
        await Store.CreateAsync([retried, timedOut, saysTimedOut], Token);
        var first = (await Store.LeaseAsync(worker, 2, Token)).ToDictionary(l => l.TaskId);
        await ReportAsync(worker, Finished(first[retried.Id], 1));
        await ReportAsync(worker, Finished(first[timedOut.Id], 137) with { TimedOut = true, Error = "killed" });
        var second = (await Store.LeaseAsync(worker, 2, Token)).ToDictionary(l => l.TaskId);
        await ReportAsync(worker, Finished(second[retried.Id], 0));
        // A worker's own error may read like a timeout's reason: it is not one.
        await ReportAsync(worker, Finished(second[saysTimedOut.Id], 1) with { Error = "timed out after 5s waiting for the lock" });

        // A row for the retried attempt only: each task's last run is its task row's.
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var rows = connection.CreateCommand();
        rows.CommandText = "SELECT task_id, attempt, status FROM executions";
        await using (var reader = await rows.ExecuteReaderAsync(Token))
        {
            Assert.True(await reader.ReadAsync(Token));
            Assert.Equal((retried.Id.ToString(), 1L, "failed"), (reader.GetString(0), reader.GetInt64(1), reader.GetString(2)));
            Assert.False(await reader.ReadAsync(Token));
        }

        var runs = await Store.ListExecutionsAsync(retried.Id, Token);
        Assert.Equal([(1, Model.ExecutionState.Failed, 1), (2, Model.ExecutionState.Succeeded, 0)], runs.Select(e => (e.Attempt, e.Status, e.ExitCode ?? -1)));
        Assert.Equal(runs[1], await Store.GetExecutionAsync(second[retried.Id].ExecutionId, Token));
        var timeout = Assert.Single(await Store.ListExecutionsAsync(timedOut.Id, Token));
        Assert.Equal((Model.ExecutionState.Failed, true, "timed out after 5s"), (timeout.Status, timeout.TimedOut, timeout.Reason));
        var notATimeout = Assert.Single(await Store.ListExecutionsAsync(saysTimedOut.Id, Token));
        Assert.Equal((false, "timed out after 5s waiting for the lock"), (notATimeout.TimedOut, notATimeout.Reason));
        Assert.Equal(worker, notATimeout.WorkerId);
    }

    [Fact]
    public async Task A_database_newer_than_the_code_is_refused_clearly()
    {
        await ((IAsyncDisposable)Store).DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        var error = Assert.Throws<InvalidOperationException>(CreateStore);
        Assert.Contains("newer than this Drover", error.Message);
        Store = null!;
    }

    [Fact]
    public async Task The_database_runs_in_wal_mode()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync(Token));
    }

    public static TheoryData<string> TaskWrites =>
    [
        TaskRows.InsertTask,
        // Every state column and the output (a lease), and the status alone (a start).
        TaskRows.UpdateOf(TaskRows.AllStateColumns | TaskRows.WithOutput),
        TaskRows.UpdateOf(1),
        TaskRows.InsertExecution,
    ];

    [Theory]
    [MemberData(nameof(TaskWrites))]
    public async Task Writing_a_task_builds_no_temporary_table(string write)
    {
        // Each run of these builds no table of its own (OpenEphemeral): an IN of three values in a
        // partial index's condition did, at every row written (a third of an echo task's writing), and
        // so did the insert's RETURNING.
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN " + write;
        var opcodes = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(Token))
        {
            while (await reader.ReadAsync(Token)) opcodes.Add(reader.GetString(1));
        }
        Assert.Contains(opcodes, o => o is "IdxInsert" or "Insert");
        Assert.DoesNotContain("OpenEphemeral", opcodes);
    }

    [Fact]
    public async Task Text_ids_and_times_are_stored_as_their_text_whatever_their_length()
    {
        // The writer binds short text, ids and times through a stack buffer, long text through SQLite's own
        // conversion: both must store the same text ("" stays "", not NULL).
        string[] names = ["", "é ✓ 𝄞 name", new string('é', 300), "a"];
        var definitions = names.Select(n => Task() with { Name = n }).ToList();
        await Store.CreateAsync(definitions, Token);
        foreach (var definition in definitions)
            Assert.Equal(definition.Name, (await Store.GetTaskAsync(definition.Id, Token))!.Name);

        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, typeof(name), submitted FROM tasks WHERE id = $id";
        command.Parameters.AddWithValue("$id", definitions[0].Id.ToString());
        await using var reader = await command.ExecuteReaderAsync(Token);
        Assert.True(await reader.ReadAsync(Token));
        Assert.Equal(definitions[0].Id.ToString(), reader.GetString(0));
        Assert.Equal("text", reader.GetString(1));
        Assert.Equal(Time.GetUtcNow().UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture), reader.GetString(2));
    }
    [Fact]
    public async Task SQLite_counts_no_memory_so_that_no_allocation_takes_its_global_mutex()
    {
        // Made before SQLite started (SqliteProcessSettings, as the store does in a server): with memory
        // statistics on, every allocation and free of every connection took one global mutex.
        Assert.True(SqliteLibrary.Configure());
        await Store.CreateAsync([.. Enumerable.Range(0, 50).Select(_ => Task())], Token);
        Assert.Equal(50, (await Store.ListTasksAsync(new TaskListFilter { Limit = 100 }, Token)).Count);
        // What SQLite holds for the open store's connections, as it counts it: nothing, since it counts nothing.
        Assert.Equal(0, SQLitePCL.raw.sqlite3_memory_used());
    }

    [Fact]
    public async Task Rows_read_through_the_c_api_give_each_value_as_it_was_stored()
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        var id = Guid.NewGuid();
        using var statement = new RawStatement(connection,
            "SELECT $text, $long, $int, $flag, $real, $null, $id, '2026-12-07T01:02:03.4560000Z', '2026-12-07T01:02:03.4560000+01:00', 42, ''");
        statement.Bind("$text", "é ✓ 𝄞").Bind("$long", long.MaxValue).Bind("$int", -7).Bind("$flag", true).Bind("$real", 0.25)
            .Bind("$null", DBNull.Value).Bind("$id", id.ToString());
        var row = Assert.Single(statement.Rows(r => (
            r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetInt64(3), r.GetDouble(4), r.IsDBNull(5), r.IsDBNull(0), r.GetGuid(6),
            r.GetTime(7), r.GetTime(8), r.GetString(9), r.GetString(10), r.IsDBNull(10), r.FieldCount)));
        Assert.Equal(("é ✓ 𝄞", long.MaxValue, -7, 1L, 0.25, true, false, id), (row.Item1, row.Item2, row.Item3, row.Item4, row.Item5, row.Item6, row.Item7, row.Item8));
        // The stored form (UTC, seven fraction digits), and an offset.
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 1, 2, 3, 456, TimeSpan.Zero), row.Item9);
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 1, 2, 3, 456, TimeSpan.FromHours(1)), row.Item10);
        Assert.Equal(("42", "", false, 11), (row.Item11, row.Item12, row.Item13, row.Item14));

        // Bound again after a run: the values of the run before are gone; what cannot be bound is refused by name.
        Assert.True(Assert.Single(statement.Rows(r => r.IsDBNull(0))));
        Assert.Contains("$nope", Assert.Throws<ArgumentException>(() => statement.Bind("$nope", 1)).Message, StringComparison.Ordinal);
        Assert.Contains("$text", Assert.Throws<ArgumentException>(() => statement.Bind("$text", 1.5m)).Message, StringComparison.Ordinal);
        using var bad = new RawStatement(connection, "SELECT 'not an id'");
        Assert.Throws<FormatException>(() => bad.Rows(r => r.GetGuid(0)));
        Assert.Throws<FormatException>(() => bad.Rows(r => r.GetTime(0)));
        Assert.Throws<FormatException>(() => bad.Rows(r => r.GetEnum<Drover.Model.TaskState>(0)));

        // Enums by their wire names, without a string; a name longer than any is no name.
        using var states = new RawStatement(connection, "SELECT 'succeeded', 'pending', 'Succeeded', $long");
        states.Bind("$long", new string('a', 40));
        var (succeeded, pending, cased) = Assert.Single(states.Rows(r => (
            r.GetEnum<Drover.Model.TaskState>(0), r.GetEnum<Drover.Model.TaskState>(1), Record.Exception(() => r.GetEnum<Drover.Model.TaskState>(2)))));
        Assert.Equal((Drover.Model.TaskState.Succeeded, Drover.Model.TaskState.Pending), (succeeded, pending));
        Assert.IsType<FormatException>(cased);
        Assert.Throws<FormatException>(() => states.Rows(r => r.GetEnum<Drover.Model.TaskState>(3)));
    }
    [Fact]
    public async Task A_held_connection_keeps_every_other_thread_out_until_it_is_let_go()
    {
        // What a commit and a query's rows do (SqliteNative.Hold): SQLite's own calls on the connection,
        // on the holding thread, go on; another thread's call waits for the release, as it waits
        // inside a call of the holder's.
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync(Token);
        using var statement = new RawStatement(connection, "SELECT 41 + 1");
        var (inside, other) = HoldWhileAnotherThreadCalls(connection, statement);
        Assert.Equal(42L, inside);
        // The other thread's call returned after the release only.
        Assert.True(await other.WaitAsync(TimeSpan.FromSeconds(30), Token));
        Assert.Equal(42L, Assert.Single(statement.Rows(r => r.GetInt64(0))));
    }

    /// <returns>A query's value read while held, and whether the other thread's call returned after the release.</returns>
    private static (long Inside, System.Threading.Tasks.Task<bool> Other) HoldWhileAnotherThreadCalls(SqliteConnection connection, RawStatement statement)
    {
        var released = false;
        using var held = SqliteNative.Hold(connection.Handle!);
        var inside = Assert.Single(statement.Rows(r => r.GetInt64(0)));
        var other = System.Threading.Tasks.Task.Factory.StartNew(() =>
        {
            // A call SQLite makes under the connection's mutex, from another thread.
            SQLitePCL.raw.sqlite3_exec(connection.Handle, "SELECT 1");
            return Volatile.Read(ref released);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // Left all the time it needs to finish, were the connection not held: it must not.
        Assert.False(other.Wait(TimeSpan.FromMilliseconds(300)));
        Volatile.Write(ref released, true);
        return (inside, other);
    }
}
