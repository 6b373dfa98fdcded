using System.Text.Json;
using Drover.Contracts;
using Drover.Dispatch;
using Drover.Json;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Server.Dispatch;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>The task resources of API.md: create, list, get, delete, wait, executions.</summary>
public static class TaskEndpoints
{
    public const int MaxTasksPerRequest = 100_000;
    public const int MaxStatusMessage = 1024;

    public static void MapTaskEndpoints(this IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks").RequireAuthorization(Roles.ReadPolicy).WithTags("tasks");

        tasks.MapPost("/", CreateAsync).RequireAuthorization(Roles.SubmitPolicy)
            .Accepts<TaskSpec>("application/json")
            .Produces<TaskRecord>(StatusCodes.Status201Created)
            .Produces<TaskRecord[]>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .WithSummary("Create one task (an object) or many (an array) in one transaction; ?wait=30s answers when they have ended (or at the timeout, as they are then)");
        tasks.MapGet("/", ListAsync)
            .Produces<TaskRecord[]>()
            .WithSummary("List tasks in submission order; page with after=<last id seen>");
        tasks.MapPost("/{id}/signal", SignalAsync).Audit("task.signal").RequireAuthorization(Roles.SubmitPolicy).Accepts<SignalRequest>("application/json").Produces<TaskRecord>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("pause, resume, term or kill a running task's whole process group; term on a task not yet running cancels it");
        tasks.MapPost("/{id}/cancel", CancelAsync).Audit("task.cancel").RequireAuthorization(Roles.SubmitPolicy).Produces<TaskRecord>().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Cancel a task that has not ended, whatever its state, and the tasks that require it");
        tasks.MapPatch("/{id}", UpdateAsync).Audit("task.update").RequireAuthorization(Roles.SubmitPolicy).Accepts<TaskChanges>("application/json").Produces<TaskRecord>()
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Change a task's name, or the priority, retry and timeout of one that has not ended");
        tasks.MapDelete("/{id}", DeleteAsync).Audit("task.delete").RequireAuthorization(Roles.SubmitPolicy).Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Delete an ended task's record");
        tasks.MapPost("/wait", WaitAsync).Accepts<WaitRequest>("application/json").Produces<WaitResponse>()
            .WithSummary("Wait until every task named has ended, or until the timeout");
        tasks.MapGet("/{id}/executions", ListExecutionsAsync).Produces<ExecutionRecord[]>()
            .WithSummary("Every attempt of a task, oldest first");

        // Outside the group: a running task's own token may call these too, for its own task.
        app.MapGet("/api/tasks/{id}", GetAsync).RequireAuthorization(Roles.TaskReadPolicy).WithTags("tasks")
            .Produces<TaskRecord>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One task with every field (a running task may read its own with its token)");
        app.MapPost("/api/tasks/{id}/status", SetStatusAsync).RequireAuthorization(Roles.StatusPolicy).WithTags("tasks")
            .Accepts<StatusUpdate>("application/json").Produces<TaskRecord>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("A running task's status message and progress (0 to 1); the task's DROVER_TASK_TOKEN may set it");

        app.MapGet("/api/executions/{id}", GetExecutionAsync).RequireAuthorization(Roles.ReadPolicy)
            .WithTags("executions").Produces<ExecutionRecord>().WithSummary("One attempt of a task");
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, ITaskStore store, TaskWaiter waiter, Hosting.DroverServerOptions options, CancellationToken cancellationToken)
    {
        TimeSpan? wait = null;
        if (request.Query["wait"].ToString() is { Length: > 0 } waitText)
        {
            if (!Durations.TryParse(waitText, out var parsed) || parsed < TimeSpan.Zero)
                return Problems.Invalid("wait", $"'{waitText}' is not a duration such as 30s");
            wait = parsed > options.MaxLongPoll ? options.MaxLongPoll : parsed;
        }
        var (root, problem) = await JsonBody.ReadAsync(request, cancellationToken, bulk: true);
        if (problem is not null) return problem;

        var errors = new FieldErrors();
        var forbidden = new FieldErrors();
        var scope = Scope.Of(request.HttpContext.User);
        var definitions = new List<TaskDefinition>();
        var traceParent = TraceParentOf(request, serverTraces: options.OtlpEndpoint is not null);
        var isArray = root.ValueKind == JsonValueKind.Array;
        if (isArray)
        {
            if (root.GetArrayLength() == 0) return Problems.Invalid("body", "must hold at least one task");
            if (root.GetArrayLength() > MaxTasksPerRequest) return Problems.Invalid("body", $"must hold at most {MaxTasksPerRequest} tasks");
            var index = 0;
            foreach (var element in root.EnumerateArray())
            {
                // The answer names the first errors only: checking (and building) 300,000 bad tasks to
                // list 100 of them would cost the memory of them all.
                if (errors.Count >= FieldErrors.MaxKept) break;
                Add(element, $"[{index++}].");
            }
        }
        else
        {
            Add(root, "");
        }
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        if (!forbidden.IsEmpty) return ScopeChecks.Forbidden(forbidden);
        // An id the caller chose that another scope's task has: answered as taken, without that task.
        if (!scope.IsEverything && (await store.GetTasksAsync([.. definitions.Select(d => d.Id)], includeOutput: false, cancellationToken))
                .FirstOrDefault(t => !scope.Contains(t)) is { } taken)
            return Problems.Conflict("The id is taken.", $"Task id {taken.Id} is in use; choose another.");
        var seen = new HashSet<Guid>(definitions.Count);
        if (definitions.FirstOrDefault(d => !seen.Add(d.Id)) is { } duplicate)
            return Problems.Invalid("id", $"{duplicate.Id} appears more than once in the request");
        if (Dependencies.OutsideRequirements(definitions) is { Count: > 0 } outside)
        {
            // A requirement outside the caller's scope is one it cannot name: as if it did not exist.
            var existing = scope.IsEverything
                ? (await store.GetStatesAsync(outside, cancellationToken)).Keys.ToHashSet()
                : (await store.GetTasksAsync(outside, includeOutput: false, cancellationToken)).Where(scope.Contains).Select(t => t.Id).ToHashSet();
            Dependencies.Check(definitions, existing, errors, isArray);
        }
        else if (definitions.Any(d => d.Requires is not null))
        {
            Dependencies.Check(definitions, new HashSet<Guid>(), errors, isArray);
        }
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        // Submit and wait in one request: registered before the tasks exist, so no end can be missed.
        var ends = wait is null ? null : waiter.Register(definitions.Select(d => d.Id));
        IReadOnlyList<CreateOutcome> outcomes;
        List<TaskRecord> records;
        if (ends is null)
        {
            outcomes = await store.CreateAsync(definitions, cancellationToken);
            records = [.. outcomes.Select(o => o.Task)];
        }
        else
        {
            // Acknowledged only in the answer, after the tasks' ends: their commits sync the log, and
            // with it the create's, so the create needs no fsync of its own (SyncAsync makes sure).
            var created = await store.CreateUnsyncedAsync(definitions, cancellationToken);
            outcomes = created.Outcomes;
            records = [.. outcomes.Select(o => o.Task)];
            var answer = await waiter.CollectAsync(ends, records, wait!.Value, cancellationToken);
            var ended = answer.Done.ToDictionary(t => t.Id);
            records = [.. records.Select(t => ended.GetValueOrDefault(t.Id, t))];
            await created.SyncAsync(cancellationToken);
        }
        // Prefer: return=minimal — the ids alone (a bulk submitter that waits afterwards has no use for
        // 150,000 records it would parse, and the server would write). A submit-and-wait answers with records.
        if (ends is null && Preferences.PrefersMinimal(request))
        {
            request.HttpContext.Response.Headers[Preferences.AppliedHeader] = Preferences.ReturnMinimal;
            var ids = new CreatedIds([.. records.Select(t => t.Id)]);
            if (isArray) return Results.Json(ids, DroverJson.Options, statusCode: StatusCodes.Status201Created);
            return outcomes[0].Created ? Results.Created($"/api/tasks/{records[0].Id}", ids) : Results.Ok(ids);
        }
        if (isArray) return Results.Json(records, DroverJson.Options, statusCode: StatusCodes.Status201Created);
        return outcomes[0].Created
            ? Results.Created($"/api/tasks/{records[0].Id}", records[0])
            : Results.Ok(records[0]);

        void Add(JsonElement element, string prefix)
        {
            // The plain form without the serializer; anything else (and every error) through it.
            var spec = TaskSpecElements.TryRead(element, out var plain) ? plain : JsonBody.Deserialize<TaskSpec>(element, errors, prefix);
            if (spec is not null) spec = ScopeChecks.Apply(scope, spec, forbidden, prefix);
            if (spec is not null && TaskSpecValidator.Validate(spec, errors, prefix) is { } definition) definitions.Add(Traced(definition, traceParent));
        }
    }

    /// <summary>
    /// The trace a task joins: the server's span of this request when the server records its traces
    /// (--otlp), else the caller's W3C traceparent header if it sent a valid one (a span nobody
    /// exports would leave the task's spans under a parent no collector has); null for none.
    /// </summary>
    private static string? TraceParentOf(HttpRequest request, bool serverTraces)
    {
        if (serverTraces && System.Diagnostics.Activity.Current is { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } current) return current.Id;
        var header = request.Headers["traceparent"].ToString();
        return header.Length > 0 && System.Diagnostics.ActivityContext.TryParse(header, null, out _) ? header : null;
    }

    /// <summary>The task with the trace in its environment (TRACEPARENT), unless it names one itself.</summary>
    private static TaskDefinition Traced(TaskDefinition definition, string? traceParent)
    {
        if (traceParent is null || definition.Env?.ContainsKey(Drover.Observability.TaskTraces.TraceParentVariable) == true) return definition;
        var env = new Dictionary<string, string>(definition.Env ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [Drover.Observability.TaskTraces.TraceParentVariable] = traceParent,
        };
        return definition with { Env = env };
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        var scope = Scope.Of(request.HttpContext.User);
        var query = request.Query;
        var errors = new FieldErrors();
        TaskState? status = null;
        if (query["status"].ToString() is { Length: > 0 } s)
        {
            if (Enums.TryParse<TaskState>(s, out var parsed)) status = parsed;
            else errors.Add("status", $"must be one of {string.Join(", ", Enums.AllNames<TaskState>())}");
        }
        Guid? worker = ParseId(query["worker_id"], "worker_id");
        Guid? after = ParseId(query["after"], "after");
        var limit = TaskListFilter.DefaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit < 1 || limit > TaskListFilter.MaxLimit))
            errors.Add("limit", $"must be a whole number from 1 to {TaskListFilter.MaxLimit}");
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        var filter = new TaskListFilter
        {
            Status = status,
            Batch = Empty(query["batch"]),
            Group = Empty(query["group"]),
            WorkerId = worker,
            After = after,
            Limit = limit,
            InGroups = scope.Groups,
            InBatches = scope.Batches,
        };
        return Results.Ok(await store.ListTasksAsync(filter, cancellationToken));

        Guid? ParseId(string? text, string field)
        {
            if (string.IsNullOrEmpty(text)) return null;
            if (Ids.TryParse(text, out var id)) return id;
            errors.Add(field, $"'{text}' is not a UUID");
            return null;
        }

        static string? Empty(string? text) => string.IsNullOrEmpty(text) ? null : text;
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        var task = await store.GetTaskAsync(taskId, cancellationToken);
        // A task token reads only its own task, and only while that execution runs.
        if (context.User.FindFirst(Roles.ExecutionClaim)?.Value is { } claim
            && (task is null || task.ExecutionId?.ToString() != claim || !TaskStateRules.IsLeased(task.Status)))
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"The task token is good only for its own task while its execution {claim} runs.");
        return task is null || !Scope.Of(context.User).Contains(task) ? Problems.NotFound("task", [taskId], store) : Results.Ok(task);
    }

    private static async Task<IResult> SignalAsync(string id, HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        if (await ScopeChecks.OutsideAsync(request.HttpContext.User, store, [taskId], cancellationToken) is { } outside) return outside;
        var (body, bodyProblem) = await JsonBody.ReadAsync<SignalRequest>(request, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        if (!Enums.TryParse<TaskSignal>(body!.Signal, out var signal))
            return Problems.Invalid("signal", $"must be one of {string.Join(", ", Enums.AllNames<TaskSignal>())}");

        var outcome = await store.SignalAsync(taskId, signal, cancellationToken);
        if (outcome.NotFound) return Problems.NotFound("task", [taskId], store);
        if (!outcome.NotLeased) return Results.Ok(outcome.Task);
        var task = outcome.Task!;
        if (signal == TaskSignal.Term && !TaskStateRules.IsEnded(task.Status))
        {
            // Not started yet: terminating it means it never runs.
            var canceled = await store.CancelAsync(taskId, "terminated by request before it ran", cancellationToken);
            if (canceled.Task is { } now && !canceled.AlreadyEnded) return Results.Ok(now);
            task = canceled.Task ?? task;
        }
        return Problems.Conflict("The task is not running.",
            $"Task {taskId} is {Enums.Name(task.Status)}: {Enums.Name(signal)} applies to a running task" +
            (TaskStateRules.IsEnded(task.Status) ? "." : " (term or cancel stops it from running)."));
    }

    private static async Task<IResult> SetStatusAsync(string id, HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        var (status, bodyProblem) = await JsonBody.ReadAsync<StatusUpdate>(request, cancellationToken);
        if (bodyProblem is not null) return bodyProblem;
        var errors = new FieldErrors();
        if (status!.Progress is { } p && (double.IsNaN(p) || p < 0 || p > 1)) errors.Add("progress", "must be from 0 to 1");
        if (status.Message is { Length: > MaxStatusMessage }) errors.Add("message", $"must be at most {MaxStatusMessage} characters");
        if (status.Message is null && status.Progress is null) errors.Add("body", "must give a message, a progress, or both");
        if (!errors.IsEmpty) return Problems.Invalid(errors);

        // A task token speaks only for its own execution.
        Guid? execution = request.HttpContext.User.FindFirst(Roles.ExecutionClaim)?.Value is { } claim ? Guid.Parse(claim) : null;
        var outcome = await store.SetStatusAsync(taskId, execution, status, cancellationToken);
        if (outcome.NotFound) return Problems.NotFound("task", [taskId], store);
        if (outcome.NotLeased)
            return Problems.Conflict("The task is not running.", execution is null
                ? $"Task {taskId} is {Enums.Name(outcome.Task!.Status)}; only a running task has a status."
                : $"The token is for execution {execution}, which is not task {taskId}'s running execution.");
        return Results.Ok(outcome.Task);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        if (await ScopeChecks.OutsideAsync(request.HttpContext.User, store, [taskId], cancellationToken) is { } outside) return outside;
        // A new definition may carry large args, as a new task may.
        var (body, bodyProblem) = await JsonBody.ReadAsync(request, cancellationToken, bulk: true);
        if (bodyProblem is not null) return bodyProblem;
        // Read first: a new definition is checked whole, and keeps the env it does not replace.
        if (await store.GetTaskAsync(taskId, cancellationToken) is not { } current) return Problems.NotFound("task", [taskId], store);
        var errors = new FieldErrors();
        if (TaskChangesValidator.Validate(body, current, errors) is not { } edit) return Problems.Invalid(errors);
        var outcome = await store.UpdateAsync(taskId, edit, cancellationToken);
        if (outcome.NotFound) return Problems.NotFound("task", [taskId], store);
        if (outcome.TooLate)
        {
            var status = Enums.Name(outcome.Task!.Status);
            return edit.Definition is not null && !TaskStateRules.IsEnded(outcome.Task.Status)
                ? Problems.Conflict("The task has started.", $"Task {taskId} is {status}: its definition can change only before it starts (cancel it and submit anew).")
                : Problems.Conflict("The task has already ended.", $"Task {taskId} ended {status}: only its name can change (resubmit it to run it again differently).");
        }
        return Results.Ok(outcome.Task);
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext context, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        if (await ScopeChecks.OutsideAsync(context.User, store, [taskId], cancellationToken) is { } outside) return outside;
        var outcome = await store.CancelAsync(taskId, "canceled by request", cancellationToken);
        if (outcome.NotFound) return Problems.NotFound("task", [taskId], store);
        if (outcome.AlreadyEnded)
            return Problems.Conflict("The task has already ended.", $"Task {taskId} ended {Enums.Name(outcome.Task!.Status)}; there is nothing to cancel.");
        return Results.Ok(outcome.Task);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        if (await ScopeChecks.OutsideAsync(context.User, store, [taskId], cancellationToken) is { } outside) return outside;
        return await store.DeleteAsync(taskId, cancellationToken) switch
        {
            DeleteOutcome.Deleted => Results.NoContent(),
            DeleteOutcome.NotFound => Problems.NotFound("task", [taskId], store),
            _ => Problems.Conflict("The task has not ended.", $"Task {taskId} is still live; cancel it or wait for it before deleting it."),
        };
    }

    private static async Task<IResult> WaitAsync(HttpRequest request, Join join, ITaskStore store, Hosting.DroverServerOptions options, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<WaitRequest>(request, cancellationToken, bulk: true);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        var ids = new List<Guid>();
        if (body!.Ids is not { Count: > 0 }) errors.Add("ids", "must name at least one task");
        foreach (var text in body.Ids ?? [])
        {
            if (Ids.TryParse(text, out var id)) ids.Add(id);
            else errors.Add("ids", $"'{text}' is not a UUID");
        }
        var timeout = body.Timeout ?? TimeSpan.FromSeconds(30);
        if (timeout < TimeSpan.Zero) errors.Add("timeout", "must not be negative");
        if (timeout > options.MaxLongPoll) timeout = options.MaxLongPoll;
        if (body.Retry is < 0 or > Join.MaxRetry) errors.Add("retry", $"must be from 0 to {Join.MaxRetry}");
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        if (await ScopeChecks.OutsideAsync(request.HttpContext.User, store, ids, cancellationToken) is { } outside) return outside;

        var (response, unknown) = await join.WaitAsync(ids, timeout, body.Retry ?? 0, cancellationToken);
        return response is not null ? Results.Ok(response) : Problems.NotFound("task", unknown, store);
    }

    private static async Task<IResult> ListExecutionsAsync(string id, HttpContext context, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem)) return problem!;
        if (await ScopeChecks.OutsideAsync(context.User, store, [taskId], cancellationToken) is { } outside) return outside;
        if (await store.GetTasksAsync([taskId], includeOutput: false, cancellationToken) is { Count: 0 })
            return Problems.NotFound("task", [taskId], store);
        return Results.Ok(await store.ListExecutionsAsync(taskId, cancellationToken));
    }

    private static async Task<IResult> GetExecutionAsync(string id, HttpContext context, ITaskStore store, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var executionId, out var problem)) return problem!;
        var execution = await store.GetExecutionAsync(executionId, cancellationToken);
        if (execution is not null && await ScopeChecks.OutsideAsync(context.User, store, [execution.TaskId], cancellationToken) is not null) execution = null;
        return execution is null ? Problems.NotFound("execution", [executionId], store) : Results.Ok(execution);
    }
}
