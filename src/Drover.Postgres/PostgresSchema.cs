using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// The database layout, as numbered migrations recorded in <c>drover_schema</c>. Several servers may
/// start at once on one database: an advisory lock makes one migrate while the others wait. A
/// database newer than this code is refused rather than misread.
/// </summary>
internal static class PostgresSchema
{
    private const long MigrationLock = 0x4452_4f56_4552; // "DROVER"

    // Text columns use the "C" collation: comparisons and sorts by byte, as SQLite and the memory
    // store do, and the indexes serve the queries without a COLLATE clause.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE tasks (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id uuid NOT NULL UNIQUE,
            name text COLLATE "C", batch text COLLATE "C" NOT NULL, grp text COLLATE "C",
            command text, shell text COLLATE "C", handler text COLLATE "C", args text, env text, requires text,
            priority integer NOT NULL DEFAULT 0, retry integer NOT NULL DEFAULT 0, timeout_ms bigint,
            status text COLLATE "C" NOT NULL, status_message text COLLATE "C", progress double precision,
            attempts integer NOT NULL DEFAULT 0, failures integer NOT NULL DEFAULT 0,
            worker_id uuid, execution_id uuid,
            submitted timestamptz NOT NULL, assigned timestamptz, started timestamptz, completed timestamptz, lease_expires timestamptz,
            exit_code integer, result text, error text COLLATE "C", stdout text COLLATE "C", stderr text COLLATE "C",
            stdout_bytes bigint, stderr_bytes bigint, client_id text COLLATE "C", reason text COLLATE "C",
            resubmitted_from uuid, resubmitted uuid,
            -- Signals asked for during the current execution; signal_pending while some wait for the worker.
            signals text, signal_pending boolean NOT NULL DEFAULT false);
        -- Leasing: the ready tasks in dispatch order, overall and per batch (SKIP LOCKED walks these).
        CREATE INDEX tasks_ready ON tasks (priority DESC, seq) WHERE status = 'queued';
        CREATE INDEX tasks_ready_batch ON tasks (batch, priority DESC, seq) WHERE status = 'queued';
        -- Leases held: reports find their task by execution, renewals and expiry by worker and time.
        CREATE INDEX tasks_open_execution ON tasks (execution_id) WHERE status IN ('assigned', 'running', 'paused');
        CREATE INDEX tasks_leases ON tasks (lease_expires) WHERE status IN ('assigned', 'running', 'paused');
        CREATE INDEX tasks_signals ON tasks (worker_id) WHERE signal_pending;
        -- Queries.
        CREATE INDEX tasks_status ON tasks (status, seq);
        CREATE INDEX tasks_batch ON tasks (batch, seq);
        CREATE INDEX tasks_worker ON tasks (worker_id) WHERE worker_id IS NOT NULL;
        -- Time indexes end with seq, the tie-break of every sort, and put absent values first as
        -- sorts do: read backwards they give "newest first", so a page of 100 reads 100 entries.
        CREATE INDEX tasks_submitted ON tasks (submitted, seq);
        CREATE INDEX tasks_completed ON tasks (completed NULLS FIRST, seq) WHERE completed IS NOT NULL;
        CREATE INDEX tasks_name ON tasks (name) WHERE name IS NOT NULL;
        -- Closed executions only; the open one is described by its task row.
        CREATE TABLE executions (
            id uuid PRIMARY KEY, task_id uuid NOT NULL, worker_id uuid NOT NULL, attempt integer NOT NULL,
            status text NOT NULL, assigned timestamptz NOT NULL, started timestamptz, completed timestamptz,
            exit_code integer, timed_out boolean NOT NULL DEFAULT false, reason text, signals text);
        CREATE INDEX executions_task ON executions (task_id, attempt);
        -- Dependencies: who requires whom, to find a task's dependants when it ends.
        CREATE TABLE dependencies (requirement uuid NOT NULL, task uuid NOT NULL, PRIMARY KEY (requirement, task));
        CREATE INDEX dependencies_task ON dependencies (task);
        -- Batches paused by request (their tasks are not leased until resumed).
        CREATE TABLE batches (name text COLLATE "C" PRIMARY KEY, paused boolean NOT NULL DEFAULT false);
        CREATE TABLE workers (
            id uuid PRIMARY KEY, name text NOT NULL, hostname text, pid integer,
            concurrency integer NOT NULL, prefetch integer NOT NULL, batch text, handlers text,
            status text NOT NULL, registered timestamptz NOT NULL, last_seen timestamptz NOT NULL, stats text,
            -- Told to take no new work, or to drain and exit; control_pending until the worker is told.
            paused boolean NOT NULL DEFAULT false, drain boolean NOT NULL DEFAULT false, control_pending boolean NOT NULL DEFAULT false);
        """,
        """
        -- Data to move (input, resource, output, output_on, container_options, cache) as one JSON
        -- value; the container has a column of its own, for dispatch and queries.
        ALTER TABLE tasks ADD COLUMN staging text;
        ALTER TABLE tasks ADD COLUMN container text COLLATE "C";
        -- What the current execution moved (phase, folder, bytes, time), and the task a cached run reused.
        ALTER TABLE tasks ADD COLUMN transfer text;
        ALTER TABLE tasks ADD COLUMN cached_from uuid;
        ALTER TABLE executions ADD COLUMN transfer text;
        """,
        """
        -- The result cache: what a cache task's result depends on, looked up among succeeded tasks.
        ALTER TABLE tasks ADD COLUMN cache_key text COLLATE "C";
        CREATE INDEX tasks_cache_key ON tasks (cache_key, seq) WHERE cache_key IS NOT NULL;
        """,
        """
        -- Recruitment: per-batch recruiters, the jobs that deploy, destroy and recycle workers, and
        -- the workers providers started; each record one JSON document, found by its key columns.
        CREATE TABLE recruiters (batch text COLLATE "C" NOT NULL, rank integer NOT NULL, doc text NOT NULL, PRIMARY KEY (batch, rank));
        CREATE TABLE jobs (id uuid PRIMARY KEY, created timestamptz NOT NULL, status text COLLATE "C" NOT NULL, doc text NOT NULL);
        CREATE INDEX jobs_created ON jobs (created, id);
        CREATE TABLE deployments (name text COLLATE "C" PRIMARY KEY, live boolean NOT NULL, created timestamptz NOT NULL, doc text NOT NULL);
        CREATE INDEX deployments_live ON deployments (created) WHERE live;
        ALTER TABLE workers ADD COLUMN recyclable boolean NOT NULL DEFAULT false;
        """,
        """
        -- Named tokens: the SHA-256 of the secret (never the secret) and the record as JSON.
        CREATE TABLE tokens (name text COLLATE "C" PRIMARY KEY, hash text COLLATE "C" NOT NULL UNIQUE, doc text NOT NULL);
        -- The audit log: append-only; the fields a filter may name are columns.
        CREATE TABLE audit (seq bigserial PRIMARY KEY, at timestamptz NOT NULL, token text COLLATE "C" NOT NULL, role text COLLATE "C" NOT NULL,
            action text COLLATE "C" NOT NULL, target text COLLATE "C", detail text, address text COLLATE "C", status integer NOT NULL);
        CREATE INDEX audit_at ON audit (at, seq);
        """,
        """
        -- Schedules: the definition as one JSON document; how far firing got in columns of their own,
        -- which only the scheduler writes.
        CREATE TABLE schedules (name text COLLATE "C" PRIMARY KEY, doc text NOT NULL, last_fire timestamptz, last_task uuid, skipped bigint NOT NULL DEFAULT 0);
        """,
        """
        -- Delayed tasks: pending until this time; the index finds the next one and those due.
        ALTER TABLE tasks ADD COLUMN run_after timestamptz;
        CREATE INDEX tasks_delayed ON tasks (run_after) WHERE status = 'pending' AND run_after IS NOT NULL;
        """,
    ];

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLock})", cancellationToken);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS drover_schema (version integer NOT NULL)", cancellationToken);
        await using (var read = new NpgsqlCommand("SELECT max(version) FROM drover_schema", connection))
        {
            var current = await read.ExecuteScalarAsync(cancellationToken) is int v ? v : 0;
            if (current > Migrations.Length)
            {
                throw new InvalidOperationException(
                    $"The task database has schema version {current}, newer than this Drover knows ({Migrations.Length}). " +
                    "Upgrade Drover, or point --postgres at another database.");
            }
            for (var version = current; version < Migrations.Length; version++)
            {
                await ExecuteAsync(connection, Migrations[version], cancellationToken);
                await ExecuteAsync(connection, $"DELETE FROM drover_schema; INSERT INTO drover_schema VALUES ({version + 1})", cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
