using System.Text.Json;
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

    /// <param name="workers">The workers as the plan was made against them (one read of the store per query).</param>
    public async Task<GroupByOutcome> RunAsync(GroupByPlan plan, DatasetCatalogue catalogue, IReadOnlyList<WorkerRecord> workers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var query = new Query(plan, catalogue, workers);
        var round = new TaskRound(store, waiter);
        try
        {
            var first = new List<Attempt>();
            foreach (var shard in plan.Shards)
            {
                if (query.Assign(shard) is not { } attempt) return query.NoHolder(shard.Shard);
                first.Add(attempt);
            }
            await round.StartAsync([.. first.Select(a => (a.Definition, a.Worker))]);
            var look = TaskRound.LookInterval(storeOptions);
            while (round.Pending.Count > 0)
            {
                if (await round.NextAsync(look, time, deadline.Token) is not { } end)
                {
                    var retries = new List<Attempt>();
                    foreach (var (taskId, _) in await round.GiveUpLostAsync(w => Query.Serves(w, plan.Dataset), "its worker was lost; the shard is asked of another holder"))
                    {
                        var lost = query.Attempts[taskId];
                        if (query.Retry(lost, workerLost: true) is not { } retry) return query.Failed(lost.Shard.Shard, "its worker was lost");
                        retries.Add(retry);
                    }
                    await round.StartAsync([.. retries.Select(a => (a.Definition, a.Worker))]);
                    continue;
                }
                var attempt = query.Attempts[end.TaskId];
                if (end.Task is { Status: TaskState.Succeeded, Result: { } result } && Answer(result, plan) is { } answer)
                {
                    query.Answers.Add(answer);
                    continue;
                }
                var why = end.Task is { Status: TaskState.Succeeded } ? "the worker's answer was not a shard answer of this generation" : TaskRound.Why(end.Task);
                LogShardFailed(logger, plan.Dataset, attempt.Shard.Shard, attempt.Worker, why);
                if (query.Retry(attempt, workerLost: false) is not { } next) return query.Failed(attempt.Shard.Shard, why);
                await round.StartAsync([(next.Definition, next.Worker)]);
            }
            return new GroupByOutcome(Merger.Answer(plan, query.Answers, query.Tasks), null, null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var late = round.Pending.Keys.Select(id => query.Attempts[id].Shard.Shard).Order(StringComparer.Ordinal).ToList();
            return new GroupByOutcome(null, late.FirstOrDefault(), $"no answer within {Durations.Format(timeout)} from shard(s) {string.Join(", ", late.Take(10))}", TimedOut: true);
        }
        finally
        {
            // A query given up (an error, a timeout, a client gone) leaves no shard task behind.
            await round.CancelPendingAsync("the group-by it served ended");
        }
    }

    private static ShardAnswer? Answer(JsonElement result, GroupByPlan plan)
    {
        ShardAnswer? answer;
        try
        {
            answer = result.Deserialize<ShardAnswer>(DroverJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
        return answer is not null && answer.Generation == plan.Shards[0].Generation ? answer : null;
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Dataset {Dataset}: shard {Shard} failed on worker {Worker} ({Reason}); asking another holder")]
    private static partial void LogShardFailed(ILogger logger, string dataset, string shard, Guid worker, string reason);

    /// <summary>One shard asked of one worker, as one task.</summary>
    private sealed record Attempt(DatasetShard Shard, Guid Worker, TaskDefinition Definition);

    /// <summary>The state of one group-by: which worker each shard went to, what came back, what is tried.</summary>
    private sealed class Query(GroupByPlan plan, DatasetCatalogue catalogue, IReadOnlyList<WorkerRecord> workers)
    {
        private readonly Dictionary<Guid, int> _load = workers.Where(w => Serves(w, plan.Dataset)).ToDictionary(w => w.Id, w => w.Running);
        private readonly Dictionary<string, HashSet<Guid>> _tried = new(StringComparer.Ordinal);

        public Dictionary<Guid, Attempt> Attempts { get; } = [];
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
            Attempts[definition.Id] = attempt;
            Tasks.Add(definition.Id);
            return attempt;
        }

        /// <summary>The shard asked of its next holder; a lost worker is given nothing more in this query.</summary>
        public Attempt? Retry(Attempt failed, bool workerLost)
        {
            if (workerLost) _load.Remove(failed.Worker);
            else if (_load.ContainsKey(failed.Worker)) _load[failed.Worker]--;
            return Assign(failed.Shard);
        }

        public GroupByOutcome NoHolder(string shard) =>
            new(null, shard, $"no connected worker holds shard '{shard}' of generation {plan.Shards[0].Generation} and takes work now");

        public GroupByOutcome Failed(string shard, string why)
        {
            var tried = _tried.TryGetValue(shard, out var t) ? t.Count : 0;
            return new(null, shard, $"shard '{shard}' failed on every holder ({tried} tried); the last: {why}");
        }

        /// <summary>A worker that takes new work now (paused and draining ones do not) from any batch or the dataset's.</summary>
        public static bool Serves(WorkerRecord worker, string dataset) =>
            worker.Status == WorkerState.Running && (worker.Batch is null || worker.Batch == BatchOf(dataset));
    }
}
