using System.Reflection;
using Drover.Contracts;
using Drover.Model;
using Drover.Server.Dispatch;
using Drover.Storage;
using Drover.Storage.Memory;
using Drover.Validation;

namespace Drover.IntegrationTests;

/// <summary>
/// The waiter behind <c>POST /api/tasks/wait</c>, in process over a real memory store: every id
/// asked for comes back in exactly one of <c>done</c> and <c>pending</c>, however the ends interleave
/// with the waiter's reads.
/// </summary>
public sealed class TaskWaiterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly StoreSignals _signals = new();
    private readonly MemoryTaskStore _store;

    public TaskWaiterTests() => _store = new MemoryTaskStore(new StoreOptions(), _signals, TimeProvider.System);

    private static TaskDefinition Echo() => new() { Id = Ids.New(), Batch = "b", Command = ["echo"] };

    private async Task<Guid> WorkerAsync() =>
        (await _store.RegisterWorkerAsync(new WorkerRegistration { Name = "w", Concurrency = 100_000 }, Token)).Id;

    private async Task FinishAsync(Guid worker, IReadOnlyList<LeasedTask> leases) =>
        await _store.ReportAsync(worker, new WorkerReport
        {
            Events = [.. leases.Select(l => new ReportEvent { Type = ReportEventType.Finished, ExecutionId = l.ExecutionId, ExitCode = 0 })],
        }, Token);

    [Fact]
    public async Task A_task_that_ends_while_the_waiter_reads_the_others_is_still_answered()
    {
        var early = Echo();
        var late = Echo();
        await _store.CreateAsync([early, late], Token);
        var worker = await WorkerAsync();
        var leases = await _store.LeaseAsync(worker, 2, Token);

        // Both run when the waiter looks; the early one ends before the waiter registers for its end,
        // so the waiter's second look finds it ended and reads its record. That read is held open
        // while the late task ends, after the waiter's timeout has passed.
        var reading = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var store = HeldReads.Wrap(_store,
            (nameof(ITaskReader.LookAsync), () => FinishAsync(worker, [.. leases.Where(l => l.TaskId == early.Id)])),
            (nameof(ITaskReader.GetTasksAsync), async () =>
            {
                reading.TrySetResult();
                await release.Task;
            }));
        var waiter = new TaskWaiter(store, _signals, TimeProvider.System);
        var wait = waiter.WaitAsync([early.Id, late.Id], TimeSpan.FromMilliseconds(1), Token);
        await reading.Task.WaitAsync(Token);
        await FinishAsync(worker, [.. leases.Where(l => l.TaskId == late.Id)]);
        release.SetResult();

        var (response, unknown) = await wait;
        Assert.Empty(unknown);
        Assert.Equal(early.Id, Assert.Single(response!.Done).Id);
        Assert.Equal(late.Id, Assert.Single(response.Pending));
    }

    [Fact]
    public async Task A_task_that_ends_between_the_first_look_and_its_registration_is_answered_done()
    {
        var task = Echo();
        await _store.CreateAsync([task], Token);
        var worker = await WorkerAsync();
        var leases = await _store.LeaseAsync(worker, 1, Token);

        // The waiter's first look finds the task running; it ends before the waiter registers for its
        // end, so no end will ever be signalled to the waiter: only a second look finds it ended.
        var store = HeldReads.Wrap(_store, (nameof(ITaskReader.LookAsync), () => FinishAsync(worker, leases)));
        var waiter = new TaskWaiter(store, _signals, TimeProvider.System);
        var (response, unknown) = await waiter.WaitAsync([task.Id], TimeSpan.FromSeconds(30), Token);

        Assert.Empty(unknown);
        Assert.Equal(TaskState.Succeeded, Assert.Single(response!.Done).Status);
        Assert.Empty(response.Pending);
    }

    [Fact]
    public async Task Tasks_that_ended_before_the_wait_are_answered_from_its_first_look_alone()
    {
        var ended = Echo();
        var queued = Echo();
        await _store.CreateAsync([ended, queued], Token);
        var worker = await WorkerAsync();
        await FinishAsync(worker, await _store.LeaseAsync(worker, 1, Token));

        // The first look carries the ended task's record: no read of records follows (one would throw).
        var store = HeldReads.Wrap(_store, (nameof(ITaskReader.GetTasksAsync), () => throw new InvalidOperationException("a second read of records")));
        var (response, unknown) = await new TaskWaiter(store, _signals, TimeProvider.System).WaitAsync([queued.Id, ended.Id, ended.Id], TimeSpan.Zero, Token);

        Assert.Empty(unknown);
        var done = Assert.Single(response!.Done);
        Assert.Equal((ended.Id, TaskState.Succeeded, "b"), (done.Id, done.Status, done.Batch));
        Assert.Equal(queued.Id, Assert.Single(response.Pending));
    }

    [Fact]
    public async Task A_task_purged_while_the_waiter_reads_it_is_answered_pending_and_the_others_done()
    {
        var kept = Echo();
        var purged = Echo() with { Batch = "purged" };
        await _store.CreateAsync([kept, purged], Token);
        var worker = await WorkerAsync();
        var leases = await _store.LeaseAsync(worker, 2, Token);

        // Both end between the waiter's first look and its registration, so it reads their records;
        // one is purged while it does.
        var store = HeldReads.Wrap(_store,
            (nameof(ITaskReader.LookAsync), () => FinishAsync(worker, leases)),
            (nameof(ITaskReader.GetTasksAsync), async () => await _store.PurgeAsync(
                Drover.Query.FilterParser.Parse(System.Text.Json.JsonDocument.Parse("""{"batch": "purged"}""").RootElement, new FieldErrors())!, Token)));
        var (response, unknown) = await new TaskWaiter(store, _signals, TimeProvider.System).WaitAsync([purged.Id, kept.Id], TimeSpan.FromSeconds(30), Token);

        Assert.Empty(unknown);
        Assert.Equal(kept.Id, Assert.Single(response!.Done).Id);
        Assert.Equal(purged.Id, Assert.Single(response.Pending));
    }

    [Fact]
    public async Task Every_id_asked_for_is_done_or_pending_and_never_both_under_concurrent_ends()
    {
        const int Tasks = 2_000;
        var definitions = Enumerable.Range(0, Tasks).Select(_ => Echo()).ToList();
        await _store.CreateAsync(definitions, Token);
        var worker = await WorkerAsync();
        var leases = (await _store.LeaseAsync(worker, Tasks, Token)).ToList();
        var waiter = new TaskWaiter(_store, _signals, TimeProvider.System);
        var random = new Random(13);

        // Ends arrive in small reports while many short waits over random subsets run beside them.
        var ending = Task.Run(async () =>
        {
            foreach (var chunk in leases.OrderBy(_ => random.Next()).Chunk(7))
            {
                await FinishAsync(worker, chunk);
                await Task.Yield();
            }
        }, Token);
        var ids = definitions.Select(d => d.Id).ToArray();
        var answered = 0;
        while (!ending.IsCompleted || answered < 5)
        {
            var asked = ids.OrderBy(_ => Random.Shared.Next()).Take(Random.Shared.Next(1, 400)).ToList();
            var (response, unknown) = await waiter.WaitAsync(asked, TimeSpan.FromMilliseconds(Random.Shared.Next(0, 3)), Token);
            Assert.Empty(unknown);
            var done = response!.Done.Select(t => t.Id).ToList();
            Assert.Equal(done.Count, done.Distinct().Count());
            Assert.Empty(done.Intersect(response.Pending));
            Assert.Equal(asked.ToHashSet(), done.Concat(response.Pending).ToHashSet());
            Assert.All(response.Done, t => Assert.True(TaskStateRules.IsEnded(t.Status)));
            answered++;
        }
        await ending;
        var (all, _) = await waiter.WaitAsync(ids, TimeSpan.FromSeconds(5), Token);
        Assert.Equal(Tasks, all!.Done.Count);
        Assert.Empty(all.Pending);
    }

    /// <summary>
    /// A store whose reads of task records first await a hook, or whose looks and reads of states await
    /// theirs after reading (their answer is stale by the time it is given); a hook runs once. The rest
    /// passes straight through.
    /// </summary>
    public class HeldReads : DispatchProxy
    {
        private ITaskStore _inner = null!;
        private Dictionary<string, Func<Task>> _holds = null!;

        public static ITaskStore Wrap(ITaskStore inner, params (string Method, Func<Task> Hold)[] holds)
        {
            var proxy = Create<ITaskStore, HeldReads>();
            var wrapper = (HeldReads)(object)proxy;
            wrapper._inner = inner;
            wrapper._holds = holds.ToDictionary(h => h.Method, h => h.Hold);
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (!_holds.Remove(method!.Name, out var hold)) return method.Invoke(_inner, args);
            return method.Name switch
            {
                nameof(ITaskReader.GetTasksAsync) => HeldTasksAsync(hold, args!),
                nameof(ITaskReader.LookAsync) => After(hold, _inner.LookAsync((IReadOnlyCollection<Guid>)args![0]!, (CancellationToken)args[1]!)),
                nameof(ITaskReader.GetStatesAsync) => After(hold, _inner.GetStatesAsync((IReadOnlyCollection<Guid>)args![0]!, (CancellationToken)args[1]!)),
                _ => throw new InvalidOperationException($"no hold for {method.Name}"),
            };
        }

        private async Task<IReadOnlyList<TaskRecord>> HeldTasksAsync(Func<Task> hold, object?[] args)
        {
            await hold();
            return await _inner.GetTasksAsync((IReadOnlyCollection<Guid>)args[0]!, (bool)args[1]!, (CancellationToken)args[2]!);
        }

        private static async Task<T> After<T>(Func<Task> hold, Task<T> read)
        {
            var answer = await read;
            await hold();
            return answer;
        }
    }
}
