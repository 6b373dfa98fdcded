using System.Reflection;
using Drover.Contracts;
using Drover.Json;
using Drover.Logging;
using Drover.Model;
using Drover.Server.Admin;
using Drover.Server.Auth;
using Drover.Server.Datasets;
using Drover.Server.Dispatch;
using Drover.Server.Hosting;
using Drover.Server.Http;
using Drover.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Endpoints;

/// <summary>
/// Admin calls (admin token only): what runs where, a ping of every worker, a test task, the log level
/// of the server and every worker at run time, stopping the workers or everything. None runs code
/// sent over the network: a worker's side is its admin handler, which knows these orders and no other.
/// </summary>
public static class AdminEndpoints
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(Roles.AdminPolicy).WithTags("admin");
        admin.MapGet("/info", InfoAsync).Produces<AdminInfo>()
            .WithSummary("This server (version, store, log level, uptime), the workers by state and how busy each is, the data they hold, the tasks by state");
        admin.MapPost("/ping", PingAsync).Produces<WorkerAnswer[]>().ProducesValidationProblem()
            .WithSummary("Every connected worker answers a task of its own; each with its round trip, or why it did not (?timeout=5s)");
        admin.MapPost("/sleep", SleepAsync).Audit("admin.sleep").Accepts<SleepRequest>("application/json").Produces<SleepStarted>(StatusCodes.Status201Created)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("A test task that sleeps N seconds on a random worker that takes work");
        admin.MapPost("/loglevel", LogLevelAsync).Audit("admin.loglevel").Accepts<LogLevelRequest>("application/json").Produces<LogLevelChanged>()
            .ProducesValidationProblem().WithSummary("Set the log level of this server and of every connected worker, at run time");
        admin.MapPost("/stop-workers", async (ITaskStore store, CancellationToken ct) => Results.Ok(await DrainAllAsync(store, ct))).Audit("admin.stop-workers")
            .Produces<WorkerRecord[]>().WithSummary("Every connected worker drains (finishes what runs, takes nothing new) and exits");
        admin.MapPost("/stop-all", StopAllAsync).Audit("admin.stop-all").Produces<WorkerRecord[]>(StatusCodes.Status202Accepted)
            .WithSummary("Every connected worker drains and exits, and this server stops once it has answered");
    }

    private static async Task<IResult> InfoAsync(ITaskStore store, DatasetCatalogue catalogue, DroverServerOptions options,
        LogLevelSwitch logLevels, ServerStart start, TimeProvider time, CancellationToken cancellationToken)
    {
        var workers = await store.ListWorkersAsync(cancellationToken);
        var batches = await store.ListBatchesAsync(cancellationToken);
        var datasets = catalogue.Datasets(workers);
        var now = time.GetUtcNow();
        return Results.Ok(new AdminInfo
        {
            Server = new AdminServer
            {
                Version = typeof(AdminEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown",
                Host = Environment.MachineName,
                Pid = Environment.ProcessId,
                Store = options.Store,
                LogLevel = LogLevelSwitch.Name(logLevels.Level),
                Started = start.At,
                UptimeSeconds = Math.Round((now - start.At).TotalSeconds, 1),
            },
            Workers = workers.GroupBy(w => Enums.Name(w.Status)).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            Connected = [.. workers.Where(w => w.Status.IsConnected()).OrderBy(w => w.Name, StringComparer.Ordinal).Select(w => new AdminWorker
            {
                Id = w.Id,
                Name = w.Name,
                Host = w.Hostname,
                State = Enums.Name(w.Status),
                Running = w.Running,
                Concurrency = w.Concurrency,
                Shards = datasets.Sum(d => d.Shards.Count(s => s.Workers.Contains(w.Id))),
            })],
            Tasks = batches.SelectMany(b => b.Counts).GroupBy(c => c.Key, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Value)),
            Datasets = datasets.Count,
            Shards = datasets.Sum(d => d.Shards.Count),
            Rows = datasets.Sum(d => d.Rows),
            Bytes = datasets.Sum(d => d.Bytes),
        });
    }

    private static async Task<IResult> PingAsync(HttpRequest request, WorkerOrders orders, CancellationToken cancellationToken)
    {
        if (TimeoutOf(request, out var timeout) is { } problem) return problem;
        return Results.Ok(await orders.GiveAllAsync(new AdminOrder { Action = "ping" }, timeout, cancellationToken));
    }

    private static async Task<IResult> SleepAsync(HttpRequest request, ITaskStore store, TaskWaiter waiter, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<SleepRequest>(request, cancellationToken);
        if (problem is not null) return problem;
        if (body!.Seconds is not { } seconds || double.IsNaN(seconds) || seconds < 0 || seconds > 86_400)
            return Problems.Invalid("seconds", "must be a number of seconds from 0 to 86400");
        var takers = (await store.ListWorkersAsync(cancellationToken)).Where(WorkerOrders.Takes).ToList();
        if (takers.Count == 0) return Problems.Conflict("No worker takes work.", "No connected worker takes new work now (start one, or resume a paused one).");
        var worker = takers[Random.Shared.Next(takers.Count)];
        var task = WorkerOrders.TaskFor(worker, new AdminOrder { Action = "sleep", Seconds = seconds }) with { Priority = 0 };
        var created = await store.CreateAsync([task], CancellationToken.None);
        waiter.Created(created.Select(c => c.Task));
        return Results.Created($"/api/tasks/{task.Id}", new SleepStarted { Task = task.Id, Worker = worker.Id, Name = worker.Name });
    }

    private static async Task<IResult> LogLevelAsync(HttpRequest request, LogLevelSwitch logLevels, WorkerOrders orders, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<LogLevelRequest>(request, cancellationToken);
        if (problem is not null) return problem;
        if (!LogLevelSwitch.TryRead(body!.Level, out var level)) return Problems.Invalid("level", $"must be {LogLevelSwitch.Names}");
        if (TimeoutOf(request, out var timeout) is { } timeoutProblem) return timeoutProblem;
        logLevels.Level = level;
        var name = LogLevelSwitch.Name(level);
        var workers = await orders.GiveAllAsync(new AdminOrder { Action = "loglevel", Level = name }, timeout, cancellationToken);
        return Results.Ok(new LogLevelChanged { Level = name, Workers = workers });
    }

    private static async Task<IResult> StopAllAsync(HttpContext context, ITaskStore store, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var drained = await DrainAllAsync(store, cancellationToken);
        // After the answer is sent: the caller learns what was stopped, then the server stops as on SIGTERM.
        context.Response.OnCompleted(() =>
        {
            lifetime.StopApplication();
            return Task.CompletedTask;
        });
        return Results.Json(drained, DroverJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<List<WorkerRecord>> DrainAllAsync(ITaskStore store, CancellationToken cancellationToken)
    {
        var drained = new List<WorkerRecord>();
        foreach (var worker in (await store.ListWorkersAsync(cancellationToken)).Where(w => w.Status.IsConnected()))
        {
            if (await store.UpdateWorkerAsync(worker.Id, new WorkerSettings(), drain: true, CancellationToken.None) is { } record) drained.Add(record);
        }
        return drained;
    }

    private static IResult? TimeoutOf(HttpRequest request, out TimeSpan timeout)
    {
        timeout = DefaultTimeout;
        if (request.Query["timeout"] is not [{ } text]) return null;
        if (!Durations.TryParse(text, out timeout) || timeout <= TimeSpan.Zero || timeout > MaxTimeout)
            return Problems.Invalid("timeout", $"'{text}' is not a duration from 1ms to 5m, such as 5s");
        return null;
    }
}
