using System.Text.Json;
using System.Threading.Channels;
using Drover.Contracts;
using Drover.Datasets;
using Drover.Json;
using Drover.Model;
using Drover.Server.Dispatch;
using Drover.Storage;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Datasets;

/// <summary>How a group-by ended: its answer, or the shard it could not get and why.</summary>
public sealed record GroupByOutcome(GroupByResult? Result, string? FailedShard, string? Failure, bool TimedOut = false);

/// <summary>
/// Runs a planned group-by: one task per shard, for the handler of a worker that holds it (the least
/// busy one), in batch <c>dataset:&lt;name&gt;</c>, so the queries are in the task database like any
/// work. Woken by the tasks' ends; a shard whose task fails, or whose worker the store declares lost
/// meanwhile, is asked of another holder; with none left the query fails naming the shard. The
/// answers are merged exactly (<see cref="Merger"/>).
/// </summary>
public sealed partial class GroupByRunner(ITaskStore store, TaskWaiter waiter, StoreOptions storeOptions, TimeProvider time, ILogger<GroupByRunner> logger)
{
    /// <summary>Shard queries go before ordinary work waiting on the same worker: someone waits for the answer.</summary>
    public const int ShardPriority = 1_000;

    public static string BatchOf(string dataset) => "dataset:" + dataset;

    public async Task<GroupByOutcome> RunAsync(GroupByPlan plan, DatasetCatalogue catalogue, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var query = new Query(plan, catalogue, await store.ListWorkersAsync(cancellationToken));
        var ends = Channel.CreateUnbounded<(Attempt Attempt, TaskRecord? Task)>();
        try
        {
            var first = new List<Attempt>();
            foreach (var shard in plan.Shards)
            {
                if (query.Assign(shard) is not { } attempt) return query.NoHolder(shard.Shard);
                first.Add(attempt);
            }
            await StartAsync(first, ends.Writer);
            // A holder's loss shows in the store only when its lease expires: look that often, not more.
            var look = TimeSpan.FromTicks(Math.Max(storeOptions.LeaseTimeout.Ticks / 2, TimeSpan.FromMilliseconds(100).Ticks));
            while (query.Pending.Count > 0)
            {
                if (!ends.Reader.TryRead(out var end))
                {
                    try
                    {
                        await ends.Reader.WaitToReadAsync(deadline.Token).AsTask().WaitAsync(look, time, deadline.Token);
                    }
                    catch (TimeoutException)
                    {
                        var retries = await query.RetriesForLostHoldersAsync(store);
                        foreach (var lost in retries.Lost) await CancelAsync(lost, "its worker was lost; the shard is asked of another holder");
                        if (retries.Failed is { } failed) return failed;
                        await StartAsync(retries.Next, ends.Writer);
                    }
                    continue;
                }
                if (!query.Pending.Remove(end.Attempt)) continue;
                // The end carries the record without its large fields (or, from another server, none): the answer is read back.
                var ended = end.Task is null or { Status: TaskState.Succeeded } ? await store.GetTaskAsync(end.Attempt.Definition.Id, CancellationToken.None) : end.Task;
                if (ended is { Status: TaskState.Succeeded, Result: { } result } && Answer(result, plan) is { } answer)
                {
                    query.Answers.Add(answer);
                    continue;
                }
                var why = Why(ended);
                LogShardFailed(logger, plan.Dataset, end.Attempt.Shard.Shard, end.Attempt.Worker, why);
                if (query.Retry(end.Attempt, why) is not { } next) return query.Failed(end.Attempt.Shard.Shard, why);
                await StartAsync([next], ends.Writer);
            }
            return new GroupByOutcome(Merger.Answer(plan, query.Answers, query.Tasks), null, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var late = query.Pending.Select(p => p.Shard.Shard).Order(StringComparer.Ordinal).ToList();
            return new GroupByOutcome(null, late.FirstOrDefault(), $"no answer within {Durations.Format(timeout)} from shard(s) {string.Join(", ", late.Take(10))}", TimedOut: true);
        }
        finally
        {
            // A query given up (an error, a timeout, a client gone) leaves no shard task behind.
            foreach (var attempt in query.Pending.ToList()) await CancelAsync(attempt, "the group-by it served ended");
        }
    }

    private async Task StartAsync(IReadOnlyList<Attempt> attempts, ChannelWriter<(Attempt, TaskRecord?)> ends)
    {
        if (attempts.Count == 0) return;
        // Registered before the tasks exist, so no end is missed (with --store none a task is gone once it ends).
        var registrations = waiter.Register(attempts.Select(a => a.Definition.Id));
        var created = await store.CreateAsync([.. attempts.Select(a => a.Definition)], CancellationToken.None);
        waiter.Created(created.Select(c => c.Task));
        foreach (var attempt in attempts)
            _ = registrations[attempt.Definition.Id].ContinueWith(t => ends.TryWrite((attempt, t.Result)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    private async Task CancelAsync(Attempt attempt, string reason)
    {
        try
        {
            await store.CancelAsync(attempt.Definition.Id, reason, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogCancelFailed(logger, attempt.Definition.Id, ex.Message);
        }
    }

    private static ShardAnswer? Answer(JsonElement result, GroupByPlan plan)
    {
        var answer = result.Deserialize<ShardAnswer>(DroverJson.Options);
        return answer is not null && answer.Generation == plan.Shards[0].Generation ? answer : null;
    }

    private static string Why(TaskRecord? task) => task switch
    {
        null => "the task vanished",
        { Status: TaskState.Succeeded } => "the worker answered for another generation or not as a shard answer",
        { Error: { Length: > 0 } error } => FirstLine(error),
        { Reason: { Length: > 0 } reason } => reason,
        _ => $"the task ended {Enums.Name(task.Status)}",
    };

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Dataset {Dataset}: shard {Shard} failed on worker {Worker} ({Reason}); asking another holder")]
    private static partial void LogShardFailed(ILogger logger, string dataset, string shard, Guid worker, string reason);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Could not cancel shard task {TaskId}: {Reason}")]
    private static partial void LogCancelFailed(ILogger logger, Guid taskId, string reason);

    /// <summary>One shard asked of one worker, as one task.</summary>
    private sealed record Attempt(DatasetShard Shard, Guid Worker, TaskDefinition Definition);

    /// <summary>The state of one group-by: which worker each shard went to, what came back, what is tried.</summary>
    private sealed class Query(GroupByPlan plan, DatasetCatalogue catalogue, IReadOnlyList<WorkerRecord> workers)
    {
        private readonly Dictionary<Guid, int> _load = workers.Where(w => Serves(w, plan.Dataset)).ToDictionary(w => w.Id, w => w.Running);
        private readonly Dictionary<string, HashSet<Guid>> _tried = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _failures = new(StringComparer.Ordinal);

        public HashSet<Attempt> Pending { get; } = [];
        public List<ShardAnswer> Answers { get; } = [];
        public List<Guid> Tasks { get; } = [];

        /// <summary>A task for the least busy holder of the shard not tried yet; null when none is left.</summary>
        public Attempt? Assign(DatasetShard shard)
        {
            var tried = _tried.TryGetValue(shard.Shard, out var t) ? t : _tried[shard.Shard] = [];
            var holder = shard.Workers.Where(w => _load.ContainsKey(w) && !tried.Contains(w) && catalogue.HandlerOf(w) is not null)
                .OrderBy(w => _load[w]).ThenBy(w => HashCode.Combine(w, shard.Shard)).Cast<Guid?>().FirstOrDefault();
            if (holder is not { } worker) return null;
            tried.Add(worker);
            _load[worker]++;
            var definition = new TaskDefinition
            {
                Id = Guid.CreateVersion7(),
                Name = $"{plan.Dataset}/{shard.Shard}",
                Batch = BatchOf(plan.Dataset),
                Handler = catalogue.HandlerOf(worker),
                Args = JsonSerializer.SerializeToElement(plan.QueryFor(shard), DroverJson.Options),
                Priority = ShardPriority,
            };
            var attempt = new Attempt(shard, worker, definition);
            Pending.Add(attempt);
            Tasks.Add(definition.Id);
            return attempt;
        }

        public Attempt? Retry(Attempt failed, string why)
        {
            _failures[failed.Shard.Shard] = why;
            if (_load.ContainsKey(failed.Worker)) _load[failed.Worker]--;
            return Assign(failed.Shard);
        }

        /// <summary>The pending attempts whose worker the store no longer counts as connected, and their next attempts.</summary>
        public async Task<(List<Attempt> Lost, List<Attempt> Next, GroupByOutcome? Failed)> RetriesForLostHoldersAsync(ITaskStore store)
        {
            var lost = new List<Attempt>();
            var next = new List<Attempt>();
            foreach (var worker in Pending.Select(p => p.Worker).Distinct().ToList())
            {
                var record = await store.GetWorkerAsync(worker, CancellationToken.None);
                if (record is not null && Serves(record, plan.Dataset)) continue;
                _load.Remove(worker);
                foreach (var attempt in Pending.Where(p => p.Worker == worker).ToList())
                {
                    Pending.Remove(attempt);
                    lost.Add(attempt);
                    _failures[attempt.Shard.Shard] = "its worker was lost";
                    if (Assign(attempt.Shard) is { } retry) next.Add(retry);
                    else return (lost, next, Failed(attempt.Shard.Shard, "its worker was lost"));
                }
            }
            return (lost, next, null);
        }

        public GroupByOutcome NoHolder(string shard) =>
            new(null, shard, $"no connected worker holds shard '{shard}' of generation {plan.Shards[0].Generation} and takes work now");

        public GroupByOutcome Failed(string shard, string why)
        {
            var tried = _tried.TryGetValue(shard, out var t) ? t.Count : 0;
            return new(null, shard, $"shard '{shard}' failed on every holder ({tried} tried); the last: {why}");
        }

        /// <summary>A worker that takes new work now (paused and draining ones do not) from any batch or the dataset's.</summary>
        private static bool Serves(WorkerRecord worker, string dataset) =>
            worker.Status == WorkerState.Running && (worker.Batch is null || worker.Batch == BatchOf(dataset));
    }
}
