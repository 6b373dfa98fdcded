using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Storage;
using Drover.Validation;

namespace Drover.Client;

/// <summary>
/// A typed client for Drover's REST API (API.md). Every method takes a cancellation token; a refusal
/// by the server throws <see cref="DroverApiException"/> with its problem detail. Built without
/// options it is plain: one request per call. With <see cref="DroverClientOptions"/> it is resilient:
/// reads retry through a server restart, tasks get client-chosen ids so that a create is safe to
/// repeat, and the handle-returning writes (<see cref="SubmitAsync(TaskSpec, CancellationToken)"/>,
/// <see cref="SignalAsync"/>, <see cref="CancelAsync"/>) go to an outbox when the server stays
/// unreachable, and return at once.
/// </summary>
public sealed partial class DroverClient : IDisposable, IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _token;
    private readonly RequestSender _sender;
    private readonly Outbox? _outbox;

    public DroverClient(Uri server, string token)
        : this(server, token, DroverClientOptions.FailFast)
    {
    }

    public DroverClient(Uri server, string token, DroverClientOptions options)
        : this(new HttpClient(TrustedCa.Handler(options.CaFile)) { Timeout = Timeout.InfiniteTimeSpan }, server, token, ownsHttp: true, options)
    {
    }

    /// <param name="http">Its timeout should exceed the longest long-poll (wait, lease).</param>
    public DroverClient(HttpClient http, Uri server, string token, bool ownsHttp = false, DroverClientOptions? options = null)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        _token = token;
        _http.BaseAddress = server;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Options = options ?? DroverClientOptions.FailFast;
        _sender = new RequestSender(_http, Options);
        if (Options.Resilient) _outbox = new Outbox(_sender, Options);
    }

    public DroverClientOptions Options { get; }

    /// <summary>A write from the outbox the server refused (with its path): its handle faults too, but a handle may be gone (an outbox file from an earlier process).</summary>
    public event Action<string, DroverApiException>? WriteRefused
    {
        add { if (_outbox is not null) _outbox.Refused += value; }
        remove { if (_outbox is not null) _outbox.Refused -= value; }
    }

    /// <summary>Writes waiting in the outbox for the server.</summary>
    public int Undelivered => _outbox?.Count ?? 0;

    /// <summary>Completes once every write in the outbox so far has been delivered (or refused).</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => _outbox?.FlushAsync(cancellationToken) ?? Task.CompletedTask;

    public Uri Server => _http.BaseAddress!;

    /// <summary>
    /// The events of what <paramref name="follow"/> names, for as long as the caller reads. A resilient
    /// client reconnects by itself and then yields a <see cref="Resync"/> followed by the re-read
    /// records of the followed tasks that may have changed meanwhile, so no change is missed.
    /// </summary>
    public IAsyncEnumerable<TaskEvent> SubscribeAsync(EventFollow follow, CancellationToken cancellationToken) =>
        Subscription.RunAsync(this, follow, cancellationToken);

    /// <summary>Opens <c>GET /api/events</c> as a WebSocket, following what <paramref name="follow"/> names (one connection, no reconnects).</summary>
    public Task<TaskEventStream> FollowAsync(EventFollow follow, CancellationToken cancellationToken) =>
        TaskEventStream.ConnectAsync(Server, _token, TrustedCa.Callback(Options.CaFile), follow, cancellationToken);

    public async Task<TaskRecord> CreateTaskAsync(TaskSpec task, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Post, "api/tasks", WithId(task), CallKind.Write, cancellationToken))!;

    /// <summary>Creates many tasks in one request and one transaction.</summary>
    /// <param name="wait">
    /// Answer only when they have ended, or after this long with them as they are then: submit and
    /// wait in one exchange, and no end can be missed (a <c>--store none</c> server forgets a task the
    /// moment it ends).
    /// </param>
    public async Task<IReadOnlyList<TaskRecord>> CreateTasksAsync(IReadOnlyList<TaskSpec> tasks, CancellationToken cancellationToken, TimeSpan? wait = null) =>
        (await _sender.SendAsync<List<TaskRecord>>(HttpMethod.Post, wait is { } w ? $"api/tasks?wait={Durations.Format(w)}" : "api/tasks",
            tasks.Select(WithId).ToList(), CallKind.Write, cancellationToken, attemptTimeout: wait is { } t ? t + Options.AttemptTimeout : null))!;

    /// <summary>
    /// Runs one task and returns it ended (as a wait answers it: without output, args or result): the
    /// submit waits on the server, so a quick task is one HTTP exchange; one still running after
    /// <see cref="RunWait"/> is waited for as <see cref="WaitAllAsync"/> does.
    /// </summary>
    public async Task<TaskRecord> RunAsync(TaskSpec task, CancellationToken cancellationToken)
    {
        var created = (await CreateTasksAsync([task], cancellationToken, wait: RunWait))[0];
        return Model.TaskStateRules.IsEnded(created.Status) ? created : (await WaitAllAsync([created.Id], cancellationToken)).Single();
    }

    /// <summary>How long <see cref="RunAsync"/>'s submit waits on the server (its longest long-poll is 60 s).</summary>
    private static readonly TimeSpan RunWait = TimeSpan.FromSeconds(30);

    /// <summary>A running task's own record, read with its own token (what a worker does for its .NET handler).</summary>
    public Task<TaskRecord?> GetTaskAsync(Guid id, string taskToken, CancellationToken cancellationToken) =>
        GetOrNullAsync<TaskRecord>($"api/tasks/{id}", cancellationToken, taskToken);

    /// <returns>The task with every field, or null when there is none with this id.</returns>
    public Task<TaskRecord?> GetTaskAsync(Guid id, CancellationToken cancellationToken) =>
        GetOrNullAsync<TaskRecord>($"api/tasks/{id}", cancellationToken);

    public async Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskListFilter filter, CancellationToken cancellationToken)
    {
        var query = new List<string> { $"limit={filter.Limit}" };
        if (filter.Status is { } status) query.Add("status=" + Enums.Name(status));
        if (filter.Batch is { } batch) query.Add("batch=" + Uri.EscapeDataString(batch));
        if (filter.Group is { } group) query.Add("group=" + Uri.EscapeDataString(group));
        if (filter.WorkerId is { } worker) query.Add($"worker_id={worker}");
        if (filter.After is { } after) query.Add($"after={after}");
        return (await _sender.SendAsync<List<TaskRecord>>(HttpMethod.Get, "api/tasks?" + string.Join('&', query), null, CallKind.Read, cancellationToken))!;
    }

    /// <summary>
    /// <c>POST /api/tasks/query</c> with a body as API.md describes it (<c>filter</c>, <c>keys</c>,
    /// <c>sort</c>, <c>skip</c>, <c>limit</c>, <c>count</c>); the answer as JSON, since <c>keys</c>
    /// makes partial records.
    /// </summary>
    public async Task<JsonElement> QueryAsync(JsonElement query, CancellationToken cancellationToken) =>
        await _sender.SendAsync<JsonElement>(HttpMethod.Post, "api/tasks/query", query, CallKind.Read, cancellationToken);

    /// <summary>Whole records (without the large fields) of the tasks a filter selects.</summary>
    public async Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(JsonElement filter, int limit, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks/query", new Dictionary<string, object> { ["filter"] = filter, ["limit"] = limit }, CallKind.Read, cancellationToken))!;

    public async Task<long> CountTasksAsync(JsonElement filter, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<JsonElement>(HttpMethod.Post, "api/tasks/query", new Dictionary<string, object> { ["filter"] = filter, ["count"] = true }, CallKind.Read, cancellationToken))
            .GetProperty("count").GetInt64();

    /// <summary>New tasks with the definitions of these ended ones; all or none.</summary>
    public async Task<IReadOnlyList<TaskRecord>> ResubmitAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks/resubmit", new Dictionary<string, object> { ["ids"] = ids }, CallKind.Once, cancellationToken))!;

    public async Task<IReadOnlyList<TaskRecord>> ResubmitAsync(JsonElement filter, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks/resubmit", new Dictionary<string, object> { ["filter"] = filter }, CallKind.Once, cancellationToken))!;

    /// <summary>Deletes the ended tasks a filter selects; <c>{}</c> selects every one.</summary>
    public async Task<PurgeOutcome> PurgeAsync(JsonElement filter, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<PurgeOutcome>(HttpMethod.Post, "api/tasks/purge", new Dictionary<string, object> { ["filter"] = filter }, CallKind.Write, cancellationToken))!;

    /// <summary>
    /// Changes a task: <c>name</c> (any task), <c>priority</c>, <c>retry</c>, <c>timeout</c> (one that has
    /// not ended), as <c>PATCH /api/tasks/{id}</c> takes them; e.g. <c>new { priority = 10 }</c>, or
    /// <c>new Dictionary&lt;string, object?&gt; { ["name"] = null }</c> to clear the name.
    /// </summary>
    public async Task<TaskRecord> UpdateTaskAsync(Guid id, object changes, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Patch, $"api/tasks/{id}", changes, CallKind.Write, cancellationToken))!;

    /// <summary>Cancels a task that has not ended, and the tasks that require it; returns it as it is now.</summary>
    public async Task<TaskRecord> CancelTaskAsync(Guid id, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/cancel", null, CallKind.Write, cancellationToken))!;

    public async Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<BatchRecord>>(HttpMethod.Get, "api/batches", null, CallKind.Read, cancellationToken))!;

    /// <summary><c>pause</c>, <c>resume</c> or <c>cancel</c> a batch; the server's answer as JSON.</summary>
    public async Task<JsonElement> BatchAsync(string name, string action, CancellationToken cancellationToken) =>
        await _sender.SendAsync<JsonElement>(HttpMethod.Post, $"api/batches/{Uri.EscapeDataString(name)}/{action}", null, CallKind.Write, cancellationToken);

    /// <summary>Deletes the records of a batch whose tasks have all ended; the server's answer as JSON.</summary>
    public async Task<JsonElement> DeleteBatchAsync(string name, CancellationToken cancellationToken) =>
        await _sender.SendAsync<JsonElement>(HttpMethod.Delete, $"api/batches/{Uri.EscapeDataString(name)}", null, CallKind.Write, cancellationToken);

    /// <summary>A running task's status message and progress, with the task's own token (a worker for its .NET handler).</summary>
    public async Task<TaskRecord> SetStatusAsync(Guid id, StatusUpdate status, string taskToken, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/status", status, CallKind.Write, cancellationToken, bearer: taskToken))!;

    /// <summary>A running task's status message and progress, with this client's token (from inside a task: DROVER_TASK_TOKEN).</summary>
    public async Task<TaskRecord> SetStatusAsync(Guid id, StatusUpdate status, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/status", status, CallKind.Write, cancellationToken))!;

    public async Task DeleteTaskAsync(Guid id, CancellationToken cancellationToken) =>
        await _sender.SendAsync<object>(HttpMethod.Delete, $"api/tasks/{id}", null, CallKind.Write, cancellationToken);

    /// <summary>One long-poll: answers when all have ended or at the timeout, whichever comes first.</summary>
    /// <param name="retry">Resubmit a task that ends failed up to this many times and wait for the new attempt; the answer's records are then the latest attempts, its pending ids the ones named.</param>
    public async Task<WaitResponse> WaitAsync(IReadOnlyCollection<Guid> ids, TimeSpan timeout, CancellationToken cancellationToken, int retry = 0) =>
        (await _sender.SendAsync<WaitResponse>(HttpMethod.Post, "api/tasks/wait",
            new WaitRequest { Ids = ids.Select(i => i.ToString()).ToList(), Timeout = timeout, Retry = retry == 0 ? null : retry }, CallKind.Read, cancellationToken,
            attemptTimeout: timeout + Options.AttemptTimeout, read: (body, token) => WaitResponseReader.ReadAsync(body, DroverJson.Options, token)))!;

    /// <summary>
    /// Waits, as long as it takes, until every task has ended; returns their records. More ids than
    /// <see cref="DroverClientOptions.WaitIdsPerRequest"/> are waited for that many at a time (a wait
    /// on 450,000 named them in a body over the server's limit).
    /// </summary>
    public async Task<IReadOnlyList<TaskRecord>> WaitAllAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken, int retry = 0)
    {
        var done = new List<TaskRecord>(ids.Count);
        var perRequest = Math.Max(1, Options.WaitIdsPerRequest);
        IReadOnlyList<Guid> pending = ids as IReadOnlyList<Guid> ?? [.. ids];
        while (pending.Count > 0)
        {
            var asked = pending.Count > perRequest ? [.. pending.Take(perRequest)] : pending;
            var answer = await WaitAsync(asked, TimeSpan.FromSeconds(30), cancellationToken, retry);
            done.AddRange(answer.Done);
            // What is still pending of this request first, then the ids not yet asked about.
            pending = asked.Count == pending.Count ? answer.Pending : [.. answer.Pending, .. pending.Skip(asked.Count)];
        }
        return done;
    }

    public async Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<ExecutionRecord>>(HttpMethod.Get, $"api/tasks/{taskId}/executions", null, CallKind.Read, cancellationToken))!;

    public Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken) =>
        GetOrNullAsync<ExecutionRecord>($"api/executions/{id}", cancellationToken);

    /// <summary>Whether the server answers <c>GET /health</c> within <paramref name="within"/> (no retries).</summary>
    public async Task<bool> IsReachableAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        try
        {
            using var response = await _http.GetAsync("health", deadline.Token);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<WorkerRecord>>(HttpMethod.Get, "api/workers", null, CallKind.Read, cancellationToken))!;

    /// <summary>The .NET handlers the connected workers offer: a task naming another waits queued until a worker offers it.</summary>
    public async Task<IReadOnlyList<HandlerOffer>> ListHandlersAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<HandlerOffer>>(HttpMethod.Get, "api/handlers", null, CallKind.Read, cancellationToken))!;

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken) =>
        GetOrNullAsync<WorkerRecord>($"api/workers/{id}", cancellationToken);

    /// <summary>Changes a worker's concurrency, prefetch, batch or paused state, live.</summary>
    public async Task<WorkerRecord> UpdateWorkerAsync(Guid id, WorkerSettings settings, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<WorkerRecord>(HttpMethod.Patch, $"api/workers/{id}", settings, CallKind.Write, cancellationToken))!;

    /// <summary>Asks a worker to finish what it runs and exit.</summary>
    public async Task<WorkerRecord> DrainWorkerAsync(Guid id, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<WorkerRecord>(HttpMethod.Delete, $"api/workers/{id}", null, CallKind.Write, cancellationToken))!;

    // Writes that return handles: in resilient mode they go to the outbox when the server stays out of reach.

    /// <summary>
    /// Creates a task and returns its handle. Resilient: the id is chosen here, and when the server
    /// cannot be reached within the write timeout the create waits in the outbox and the handle
    /// returns at once (its record loads when first read, once delivered).
    /// </summary>
    public async Task<TaskHandle> SubmitAsync(TaskSpec task, CancellationToken cancellationToken)
    {
        var spec = Identified(task);
        var (delivered, records) = await WriteAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks", new[] { spec }, cancellationToken);
        return new TaskHandle(this, Guid.Parse(spec.Id!), delivered, records?[0]);
    }

    /// <summary>
    /// Creates many tasks in one request (or one outbox entry, in order); their handles, which carry
    /// no record until one is read (<see cref="TaskHandle.GetAsync"/>; <see cref="WaitAllAsync"/>
    /// reads them ended): the server answers with the ids alone (<c>Prefer: return=minimal</c>), which
    /// spares both sides a record per task that a bulk submitter seldom reads.
    /// </summary>
    public async Task<IReadOnlyList<TaskHandle>> SubmitAsync(IReadOnlyList<TaskSpec> tasks, CancellationToken cancellationToken)
    {
        // A fail-fast client leaves the ids to the server (the answer names them, in order): only a
        // write that may wait in the outbox needs them chosen here.
        var specs = tasks.Select(WithId).ToList();
        var (delivered, answer) = await WriteAsync<CreatedIds>(HttpMethod.Post, "api/tasks", specs, cancellationToken, prefer: "return=minimal");
        IReadOnlyList<Guid> ids = answer?.Ids ?? [.. specs.Select(spec => Guid.Parse(spec.Id!))];
        if (ids.Count != specs.Count) throw new InvalidOperationException($"the server answered {ids.Count} ids for {specs.Count} tasks");
        return [.. ids.Select(id => new TaskHandle(this, id, delivered, null))];
    }

    /// <summary>
    /// Enqueues work for a .NET handler that workers offer (<c>AddDroverWorker(o => o.Handle(...))</c>):
    /// <c>var task = await client.EnqueueAsync("resize", new ResizeArgs(...))</c>, then
    /// <c>await task.ResultAsync&lt;ResizeResult&gt;()</c>. <paramref name="template"/> sets the rest
    /// (batch, group, priority, retry, timeout, requires).
    /// </summary>
    public Task<TaskHandle> EnqueueAsync<TArgs>(string handler, TArgs args, TaskSpec? template = null, CancellationToken cancellationToken = default) =>
        SubmitAsync((template ?? new TaskSpec()) with
        {
            Handler = handler,
            Command = null,
            Args = JsonSerializer.SerializeToElement(args, DroverJson.Options),
        }, cancellationToken);

    /// <summary>Pause, resume, term or kill a running task, through the outbox when the server is out of reach.</summary>
    public async Task<TaskHandle> SignalAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken)
    {
        var (delivered, record) = await WriteAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/signal", new SignalRequest { Signal = Enums.Name(signal) }, cancellationToken);
        return new TaskHandle(this, id, delivered, record);
    }

    /// <summary>Changes a task (as <see cref="UpdateTaskAsync"/>), through the outbox when the server is out of reach.</summary>
    public async Task<TaskHandle> UpdateAsync(Guid id, object changes, CancellationToken cancellationToken)
    {
        var (delivered, record) = await WriteAsync<TaskRecord>(HttpMethod.Patch, $"api/tasks/{id}", changes, cancellationToken);
        return new TaskHandle(this, id, delivered, record);
    }

    /// <summary>Cancels a task, through the outbox when the server is out of reach.</summary>
    public async Task<TaskHandle> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        var (delivered, record) = await WriteAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/cancel", null, cancellationToken);
        return new TaskHandle(this, id, delivered, record);
    }

    /// <summary>
    /// Sends a write now (retrying until the write timeout), or — resilient, and the server still out
    /// of reach, or writes already waiting ahead of it — leaves it in the outbox. Returns when it was
    /// (or will be) delivered, and the server's answer if it came now.
    /// </summary>
    private async Task<(Task Delivered, T? Answer)> WriteAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken,
        string? prefer = null) where T : class
    {
        if (_outbox is null || _outbox.Count > 0)
        {
            if (_outbox is null) return (Task.CompletedTask, await _sender.SendAsync<T>(method, path, body, CallKind.Write, cancellationToken, prefer: prefer));
            return (_outbox.Add(method, path, body), null);
        }
        try
        {
            return (Task.CompletedTask, await _sender.SendAsync<T>(method, path, body, CallKind.Write, cancellationToken, prefer: prefer));
        }
        catch (DroverUnavailableException)
        {
            return (_outbox.Add(method, path, body), null);
        }
    }

    // Datasets.

    /// <summary>Every dataset that connected workers hold (<c>GET /api/datasets</c>).</summary>
    public async Task<IReadOnlyList<DatasetRecord>> ListDatasetsAsync(CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<List<DatasetRecord>>(HttpMethod.Get, "api/datasets", null, CallKind.Read, cancellationToken))!;

    public async Task<DatasetRecord> GetDatasetAsync(string name, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<DatasetRecord>(HttpMethod.Get, $"api/datasets/{Uri.EscapeDataString(name)}", null, CallKind.Read, cancellationToken))!;

    /// <summary>
    /// A distributed group-by over a dataset's shards, merged exactly by the server:
    /// <c>GroupByAsync("trips", new GroupBy { By = ["payment_type"], Aggregate = [new("fare_amount", "mean", "avg")], Where = [new("passenger_count", ">", 1)] })</c>.
    /// </summary>
    public async Task<GroupByResult> GroupByAsync(string dataset, GroupBy query, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<GroupByResult>(HttpMethod.Post, $"api/datasets/{Uri.EscapeDataString(dataset)}/groupby", query.ToRequest(), CallKind.Read, cancellationToken))!;

    /// <summary>
    /// Brings a new generation of a dataset to its workers (<c>POST /api/datasets/{name}/distribute</c>): a
    /// download ticket that switches every target worker or none. Follow it with <see cref="GetTicketAsync"/>.
    /// </summary>
    public async Task<DatasetTicket> DistributeAsync(string dataset, Distribution distribution, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<DatasetTicket>(HttpMethod.Post, $"api/datasets/{Uri.EscapeDataString(dataset)}/distribute", distribution.ToRequest(), CallKind.Once, cancellationToken))!;

    /// <summary>Distribution tickets, newest first, with each worker's progress.</summary>
    public async Task<IReadOnlyList<DatasetTicket>> ListTicketsAsync(CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<List<DatasetTicket>>(HttpMethod.Get, "api/datasets/tickets", null, CallKind.Read, cancellationToken))!;

    /// <summary>One ticket; with <paramref name="wait"/>, answered when it has ended or when the wait is over.</summary>
    public async Task<DatasetTicket> GetTicketAsync(Guid id, TimeSpan? wait = null, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<DatasetTicket>(HttpMethod.Get, wait is { } w ? $"api/datasets/tickets/{id}?wait={Durations.Format(w)}" : $"api/datasets/tickets/{id}",
            null, CallKind.Read, cancellationToken, attemptTimeout: wait is { } t ? t + Options.AttemptTimeout : null))!;

    /// <summary>Cancels a running ticket: its workers drop what they staged; the old generation keeps serving.</summary>
    public async Task<DatasetTicket> CancelTicketAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await _sender.SendAsync<DatasetTicket>(HttpMethod.Delete, $"api/datasets/tickets/{id}", null, CallKind.Write, cancellationToken))!;

    // The worker protocol.

    public async Task<WorkerRegistered> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<WorkerRegistered>(HttpMethod.Post, "api/workers", registration, CallKind.Once, cancellationToken))!;

    /// <summary>Tells the server which dataset shards this worker serves now (they changed, or the server asked).</summary>
    public async Task AnnounceShardsAsync(Guid workerId, ShardAnnouncement announcement, CancellationToken cancellationToken) =>
        await _sender.SendAsync<JsonElement>(HttpMethod.Put, $"api/workers/{workerId}/shards", announcement, CallKind.Write, cancellationToken);

    /// <summary>The result cache: the newest succeeded task with this key, or null.</summary>
    public Task<CachedResult?> FindCachedAsync(string key, CancellationToken cancellationToken) =>
        GetOrNullAsync<CachedResult>($"api/cache/{key}", cancellationToken);

    /// <summary>
    /// Opens the worker's channel (a WebSocket): tasks are pushed to <paramref name="onTasks"/> while
    /// the worker has room, signals and settings to <paramref name="onInstructions"/>.
    /// </summary>
    /// <exception cref="System.Net.WebSockets.WebSocketException">Refused (the server has it off) or unreachable: lease over HTTP.</exception>
    public Task<WorkerChannelConnection> OpenWorkerChannelAsync(Guid workerId, Action<IReadOnlyList<LeasedTask>> onTasks,
        Action<IReadOnlyList<SignalCommand>, WorkerControl?> onInstructions, CancellationToken cancellationToken) =>
        WorkerChannelConnection.ConnectAsync(Server, _token, TrustedCa.Callback(Options.CaFile), workerId, onTasks, onInstructions, cancellationToken);

    public async Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, LeaseRequest lease, CancellationToken cancellationToken) =>
        (await LeaseWithSignalsAsync(workerId, lease, cancellationToken)).Tasks;

    /// <summary>The worker protocol's lease: tasks, and signals for executions the worker holds.</summary>
    public async Task<LeaseResponse> LeaseWithSignalsAsync(Guid workerId, LeaseRequest lease, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<LeaseResponse>(HttpMethod.Post, $"api/workers/{workerId}/lease", lease, CallKind.Once, cancellationToken))!;

    /// <summary>Pause, resume, term or kill a running task's process group (term on a task not yet running cancels it).</summary>
    public async Task<TaskRecord> SignalTaskAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/signal", new SignalRequest { Signal = Enums.Name(signal) }, CallKind.Write, cancellationToken))!;

    public async Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<ReportResult>(HttpMethod.Post, $"api/workers/{workerId}/report", report, CallKind.Once, cancellationToken))!;

    // Tasks get their ids here when the client is resilient: a create repeated after a lost answer
    // then finds the task it made instead of making another.
    private TaskSpec WithId(TaskSpec task) => Options.Resilient ? Identified(task) : task;

    private static TaskSpec Identified(TaskSpec task) => task.Id is null ? task with { Id = Ids.New().ToString() } : task;

    /// <summary>Stops the outbox's delivery; writes it still holds are kept in its file, if it has one.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_outbox is not null) await _outbox.DisposeAsync();
        if (_ownsHttp) _http.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken cancellationToken, string? bearer = null) where T : class
    {
        try
        {
            return await _sender.SendAsync<T>(HttpMethod.Get, path, null, CallKind.Read, cancellationToken, bearer: bearer);
        }
        catch (DroverApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
