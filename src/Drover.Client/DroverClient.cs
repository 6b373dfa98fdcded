using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Storage;

namespace Drover.Client;

/// <summary>
/// A typed client for Drover's REST API (API.md). Every method takes a cancellation token; a refusal
/// by the server throws <see cref="DroverApiException"/> with its problem detail.
/// </summary>
public sealed class DroverClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _token;

    public DroverClient(Uri server, string token)
        : this(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, server, token, ownsHttp: true)
    {
    }

    /// <param name="http">Its timeout should exceed the longest long-poll (wait, lease).</param>
    public DroverClient(HttpClient http, Uri server, string token, bool ownsHttp = false)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        _token = token;
        _http.BaseAddress = server;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri Server => _http.BaseAddress!;

    /// <summary>Opens <c>GET /api/events</c> as a WebSocket, following what <paramref name="follow"/> names.</summary>
    public Task<TaskEventStream> FollowAsync(EventFollow follow, CancellationToken cancellationToken) =>
        TaskEventStream.ConnectAsync(Server, _token, follow, cancellationToken);

    public async Task<TaskRecord> CreateTaskAsync(TaskSpec task, CancellationToken cancellationToken) =>
        (await SendAsync<TaskRecord>(HttpMethod.Post, "api/tasks", task, cancellationToken))!;

    /// <summary>Creates many tasks in one request and one transaction.</summary>
    public async Task<IReadOnlyList<TaskRecord>> CreateTasksAsync(IReadOnlyList<TaskSpec> tasks, CancellationToken cancellationToken) =>
        (await SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks", tasks, cancellationToken))!;

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
        return (await SendAsync<List<TaskRecord>>(HttpMethod.Get, "api/tasks?" + string.Join('&', query), null, cancellationToken))!;
    }

    /// <summary>
    /// <c>POST /api/tasks/query</c> with a body as API.md describes it (<c>filter</c>, <c>keys</c>,
    /// <c>sort</c>, <c>skip</c>, <c>limit</c>, <c>count</c>); the answer as JSON, since <c>keys</c>
    /// makes partial records.
    /// </summary>
    public async Task<JsonElement> QueryAsync(JsonElement query, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement>(HttpMethod.Post, "api/tasks/query", query, cancellationToken);

    /// <summary>Whole records (without the large fields) of the tasks a filter selects.</summary>
    public async Task<IReadOnlyList<TaskRecord>> QueryTasksAsync(JsonElement filter, int limit, CancellationToken cancellationToken) =>
        (await SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks/query", new Dictionary<string, object> { ["filter"] = filter, ["limit"] = limit }, cancellationToken))!;

    public async Task<long> CountTasksAsync(JsonElement filter, CancellationToken cancellationToken) =>
        (await SendAsync<JsonElement>(HttpMethod.Post, "api/tasks/query", new Dictionary<string, object> { ["filter"] = filter, ["count"] = true }, cancellationToken))
            .GetProperty("count").GetInt64();

    /// <summary>New tasks with the definitions of these ended ones; all or none.</summary>
    public async Task<IReadOnlyList<TaskRecord>> ResubmitAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken) =>
        (await SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks/resubmit", new Dictionary<string, object> { ["ids"] = ids }, cancellationToken))!;

    public async Task<IReadOnlyList<TaskRecord>> ResubmitAsync(JsonElement filter, CancellationToken cancellationToken) =>
        (await SendAsync<List<TaskRecord>>(HttpMethod.Post, "api/tasks/resubmit", new Dictionary<string, object> { ["filter"] = filter }, cancellationToken))!;

    /// <summary>Deletes the ended tasks a filter selects; <c>{}</c> selects every one.</summary>
    public async Task<PurgeOutcome> PurgeAsync(JsonElement filter, CancellationToken cancellationToken) =>
        (await SendAsync<PurgeOutcome>(HttpMethod.Post, "api/tasks/purge", new Dictionary<string, object> { ["filter"] = filter }, cancellationToken))!;

    /// <summary>Cancels a task that has not ended, and the tasks that require it; returns it as it is now.</summary>
    public async Task<TaskRecord> CancelTaskAsync(Guid id, CancellationToken cancellationToken) =>
        (await SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/cancel", null, cancellationToken))!;

    public async Task<IReadOnlyList<BatchRecord>> ListBatchesAsync(CancellationToken cancellationToken) =>
        (await SendAsync<List<BatchRecord>>(HttpMethod.Get, "api/batches", null, cancellationToken))!;

    /// <summary><c>pause</c>, <c>resume</c> or <c>cancel</c> a batch; the server's answer as JSON.</summary>
    public async Task<JsonElement> BatchAsync(string name, string action, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement>(HttpMethod.Post, $"api/batches/{Uri.EscapeDataString(name)}/{action}", null, cancellationToken);

    /// <summary>Deletes the records of a batch whose tasks have all ended; the server's answer as JSON.</summary>
    public async Task<JsonElement> DeleteBatchAsync(string name, CancellationToken cancellationToken) =>
        await SendAsync<JsonElement>(HttpMethod.Delete, $"api/batches/{Uri.EscapeDataString(name)}", null, cancellationToken);

    /// <summary>A running task's status message and progress (from inside the task, with its DROVER_TASK_TOKEN).</summary>
    public async Task<TaskRecord> SetStatusAsync(Guid id, StatusUpdate status, CancellationToken cancellationToken) =>
        (await SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/status", status, cancellationToken))!;

    public async Task DeleteTaskAsync(Guid id, CancellationToken cancellationToken) =>
        await SendAsync<object>(HttpMethod.Delete, $"api/tasks/{id}", null, cancellationToken);

    /// <summary>One long-poll: answers when all have ended or at the timeout, whichever comes first.</summary>
    /// <param name="retry">Resubmit a task that ends failed up to this many times and wait for the new attempt; the answer's records are then the latest attempts, its pending ids the ones named.</param>
    public async Task<WaitResponse> WaitAsync(IReadOnlyCollection<Guid> ids, TimeSpan timeout, CancellationToken cancellationToken, int retry = 0) =>
        (await SendAsync<WaitResponse>(HttpMethod.Post, "api/tasks/wait",
            new WaitRequest { Ids = ids.Select(i => i.ToString()).ToList(), Timeout = timeout, Retry = retry == 0 ? null : retry }, cancellationToken))!;

    /// <summary>Waits, as long as it takes, until every task has ended; returns their records.</summary>
    public async Task<IReadOnlyList<TaskRecord>> WaitAllAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken, int retry = 0)
    {
        var done = new List<TaskRecord>();
        IReadOnlyCollection<Guid> pending = ids;
        while (pending.Count > 0)
        {
            var answer = await WaitAsync(pending, TimeSpan.FromSeconds(30), cancellationToken, retry);
            done.AddRange(answer.Done);
            pending = answer.Pending;
        }
        return done;
    }

    public async Task<IReadOnlyList<ExecutionRecord>> ListExecutionsAsync(Guid taskId, CancellationToken cancellationToken) =>
        (await SendAsync<List<ExecutionRecord>>(HttpMethod.Get, $"api/tasks/{taskId}/executions", null, cancellationToken))!;

    public Task<ExecutionRecord?> GetExecutionAsync(Guid id, CancellationToken cancellationToken) =>
        GetOrNullAsync<ExecutionRecord>($"api/executions/{id}", cancellationToken);

    public async Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken) =>
        (await SendAsync<List<WorkerRecord>>(HttpMethod.Get, "api/workers", null, cancellationToken))!;

    public Task<WorkerRecord?> GetWorkerAsync(Guid id, CancellationToken cancellationToken) =>
        GetOrNullAsync<WorkerRecord>($"api/workers/{id}", cancellationToken);

    // The worker protocol.

    public async Task<WorkerRegistered> RegisterWorkerAsync(WorkerRegistration registration, CancellationToken cancellationToken) =>
        (await SendAsync<WorkerRegistered>(HttpMethod.Post, "api/workers", registration, cancellationToken))!;

    public async Task<IReadOnlyList<LeasedTask>> LeaseAsync(Guid workerId, LeaseRequest lease, CancellationToken cancellationToken) =>
        (await LeaseWithSignalsAsync(workerId, lease, cancellationToken)).Tasks;

    /// <summary>The worker protocol's lease: tasks, and signals for executions the worker holds.</summary>
    public async Task<LeaseResponse> LeaseWithSignalsAsync(Guid workerId, LeaseRequest lease, CancellationToken cancellationToken) =>
        (await SendAsync<LeaseResponse>(HttpMethod.Post, $"api/workers/{workerId}/lease", lease, cancellationToken))!;

    /// <summary>Pause, resume, term or kill a running task's process group (term on a task not yet running cancels it).</summary>
    public async Task<TaskRecord> SignalTaskAsync(Guid id, TaskSignal signal, CancellationToken cancellationToken) =>
        (await SendAsync<TaskRecord>(HttpMethod.Post, $"api/tasks/{id}/signal", new SignalRequest { Signal = Enums.Name(signal) }, cancellationToken))!;

    public async Task<ReportResult> ReportAsync(Guid workerId, WorkerReport report, CancellationToken cancellationToken) =>
        (await SendAsync<ReportResult>(HttpMethod.Post, $"api/workers/{workerId}/report", report, cancellationToken))!;

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private async Task<T?> GetOrNullAsync<T>(string path, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await SendAsync<T>(HttpMethod.Get, path, null, cancellationToken);
        }
        catch (DroverApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: DroverJson.Options);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await ToExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent || typeof(T) == typeof(object)) return default;
        return await response.Content.ReadFromJsonAsync<T>(DroverJson.Options, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<DroverApiException> ToExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemDetailsBody? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemDetailsBody>(DroverJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }
        return new DroverApiException(response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? "Error", problem?.Detail, problem?.Errors);
    }
}
