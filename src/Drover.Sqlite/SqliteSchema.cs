using Microsoft.Data.Sqlite;

namespace Drover.Sqlite;

/// <summary>
/// The database layout, as numbered migrations tracked in <c>PRAGMA user_version</c>. A database
/// newer than this code is refused rather than misread.
/// </summary>
internal static class SqliteSchema
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE tasks (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            name TEXT, batch TEXT NOT NULL, grp TEXT,
            command TEXT, shell TEXT, handler TEXT, args TEXT, env TEXT, requires TEXT,
            priority INTEGER NOT NULL DEFAULT 0, retry INTEGER NOT NULL DEFAULT 0, timeout_ms INTEGER,
            status TEXT NOT NULL, status_message TEXT, progress REAL,
            attempts INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
            worker_id TEXT, execution_id TEXT,
            submitted TEXT NOT NULL, assigned TEXT, started TEXT, completed TEXT, lease_expires TEXT,
            exit_code INTEGER, result TEXT, error TEXT,
            stdout TEXT, stderr TEXT, stdout_bytes INTEGER, stderr_bytes INTEGER,
            client_id TEXT, reason TEXT);
        -- Dispatch (ready order, leases, expiry) runs on the live state in memory, so only what
        -- reads need is indexed: every index is one more write per state change. The open
        -- executions are described by their task rows; this small index finds them.
        CREATE INDEX tasks_status ON tasks (status, seq);
        CREATE INDEX tasks_open_execution ON tasks (execution_id) WHERE status IN ('assigned', 'running', 'paused');
        CREATE INDEX tasks_batch ON tasks (batch, seq);
        -- Closed executions only: one row written when an attempt ends.
        CREATE TABLE executions (
            id TEXT PRIMARY KEY, task_id TEXT NOT NULL, worker_id TEXT NOT NULL, attempt INTEGER NOT NULL,
            status TEXT NOT NULL, assigned TEXT NOT NULL, started TEXT, completed TEXT,
            exit_code INTEGER, timed_out INTEGER NOT NULL DEFAULT 0, reason TEXT);
        CREATE INDEX executions_task ON executions (task_id, attempt);
        CREATE TABLE workers (
            id TEXT PRIMARY KEY, name TEXT NOT NULL, hostname TEXT, pid INTEGER,
            concurrency INTEGER NOT NULL, prefetch INTEGER NOT NULL, batch TEXT, handlers TEXT,
            status TEXT NOT NULL, registered TEXT NOT NULL, last_seen TEXT NOT NULL);
        """,
        """
        -- Queries (POST /api/tasks/query) and resubmission.
        ALTER TABLE tasks ADD COLUMN resubmitted_from TEXT;
        ALTER TABLE tasks ADD COLUMN resubmitted TEXT;
        -- Signals (pause, resume, term, kill) asked for during the current execution, and during each closed one.
        ALTER TABLE tasks ADD COLUMN signals TEXT;
        ALTER TABLE executions ADD COLUMN signals TEXT;
        -- Batches paused by request (their tasks are not leased until resumed).
        CREATE TABLE batches (name TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0);
        -- Machine stats from the worker's latest heartbeat that carried them.
        ALTER TABLE workers ADD COLUMN stats TEXT;
        -- Told to take no new work, or to drain and exit (PATCH and DELETE /api/workers/{id}).
        ALTER TABLE workers ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE workers ADD COLUMN drain INTEGER NOT NULL DEFAULT 0;
        -- Worker states renamed: active is running, stopping is draining.
        UPDATE workers SET status = 'running' WHERE status = 'active';
        UPDATE workers SET status = 'draining' WHERE status = 'stopping';
        CREATE INDEX tasks_worker ON tasks (worker_id) WHERE worker_id IS NOT NULL;
        -- Time indexes end with seq, the tie-break of every sort, so "newest first, 100" reads 100 entries.
        CREATE INDEX tasks_submitted ON tasks (submitted, seq);
        CREATE INDEX tasks_completed ON tasks (completed, seq) WHERE completed IS NOT NULL;
        -- Names: equality, ranges, and regular expressions with a literal prefix ("^job-42").
        CREATE INDEX tasks_name ON tasks (name) WHERE name IS NOT NULL;
        """,
        """
        -- Data to move (input, resource, output, output_on, container_options, cache) as one JSON
        -- value; the container has a column of its own, for dispatch and queries.
        ALTER TABLE tasks ADD COLUMN staging TEXT;
        ALTER TABLE tasks ADD COLUMN container TEXT;
        -- What the current execution moved (phase, folder, bytes, time), and the task a cached run reused.
        ALTER TABLE tasks ADD COLUMN transfer TEXT;
        ALTER TABLE tasks ADD COLUMN cached_from TEXT;
        ALTER TABLE executions ADD COLUMN transfer TEXT;
        """,
        """
        -- The result cache: what a cache task's result depends on, looked up among succeeded tasks.
        ALTER TABLE tasks ADD COLUMN cache_key TEXT;
        CREATE INDEX tasks_cache_key ON tasks (cache_key, seq) WHERE cache_key IS NOT NULL;
        """,
        """
        -- Recruitment: per-batch recruiters, the jobs that deploy, destroy and recycle workers, and
        -- the workers providers started. Each record is one JSON document; the keys it is found by
        -- have columns of their own.
        CREATE TABLE recruiters (batch TEXT NOT NULL, rank INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (batch, rank));
        CREATE TABLE jobs (id TEXT PRIMARY KEY, created TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX jobs_created ON jobs (created, id);
        CREATE TABLE deployments (name TEXT PRIMARY KEY, live INTEGER NOT NULL, created TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX deployments_live ON deployments (created) WHERE live = 1;
        -- A worker started by hand that a recruiter may move to another batch (drover worker --recyclable).
        ALTER TABLE workers ADD COLUMN recyclable INTEGER NOT NULL DEFAULT 0;
        """,
        """
        -- Named tokens: the SHA-256 of the secret (never the secret) and the record as JSON.
        CREATE TABLE tokens (name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
        -- The audit log: append-only; the fields a filter may name are columns.
        CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, token TEXT NOT NULL, role TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT, detail TEXT, address TEXT, status INTEGER NOT NULL);
        CREATE INDEX audit_at ON audit (at, seq);
        """,
        """
        -- Schedules: the definition as one JSON document; how far firing got in columns of their own,
        -- which only the scheduler writes.
        CREATE TABLE schedules (name TEXT PRIMARY KEY, doc TEXT NOT NULL, last_fire TEXT, last_task TEXT, skipped INTEGER NOT NULL DEFAULT 0);
        """,
        """
        -- Delayed tasks: pending until this time (the live state times them; the column brings them back after a restart).
        ALTER TABLE tasks ADD COLUMN run_after TEXT;
        """,
        """
        -- The open executions' index, with its condition as ORs (TaskRows.IsOpen): SQLite evaluates an IN of
        -- three values by building a temporary table, at every row written (a third of an echo task's writing).
        DROP INDEX tasks_open_execution;
        CREATE INDEX tasks_open_execution ON tasks (execution_id) WHERE (status = 'assigned' OR status = 'running' OR status = 'paused');
        """,
        """
        -- An ended task's last execution is described by its task row (TaskRows.DescribedExecution) rather
        -- than a row of its own: every task row with an execution is found by it, and a finish no longer
        -- takes its entry out.
        DROP INDEX tasks_open_execution;
        CREATE INDEX tasks_execution ON tasks (execution_id) WHERE execution_id IS NOT NULL;
        """,
    ];

    /// <summary>The schema version this code writes.</summary>
    public static int Version => Migrations.Length;

    public static void Migrate(SqliteConnection connection)
    {
        using var version = connection.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        var current = Convert.ToInt32(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        if (current > Migrations.Length)
        {
            throw new InvalidOperationException(
                $"The task database has schema version {current}, newer than this Drover knows ({Migrations.Length}). " +
                "Upgrade Drover, or point --data at another directory.");
        }
        for (var v = current; v < Migrations.Length; v++)
        {
            using var transaction = connection.BeginTransaction();
            using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = Migrations[v] + $";\nPRAGMA user_version = {v + 1};";
            migrate.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
