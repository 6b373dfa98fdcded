using System.Text.Json;
using Drover.Contracts;
using Drover.Model;
using Drover.Validation;

namespace Drover.Storage.Tests;

/// <summary>
/// The store contract, once for every backend: each backend's test class derives from this and only
/// says how to make a fresh store. A known difference is an override with its reason.
/// </summary>
public abstract partial class TaskStoreConformance : IAsyncLifetime
{
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected ManualTime Time { get; } = new();
    protected StoreSignals Signals { get; } = new();
    protected TaskEvents Events { get; } = new();
    // PurgeBatch 2: a purge of three tasks takes two batches, on every store.
    protected StoreOptions Options { get; } = new() { LeaseTimeout = TimeSpan.FromSeconds(30), OutputLimitBytes = 64, PurgeBatch = 2 };
    protected ITaskStore Store { get; set; } = null!;

    protected abstract ITaskStore CreateStore();

    public virtual ValueTask InitializeAsync()
    {
        Store = CreateStore();
        return ValueTask.CompletedTask;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable) await disposable.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether an end may reach a waiter as a notification (no record) before the committing store's own signal.</summary>
    protected virtual bool EndsMayComeWithoutRecords => false;

    protected static TaskDefinition Task(string batch = "b", int priority = 0, int retry = 0, Guid? id = null, string? group = null) => new()
    {
        Id = id ?? Ids.New(),
        Batch = batch,
        Group = group,
        Command = ["echo", "hi"],
        Env = new Dictionary<string, string> { ["A"] = "1" },
        Priority = priority,
        Retry = retry,
        Timeout = TimeSpan.FromSeconds(5),
    };

    protected async Task<Guid> WorkerAsync(string? batch = null, List<string>? handlers = null) =>
        (await Store.RegisterWorkerAsync(new WorkerRegistration { Name = "w", Concurrency = 2, Prefetch = 2, Batch = batch, Handlers = handlers }, Token)).Id;

    protected Task<ReportResult> ReportAsync(Guid worker, params ReportEvent[] events) =>
        Store.ReportAsync(worker, new WorkerReport { Events = [.. events] }, Token);

    protected static ReportEvent Finished(LeasedTask lease, int exitCode, string stdout = "out") => new()
    {
        Type = ReportEventType.Finished,
        ExecutionId = lease.ExecutionId,
        ExitCode = exitCode,
        Stdout = stdout,
        StdoutBytes = stdout.Length,
    };

    protected static ReportEvent Started(LeasedTask lease) => new() { Type = ReportEventType.Started, ExecutionId = lease.ExecutionId };

    [Fact]
    public async Task Create_then_get_returns_every_field()
    {
        var definition = Task() with { Name = "n", Group = "g", Shell = null };
        var created = await Store.CreateAsync([definition], Token);
        Assert.True(created[0].Created);
        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.NotNull(task);
        Assert.Equal(TaskState.Queued, task.Status);
        Assert.Equal("n", task.Name);
        Assert.Equal("g", task.Group);
        Assert.Equal(["echo", "hi"], task.Command);
        Assert.Equal("1", task.Env!["A"]);
        Assert.Equal(TimeSpan.FromSeconds(5), task.Timeout);
        Assert.Equal(Time.GetUtcNow(), task.Submitted);
        Assert.Null(task.Completed);
    }

    [Fact]
    public async Task Handler_args_and_result_round_trip_as_json_as_sent()
    {
        // Kept as their text was sent: spaces, escapes and characters past ASCII included.
        const string args = """{ "x": [1, 2], "s": "caf\u00e9 – ✓\n" }""";
        const string result = """[ "ünïcode", {"ok" : true} ]""";
        var definition = Task() with { Command = null, Handler = "echo", Args = JsonDocument.Parse(args).RootElement };
        await Store.CreateAsync([definition], Token);
        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.Equal(args, task!.Args!.Value.GetRawText());
        var worker = await WorkerAsync(handlers: ["echo"]);
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        Assert.Equal(args, lease.Args!.Value.GetRawText());
        await ReportAsync(worker, Finished(lease, 0) with { Result = JsonDocument.Parse(result).RootElement });
        if (Store.KeepsHistory) Assert.Equal(result, (await Store.GetTaskAsync(definition.Id, Token))!.Result!.Value.GetRawText());
    }

    [Fact]
    public async Task Creating_an_existing_id_returns_it_unchanged()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var again = await Store.CreateAsync([definition with { Name = "changed", Batch = "other" }], Token);
        Assert.False(again[0].Created);
        Assert.Null(again[0].Task.Name);
        Assert.Equal("b", (await Store.GetTaskAsync(definition.Id, Token))!.Batch);
        Assert.Single(await Store.ListTasksAsync(new TaskListFilter(), Token));
    }

    [Fact]
    public async Task An_unsynced_create_makes_the_same_tasks_and_leases_them_before_its_sync()
    {
        var definitions = new[] { Task(), Task() };
        var created = await Store.CreateUnsyncedAsync(definitions, Token);
        Assert.Equal(definitions.Select(d => d.Id), created.Outcomes.Select(o => o.Task.Id));
        Assert.All(created.Outcomes, o => Assert.True(o.Created));
        // Dispatched without waiting for the disk; an existing id is returned unchanged, as by CreateAsync.
        Assert.Equal(2, (await Store.LeaseAsync(await WorkerAsync(), 2, Token)).Count);
        var again = await Store.CreateUnsyncedAsync([definitions[0] with { Name = "changed" }], Token);
        Assert.False(again.Outcomes.Single().Created);
        await System.Threading.Tasks.Task.WhenAll(created.SyncAsync(Token), again.SyncAsync(Token));
        Assert.Equal(TaskState.Assigned, (await Store.GetTaskAsync(definitions[0].Id, Token))!.Status);
    }

    [Fact]
    public async Task Many_tasks_are_created_in_one_call_in_order()
    {
        var definitions = Enumerable.Range(0, 50).Select(_ => Task()).ToList();
        var outcomes = await Store.CreateAsync(definitions, Token);
        Assert.Equal(definitions.Select(d => d.Id), outcomes.Select(o => o.Task.Id));
        var listed = await Store.ListTasksAsync(new TaskListFilter { Limit = 100 }, Token);
        Assert.Equal(definitions.Select(d => d.Id), listed.Select(t => t.Id));
    }

    [Fact]
    public async Task List_filters_and_pages_with_a_cursor()
    {
        await Store.CreateAsync([Task("x"), Task("y"), Task("x"), Task("x")], Token);
        var page1 = await Store.ListTasksAsync(new TaskListFilter { Batch = "x", Limit = 2 }, Token);
        Assert.Equal(2, page1.Count);
        var page2 = await Store.ListTasksAsync(new TaskListFilter { Batch = "x", Limit = 2, After = page1[^1].Id }, Token);
        Assert.Single(page2);
        Assert.All(page1.Concat(page2), t => Assert.Equal("x", t.Batch));
        Assert.Empty(await Store.ListTasksAsync(new TaskListFilter { Status = TaskState.Running }, Token));
    }

    [Fact]
    public async Task Lease_takes_highest_priority_first_then_oldest()
    {
        var low = Task(priority: 0);
        var high = Task(priority: 5);
        var lowLater = Task(priority: 0);
        await Store.CreateAsync([low, high, lowLater], Token);
        var worker = await WorkerAsync();
        var leased = await Store.LeaseAsync(worker, 10, Token);
        Assert.Equal([high.Id, low.Id, lowLater.Id], leased.Select(l => l.TaskId));
        Assert.Empty(await Store.LeaseAsync(worker, 10, Token));
    }

    [Fact]
    public async Task Lease_hands_out_at_most_max_and_never_twice()
    {
        await Store.CreateAsync(Enumerable.Range(0, 10).Select(_ => Task()).ToList(), Token);
        var a = await WorkerAsync();
        var b = await WorkerAsync();
        var first = await Store.LeaseAsync(a, 4, Token);
        var second = await Store.LeaseAsync(b, 100, Token);
        Assert.Equal(4, first.Count);
        Assert.Equal(6, second.Count);
        Assert.Empty(first.Select(l => l.TaskId).Intersect(second.Select(l => l.TaskId)));
        var task = await Store.GetTaskAsync(first[0].TaskId, Token);
        Assert.Equal(TaskState.Assigned, task!.Status);
        Assert.Equal(a, task.WorkerId);
    }

    [Fact]
    public async Task Concurrent_leases_never_share_a_task()
    {
        await Store.CreateAsync(Enumerable.Range(0, 200).Select(_ => Task()).ToList(), Token);
        var workers = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 4).Select(_ => WorkerAsync()));
        var leases = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 40).Select(i => Store.LeaseAsync(workers[i % 4], 7, Token)));
        var ids = leases.SelectMany(l => l).Select(l => l.TaskId).ToList();
        Assert.Equal(200, ids.Count);
        Assert.Equal(200, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_worker_with_a_batch_leases_only_that_batch()
    {
        var mine = Task("mine");
        await Store.CreateAsync([Task("other"), mine], Token);
        var worker = await WorkerAsync(batch: "mine");
        var leased = await Store.LeaseAsync(worker, 10, Token);
        Assert.Equal([mine.Id], leased.Select(l => l.TaskId));
    }

    [Fact]
    public async Task Lease_carries_what_the_worker_needs()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var lease = (await Store.LeaseAsync(await WorkerAsync(), 1, Token))[0];
        Assert.Equal(definition.Id, lease.TaskId);
        Assert.Equal(1, lease.Attempt);
        Assert.Equal(["echo", "hi"], lease.Command);
        Assert.Equal(TimeSpan.FromSeconds(5), lease.Timeout);
        Assert.Equal(Time.GetUtcNow() + Options.LeaseTimeout, lease.LeaseExpires);
    }

    [Fact]
    public async Task A_retried_task_keeps_its_place_in_line()
    {
        var first = Task(retry: 1);
        var second = Task();
        await Store.CreateAsync([first, second], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, Finished(lease, 1));
        Assert.Equal(first.Id, (await Store.LeaseAsync(worker, 1, Token))[0].TaskId);
    }

    [Fact]
    public async Task Output_events_append_and_keep_only_the_tail()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        var chunk = new string('a', 40);
        for (var i = 0; i < 3; i++)
            await ReportAsync(worker, new ReportEvent { Type = ReportEventType.Output, ExecutionId = lease.ExecutionId, Stdout = chunk + i, StdoutBytes = 41 * (i + 1) });
        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.Equal(Options.OutputLimitBytes, task!.Stdout!.Length);
        Assert.EndsWith("a2", task.Stdout);
        Assert.Equal(123, task.StdoutBytes);
    }

    [Fact]
    public async Task Heartbeats_renew_every_lease_the_worker_holds()
    {
        await Store.CreateAsync([Task(), Task()], Token);
        var worker = await WorkerAsync();
        await Store.LeaseAsync(worker, 2, Token);
        for (var i = 0; i < 5; i++)
        {
            Time.Advance(Options.LeaseTimeout / 2);
            await ReportAsync(worker);
            Assert.Equal(0, await Store.ExpireLeasesAsync(Token));
        }
        Assert.Equal(2, (await Store.GetWorkerAsync(worker, Token))!.Running);
        Assert.Equal(WorkerState.Running, (await Store.GetWorkerAsync(worker, Token))!.Status);
    }

    [Fact]
    public async Task A_lease_the_worker_does_not_say_it_holds_is_not_renewed()
    {
        await Store.CreateAsync([Task(), Task()], Token);
        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 2, Token);
        // The worker never got the second lease's answer (the connection broke), so it does not list it.
        Time.Advance(Options.LeaseTimeout / 2);
        await Store.ReportAsync(worker, new WorkerReport { Held = [leases[0].ExecutionId] }, Token);
        Time.Advance(Options.LeaseTimeout / 2 + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Store.ExpireLeasesAsync(Token));
        Assert.Equal(TaskState.Queued, (await Store.GetTaskAsync(leases[1].TaskId, Token))!.Status);
        Assert.Equal(TaskState.Assigned, (await Store.GetTaskAsync(leases[0].TaskId, Token))!.Status);
    }

    [Fact]
    public async Task A_report_with_an_empty_held_list_renews_no_lease()
    {
        await Store.CreateAsync([Task()], Token);
        var worker = await WorkerAsync();
        await Store.LeaseAsync(worker, 1, Token);
        Time.Advance(Options.LeaseTimeout / 2 + TimeSpan.FromSeconds(1));
        await Store.ReportAsync(worker, new WorkerReport { Held = [] }, Token);
        Time.Advance(Options.LeaseTimeout / 2);
        Assert.Equal(1, await Store.ExpireLeasesAsync(Token));
    }

    [Fact]
    public async Task A_released_task_is_queued_again_without_using_a_retry()
    {
        var definition = Task();
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        await ReportAsync(worker, new ReportEvent { Type = ReportEventType.Released, ExecutionId = lease.ExecutionId });
        var task = await Store.GetTaskAsync(definition.Id, Token);
        Assert.Equal(TaskState.Queued, task!.Status);
        Assert.Equal(0, task.Failures);
        Assert.Single(await Store.LeaseAsync(worker, 1, Token));
    }

    [Fact]
    public async Task A_stopped_worker_holds_no_leases_and_gets_no_more()
    {
        await Store.CreateAsync([Task(), Task(), Task()], Token);
        var worker = await WorkerAsync();
        await Store.LeaseAsync(worker, 2, Token);
        await Store.ReportAsync(worker, new WorkerReport { State = WorkerState.Stopped }, Token);
        Assert.Equal(WorkerState.Stopped, (await Store.GetWorkerAsync(worker, Token))!.Status);
        Assert.Equal(3, (await Store.ListTasksAsync(new TaskListFilter { Status = TaskState.Queued }, Token)).Count);
    }

    [Fact]
    public async Task Unknown_workers_are_refused()
    {
        await Assert.ThrowsAsync<UnknownWorkerException>(() => Store.LeaseAsync(Ids.New(), 1, Token));
        await Assert.ThrowsAsync<UnknownWorkerException>(() => ReportAsync(Ids.New()));
    }

    [Fact]
    public async Task A_write_that_fails_fails_alone_among_those_committed_with_it()
    {
        // Writes queued while others commit share a transaction (SQLite's writer groups them): one that
        // throws among them (a report from a worker no one registered) fails alone, and every other is
        // there once, whole, its tasks leasable.
        var worker = await WorkerAsync();
        var creates = new List<Task<IReadOnlyList<CreateOutcome>>>();
        Task<ReportResult>? refused = null;
        for (var i = 0; i < 40; i++)
        {
            creates.Add(Store.CreateAsync([.. Enumerable.Range(0, 25).Select(_ => Task())], Token));
            if (i == 20) refused = ReportOfNoOneAsync();
        }
        await Assert.ThrowsAsync<UnknownWorkerException>(() => refused!);
        var created = (await System.Threading.Tasks.Task.WhenAll(creates)).SelectMany(o => o).ToList();
        Assert.All(created, o => Assert.True(o.Created));
        var leased = await Store.LeaseAsync(worker, 2000, Token);
        Assert.Equal(created.Select(o => o.Task.Id).Order(), leased.Select(l => l.TaskId).Order());

        // Some stores refuse at once rather than in the task they return.
        async Task<ReportResult> ReportOfNoOneAsync() => await Store.ReportAsync(Ids.New(), new WorkerReport(), Token);
    }

    [Fact]
    public async Task Commits_raise_the_ready_and_ended_signals()
    {
        var ready = Signals.TasksReady.WaitHandle;
        var definition = Task();
        var ended = Signals.WhenEnded(definition.Id);
        await Store.CreateAsync([definition], Token);
        await ready.WaitAsync(TimeSpan.FromSeconds(10), Token); // raised right after the commit
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token))[0];
        Assert.False(ended.IsCompleted);
        await ReportAsync(worker, Finished(lease, 0, stdout: "kept output"));
        // The record a wait answers with: the end as committed, without what lists leave out (output,
        // args, result), which the store has kept.
        var record = await ended.WaitAsync(TimeSpan.FromSeconds(10), Token);
        // A store whose ends also come by notification may release the wait with that first (no record).
        if (record is null && EndsMayComeWithoutRecords) return;
        Assert.Equal(TaskState.Succeeded, record!.Status);
        Assert.Equal(0, record.ExitCode);
        Assert.Null(record.Stdout);
        Assert.Equal("kept output".Length, record.StdoutBytes);
        if (Store.KeepsHistory) Assert.Equal("kept output", (await Store.GetTaskAsync(definition.Id, Token))!.Stdout);
    }

    [Fact]
    public async Task Workers_are_listed_with_what_they_registered()
    {
        var id = (await Store.RegisterWorkerAsync(new WorkerRegistration { Name = "alpha", Concurrency = 3, Prefetch = 1, Batch = "b", Hostname = "h", Handlers = ["echo"] }, Token)).Id;
        var worker = Assert.Single(await Store.ListWorkersAsync(Token));
        Assert.Equal(id, worker.Id);
        Assert.Equal("alpha", worker.Name);
        Assert.Equal(3, worker.Concurrency);
        Assert.Equal(1, worker.Prefetch);
        Assert.Equal("b", worker.Batch);
        Assert.Equal(["echo"], worker.Handlers);
        Assert.Equal(WorkerState.Running, worker.Status);
    }

    /// <summary>
    /// Takes from a subscription until <paramref name="done"/> holds (stores may publish just after
    /// answering): every task added, the latest state of every task updated, and whether a resync came.
    /// </summary>
    private static async Task<(Dictionary<Guid, TaskRecord> Added, Dictionary<Guid, TaskRecord> Updated, bool Resync)> TakeUntilAsync(
        TaskSubscription subscription, Func<Dictionary<Guid, TaskRecord>, Dictionary<Guid, TaskRecord>, bool, bool> done)
    {
        var added = new Dictionary<Guid, TaskRecord>();
        var updated = new Dictionary<Guid, TaskRecord>();
        var resync = false;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var wake = subscription.Changed.WaitHandle;
            var waiting = subscription.Take();
            waiting.Added.ForEach(t => added[t.Id] = t);
            waiting.Updated.ForEach(t => updated[t.Id] = t);
            resync |= waiting.Resync;
            if (done(added, updated, resync)) return (added, updated, resync);
            await wake.WaitAsync(deadline.Token);
        }
    }

    [Fact]
    public async Task Followers_get_every_committed_change_added_then_updated()
    {
        using var everything = Events.Subscribe(capacity: 100);
        everything.Follow(everything: true, [], [], []);
        using var byGroup = Events.Subscribe(capacity: 100);
        byGroup.Follow(everything: false, ["g"], [], []);
        var mine = Task(group: "g");
        var other = Task(group: "h");
        await Store.CreateAsync([mine, other], Token);
        var (added, updated, resync) = await TakeUntilAsync(everything, (a, _, _) => a.Count == 2);
        Assert.Equal(new[] { mine.Id, other.Id }.Order(), added.Keys.Order());
        Assert.Empty(updated);
        Assert.False(resync);
        (added, _, _) = await TakeUntilAsync(byGroup, (a, _, _) => a.Count >= 1);
        Assert.Equal([mine.Id], added.Keys); // not the other group's

        var worker = await WorkerAsync();
        var leases = await Store.LeaseAsync(worker, 2, Token);
        await ReportAsync(worker, Finished(leases.Single(l => l.TaskId == mine.Id), 0));
        (added, updated, _) = await TakeUntilAsync(byGroup, (_, u, _) => u.TryGetValue(mine.Id, out var t) && t.Status == TaskState.Succeeded);
        Assert.Empty(added);
        Assert.Equal([mine.Id], updated.Keys); // the other group's changes never arrive

        // A follower too far behind is told to re-read, and nothing waits meanwhile.
        using var small = Events.Subscribe(capacity: 1);
        small.Follow(everything: true, [], [], []);
        Events.Publish([mine.ToQueuedRecord(Time.GetUtcNow(), 1), other.ToQueuedRecord(Time.GetUtcNow(), 2)]);
        var told = small.Take();
        Assert.True(told.Resync);
        Assert.Empty(told.Added.Concat(told.Updated));
    }

    [Fact]
    public async Task Output_goes_to_followers_of_the_task_by_id_once_committed()
    {
        var task = Task(group: "g");
        await Store.CreateAsync([task], Token);
        using var byId = Events.Subscribe(capacity: 100);
        byId.Follow(everything: false, [], [], [task.Id]);
        using var byGroup = Events.Subscribe(capacity: 100);
        byGroup.Follow(everything: false, ["g"], [], []);
        var worker = await WorkerAsync();
        var lease = (await Store.LeaseAsync(worker, 1, Token)).Single();
        await ReportAsync(worker, Started(lease));
        await ReportAsync(worker, new ReportEvent { Type = ReportEventType.Output, ExecutionId = lease.ExecutionId, Stdout = "one\n", StdoutBytes = 4 });
        await ReportAsync(worker, new ReportEvent { Type = ReportEventType.Output, ExecutionId = lease.ExecutionId, Stderr = "two\n", StderrBytes = 4 });

        var chunks = new List<TaskOutputChunk>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (chunks.Count < 2)
        {
            var wake = byId.Changed.WaitHandle;
            chunks.AddRange(byId.Take().Output);
            if (chunks.Count < 2) await wake.WaitAsync(deadline.Token);
        }
        Assert.Equal(["one\n", null], chunks.Select(c => c.Stdout));
        Assert.Equal([null, "two\n"], chunks.Select(c => c.Stderr));
        Assert.All(chunks, c => Assert.Equal((task.Id, lease.ExecutionId), (c.Task, c.Execution)));
        Assert.Empty(byGroup.Take().Output); // a group's output is not sent to its followers
    }

    [Fact]
    public void A_follower_behind_on_output_keeps_the_latest_and_is_told_text_was_dropped()
    {
        var id = Guid.NewGuid();
        using var follower = Events.Subscribe(capacity: 10);
        follower.Follow(everything: false, [], [], [id]);
        var piece = new string('x', TaskSubscription.OutputCapacity / 2);
        Events.PublishOutput([new TaskOutputChunk(id, id, "first", null), new TaskOutputChunk(id, id, piece, null), new TaskOutputChunk(id, id, piece, null), new TaskOutputChunk(id, id, "last", null)]);
        var output = follower.Take().Output;
        Assert.True(output[0].Skipped);
        Assert.Equal("last", output[^1].Stdout);
        Assert.DoesNotContain(output, c => c.Stdout == "first");
        Assert.True(output.Sum(c => c.Length) <= TaskSubscription.OutputCapacity);
    }

    [Fact]
    public async Task A_worker_leases_commands_and_only_the_handlers_it_runs()
    {
        TaskDefinition Handled(string handler, int priority) => Task(priority: priority) with { Command = null, Handler = handler };
        var resize = Handled("resize", priority: 9);
        var count = Handled("count", priority: 5);
        var command = Task(priority: 1);
        await Store.CreateAsync([resize, count, command], Token);
        // The queue gauges' count: queued tasks per handler (commands name none).
        Assert.Equal(new Dictionary<string, long> { ["resize"] = 1, ["count"] = 1 }, await Store.CountQueuedByHandlerAsync(Token));

        var counter = await WorkerAsync(handlers: ["count"]);
        var leased = await Store.LeaseAsync(counter, 10, Token);
        Assert.Equal([count.Id, command.Id], leased.Select(l => l.TaskId)); // by priority, never "resize"
        Assert.Equal(new Dictionary<string, long> { ["resize"] = 1 }, await Store.CountQueuedByHandlerAsync(Token));
        Assert.Empty(await Store.LeaseAsync(counter, 10, Token));
        Assert.Equal(TaskState.Queued, (await Store.GetTaskAsync(resize.Id, Token))!.Status);

        var resizer = await WorkerAsync(handlers: ["resize", "count"]);
        Assert.Equal([resize.Id], (await Store.LeaseAsync(resizer, 10, Token)).Select(l => l.TaskId));
    }

    [Fact]
    public async Task A_container_task_goes_only_to_a_worker_with_a_container_engine()
    {
        var boxed = Task(priority: 9) with { Container = "busybox" };
        var plain = Task(priority: 1);
        await Store.CreateAsync([boxed, plain], Token);

        var bare = await WorkerAsync(handlers: ["count"]);
        Assert.Equal([plain.Id], (await Store.LeaseAsync(bare, 10, Token)).Select(l => l.TaskId));
        Assert.Equal(TaskState.Queued, (await Store.GetTaskAsync(boxed.Id, Token))!.Status);

        var engine = await WorkerAsync(handlers: [ContainerTasks.Capability]);
        var lease = Assert.Single(await Store.LeaseAsync(engine, 10, Token));
        Assert.Equal((boxed.Id, "busybox"), (lease.TaskId, lease.Container));
    }

    [Fact]
    public async Task An_update_changes_a_live_task_and_a_new_priority_reorders_dispatch()
    {
        var first = Task(priority: 5);
        var second = Task(priority: 1);
        await Store.CreateAsync([first, second], Token);
        var outcome = await Store.UpdateAsync(second.Id, new TaskEdit { Priority = 9, Retry = 3, SetsName = true, Name = "urgent", SetsTimeout = true, Timeout = TimeSpan.FromMinutes(2) }, Token);
        Assert.Equal((9, 3, "urgent", TimeSpan.FromMinutes(2)), (outcome.Task!.Priority, outcome.Task.Retry, outcome.Task.Name, outcome.Task.Timeout));
        var stored = (await Store.GetTaskAsync(second.Id, Token))!;
        Assert.Equal((9, 3, "urgent", TimeSpan.FromMinutes(2)), (stored.Priority, stored.Retry, stored.Name, stored.Timeout));

        var worker = await WorkerAsync();
        var leased = await Store.LeaseAsync(worker, 1, Token);
        Assert.Equal(second.Id, leased.Single().TaskId); // now first in line
        Assert.Equal(TimeSpan.FromMinutes(2), leased.Single().Timeout);
        Assert.True((await Store.UpdateAsync(Guid.NewGuid(), new TaskEdit { Priority = 1 }, Token)).NotFound);
        var cleared = await Store.UpdateAsync(second.Id, new TaskEdit { SetsName = true, Name = null, SetsTimeout = true }, Token);
        Assert.Null(cleared.Task!.Name);
        Assert.Null((await Store.GetTaskAsync(second.Id, Token))!.Timeout);
    }

    [Fact]
    public async Task A_new_definition_applies_before_the_task_starts_and_moves_it_to_its_handlers_queue()
    {
        var task = Task();
        await Store.CreateAsync([task], Token);
        var definition = Task() with { Command = null, Handler = "resize", Args = JsonDocument.Parse("""{"w":3}""").RootElement, Env = null };
        var outcome = await Store.UpdateAsync(task.Id, new TaskEdit { Definition = definition }, Token);
        Assert.Equal(("resize", (IReadOnlyList<string>?)null), (outcome.Task!.Handler, outcome.Task.Command));

        Assert.Empty(await Store.LeaseAsync(await WorkerAsync(), 1, Token)); // a worker without the handler gets nothing now
        var lease = (await Store.LeaseAsync(await WorkerAsync(handlers: ["resize"]), 1, Token)).Single();
        Assert.Equal(("resize", """{"w":3}"""), (lease.Handler, lease.Args!.Value.GetRawText()));
        Assert.True((await Store.UpdateAsync(task.Id, new TaskEdit { Definition = Task() }, Token)).TooLate); // leased: too late
        Assert.Equal("resize", (await Store.GetTaskAsync(task.Id, Token))!.Handler);
    }
}
