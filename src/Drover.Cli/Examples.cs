using System.CommandLine;

namespace Drover.Cli;

/// <summary>
/// Two or three examples per command, printed at the end of its <c>--help</c>. Each is a command
/// line as a user types it after <c>drover</c>, and a test parses every one against the real
/// commands, so an example never drifts from the options.
/// </summary>
public static class Examples
{
    public static IReadOnlyDictionary<string, (string Line, string Says)[]> ByCommand { get; } = new Dictionary<string, (string, string)[]>
    {
        [""] = [
            ("up", "start a server and two workers here (Ctrl-C stops them)"),
            ("submit --wait -- echo hello", "in another terminal: run a task and see its output"),
            ("tasks --status failed", "what failed; then drover result ID"),
        ],
        ["up"] = [
            ("up", "a server on the embedded SQLite database with two local workers, on http://127.0.0.1:5000"),
            ("up --port 0 --workers 4 --concurrency 8", "a free port (clients find it in drover-data/server.json), 4 workers of 8 slots"),
            ("up --store memory --no-sync", "nothing kept after it stops: for trying things out"),
        ],
        ["server"] = [
            ("server", "the server alone; start workers with drover worker"),
            ("server --store postgres --postgres 'Host=db;Username=drover;Database=drover'", "one of several servers sharing a PostgreSQL database"),
            ("server --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem", "reachable from other machines, over HTTPS"),
        ],
        ["worker"] = [
            ("worker --server http://head:5000 --token \"$(cat worker.token)\"", "a worker on another machine, with the worker token"),
            ("worker --concurrency 8 --batch nightly --name big-box", "8 tasks at once, only the batch nightly"),
        ],
        ["submit"] = [
            ("submit -- echo hello", "a command and its arguments, after --"),
            ("submit --wait --shell --retry 2 --timeout 5m -- 'ls | wc -l'", "shell text, retried twice, killed after 5 minutes; waits and exits with its exit code"),
            ("submit --in 15m -- ./remind.sh", "pending for 15 minutes, then queued (--run-after 2026-12-24T18:00:00Z for a time)"),
        ],
        ["tasks"] = [
            ("tasks", "the newest 100, newest first"),
            ("tasks --status failed --batch nightly", "the failed tasks of one batch"),
            ("tasks --sort -completed -n 20", "the last 20 to end"),
        ],
        ["query"] = [
            ("query '{\"status\": \"failed\", \"exit_code\": {\"$in\": [1, 2]}}'", "MongoDB-style filters over the task database"),
            ("query '{\"batch\": \"nightly\"}' --keys name,status,completed --sort -completed", "some fields, sorted"),
            ("query '{\"completed\": null}' --count", "how many have not ended"),
        ],
        ["resubmit"] = [
            ("resubmit 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "a new task with an ended task's definition"),
            ("resubmit --filter '{\"status\": \"failed\", \"batch\": \"nightly\"}'", "every failed task of a batch"),
        ],
        ["cancel"] = [
            ("cancel 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "cancel a task, whatever its state; a running one is killed"),
        ],
        ["signal"] = [
            ("signal 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a pause", "freeze a running task (resume thaws it)"),
            ("signal 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a term", "ask it to stop (SIGTERM), then kill after a grace period"),
        ],
        ["batches"] = [
            ("batches", "every batch with its tasks per state"),
        ],
        ["batch"] = [
            ("batch pause nightly", "stop leasing the batch's tasks (running ones go on)"),
            ("batch cancel nightly", "cancel every unfinished task of the batch"),
            ("batch delete nightly", "delete the records of a batch that has ended"),
        ],
        ["status"] = [
            ("status 'step 3 of 5' --progress 0.6", "from inside a task: what it does now, and how far along"),
        ],
        ["purge"] = [
            ("purge --filter '{\"batch\": \"nightly\"}'", "delete a batch's ended tasks"),
            ("purge --filter '{\"completed\": {\"$lt\": \"2026-11-01T00:00:00Z\"}}'", "delete what ended before a date"),
        ],
        ["result"] = [
            ("result 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "state, exit code, run time and output; exit 1 if it failed"),
        ],
        ["wait"] = [
            ("wait 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "until it ends"),
            ("wait 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a --retry 2 --timeout 1h", "resubmit it up to twice if it fails; exit 4 after an hour"),
        ],
        ["watch"] = [
            ("watch 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "tail a task's output live until it ends"),
            ("watch --batch nightly", "a batch's progress until every task has ended"),
        ],
        ["tracker show"] = [
            ("tracker show crawl.tracker -n 5", "a tracker file's counts and five of its entries"),
        ],
        ["tracker export"] = [
            ("tracker export crawl.tracker --json", "everything in it as one JSON document"),
        ],
        ["workers"] = [
            ("workers", "connected workers and those gone in the last 10 minutes"),
            ("workers --all", "every worker the server remembers"),
        ],
        ["dataset import"] = [
            ("dataset import trips.csv.gz --name trips --shards 8 --out data/", "split a file into 8 Parquet shards under data/trips/"),
        ],
        ["dataset list"] = [("dataset list", "datasets, their shards and the workers holding them")],
        ["dataset show"] = [("dataset show trips", "one dataset: columns, shards, holders, generation")],
        ["dataset distribute"] = [
            ("dataset distribute trips s3://bucket/trips/2026-12/ --wait", "a new generation on every worker at once, or on none"),
            ("dataset distribute trips file:///srv/trips/ --replicas 2", "each file on two workers"),
        ],
        ["dataset tickets"] = [("dataset tickets", "distributions in progress and ended")],
        ["dataset cancel"] = [("dataset cancel 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "stop a distribution: nothing switches")],
        ["groupby"] = [
            ("groupby trips --by payment_type --agg fare_amount:sum --agg fare_amount:mean:avg_fare", "one exact answer merged from every shard"),
            ("groupby trips --agg trip_distance:count --where 'passenger_count>1' --csv", "a filtered count, as CSV"),
        ],
        ["admin info"] = [("admin info", "the server's version, store, uptime and workers")],
        ["admin ping"] = [("admin ping --timeout 10s", "every worker answers, or is named as silent")],
        ["admin sleep"] = [("admin sleep 5", "a test task that sleeps 5 s on a worker")],
        ["admin loglevel"] = [("admin loglevel debug", "more logging from the server and every worker, at once")],
        ["admin stop-workers"] = [("admin stop-workers", "every worker drains and exits")],
        ["admin stop-all"] = [("admin stop-all", "the workers drain, then the server stops")],
        ["recruiter add"] = [
            ("recruiter add nightly --maximum-workers 8 --tasks-per-worker 20", "start local workers as the batch's tasks wait, up to 8"),
            ("recruiter add nightly --rank 2 --provider ssh-pool --flavor auto:cpus>=8", "then machines from a provider of --providers"),
        ],
        ["recruiter list"] = [("recruiter list", "every recruiter and its deploy backoff")],
        ["recruiter rm"] = [("recruiter rm nightly 2", "remove the batch's recruiter of rank 2")],
        ["token create"] = [
            ("token create --name alice --role submit --groups alice --expires 90d", "a token that submits and sees the group alice only"),
            ("token create --name grafana --role read", "a read-only token for a dashboard or monitoring"),
        ],
        ["token list"] = [("token list", "every named token (never a secret)")],
        ["token revoke"] = [("token revoke alice", "the token stops working within seconds, its dashboard sessions too")],
        ["audit"] = [
            ("audit --since 1h", "what was done in the last hour, by whom"),
            ("audit --filter '{\"action\": \"tasks.purge\"}'", "every purge"),
        ],
        ["schedule add"] = [
            ("schedule add nightly-backup --cron '0 2 * * *' --timezone Europe/Paris -- ./backup.sh", "every day at 02:00 Paris time, DST included"),
            ("schedule add heartbeat --cron '*/10 * * * * *' --overlap allow -- echo alive", "every 10 seconds (6 fields: seconds first)"),
            ("schedule add report --cron '0 8 * * 1' --catch-up skip --batch reports -- ./weekly.sh", "Mondays at 08:00 UTC; a Monday missed while down is not run late"),
        ],
        ["schedule list"] = [("schedule list", "every schedule, its next and last firing and its last task")],
        ["schedule rm"] = [("schedule rm nightly-backup", "no more firings; its tasks stay")],
        ["schedule run"] = [("schedule run nightly-backup", "its task now, apart from its firings")],
        ["schedule pause"] = [("schedule pause nightly-backup", "stop firing until resumed")],
        ["schedule resume"] = [("schedule resume nightly-backup", "fire again; missed firings follow --catch-up")],
        ["jobs"] = [("jobs --status failed", "recruiters' deploys that failed, with their reasons")],
        ["job"] = [("job 01936b2e-58a4-7c1e-9c53-8f0e1d2c3b4a", "one job and its log")],
        ["flavors"] = [("flavors", "the providers' flavors recruiters may ask for")],
    };

    /// <summary>The command's path without the root: <c>dataset import</c>.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (var at = command; at is not null && at is not RootCommand; at = at.Parents.OfType<Command>().FirstOrDefault()) names.Insert(0, at.Name);
        return string.Join(' ', names);
    }
}
