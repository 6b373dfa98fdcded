using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Model;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Server.Scheduling;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>
/// Schedules (<c>/api/schedules</c>): cron expressions in a time zone that create a task at each
/// firing. Reading them takes a read token; making, changing and running them, the admin token (a
/// schedule's tasks run on nobody's behalf but the cluster's).
/// </summary>
public static class ScheduleEndpoints
{
    public static void MapScheduleEndpoints(this IEndpointRouteBuilder app)
    {
        var schedules = app.MapGroup("/api/schedules").RequireAuthorization(Roles.ReadPolicy).WithTags("schedules");
        schedules.MapGet("/", ListAsync).Produces<ScheduleRecord[]>().WithSummary("Every schedule, by name, with its next firing");
        schedules.MapGet("/{name}", GetAsync).Produces<ScheduleRecord>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("One schedule");
        var admin = schedules.MapGroup("/").RequireAuthorization(Roles.AdminPolicy);
        admin.MapPost("/", CreateAsync).Audit("schedule.create").Accepts<ScheduleSpec>("application/json")
            .Produces<ScheduleRecord>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("A schedule: {name, cron, timezone, task, overlap: skip|allow|cancel-previous, catch_up: once|skip}");
        admin.MapPatch("/{name}", UpdateAsync).Audit("schedule.update").Accepts<ScheduleSpec>("application/json")
            .Produces<ScheduleRecord>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Change a schedule's cron, timezone, task, overlap, catch_up or paused");
        admin.MapPost("/{name}/pause", (string name, IScheduleStore store, Scheduler scheduler, TimeProvider time, CancellationToken ct) => SetPausedAsync(name, true, store, scheduler, time, ct))
            .Audit("schedule.pause").Produces<ScheduleRecord>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Stop firing");
        admin.MapPost("/{name}/resume", (string name, IScheduleStore store, Scheduler scheduler, TimeProvider time, CancellationToken ct) => SetPausedAsync(name, false, store, scheduler, time, ct))
            .Audit("schedule.resume").Produces<ScheduleRecord>().ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Fire again; the firings missed while paused follow catch_up (once: the latest runs now; skip: none)");
        admin.MapPost("/{name}/run", RunNowAsync).Audit("schedule.run").Produces<TaskRecord>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Create the schedule's task now, apart from its firings");
        admin.MapDelete("/{name}", DeleteAsync).Audit("schedule.delete").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Delete a schedule (the tasks it made stay)");
    }

    private static async Task<IResult> ListAsync(IScheduleStore store, TimeProvider time, CancellationToken cancellationToken) =>
        Results.Ok((await store.ListSchedulesAsync(cancellationToken)).Select(s => WithNext(s, time.GetUtcNow())).ToList());

    private static async Task<IResult> GetAsync(string name, IScheduleStore store, TimeProvider time, CancellationToken cancellationToken) =>
        await store.GetScheduleAsync(name, cancellationToken) is { } schedule ? Results.Ok(WithNext(schedule, time.GetUtcNow())) : NotFound(name);

    private static async Task<IResult> CreateAsync(HttpRequest request, IScheduleStore store, Scheduler scheduler, TimeProvider time, CancellationToken cancellationToken)
    {
        var (spec, problem) = await JsonBody.ReadAsync<ScheduleSpec>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(spec!.Name)) errors.Add("name", "is required");
        else if (!ValidName(spec.Name)) errors.Add("name", "must be 1 to 200 letters, digits, '.', '_' or '-'");
        if (spec.Cron is null) errors.Add("cron", "is required, e.g. \"0 2 * * *\" (every day at 02:00)");
        if (spec.Task is null) errors.Add("task", "is required: the task each firing creates, as POST /api/tasks takes it");
        var now = time.GetUtcNow();
        var schedule = Apply(new ScheduleRecord
        {
            Name = spec.Name ?? "", Cron = "", Timezone = "UTC", Task = default, Overlap = "skip", CatchUp = "once", Created = now, Updated = now,
        }, spec);
        if (errors.IsEmpty) Check(schedule, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        if (await store.GetScheduleAsync(schedule.Name, cancellationToken) is not null)
            return Problems.Conflict("The schedule exists.", $"There is a schedule named {schedule.Name}; change it with PATCH /api/schedules/{schedule.Name}, or delete it first.");
        await store.PutScheduleAsync(schedule, cancellationToken);
        scheduler.Poke();
        return Results.Created($"/api/schedules/{Uri.EscapeDataString(schedule.Name)}", WithNext(schedule, now));
    }

    private static async Task<IResult> UpdateAsync(string name, HttpRequest request, IScheduleStore store, Scheduler scheduler, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await store.GetScheduleAsync(name, cancellationToken) is not { } current) return NotFound(name);
        var (spec, problem) = await JsonBody.ReadAsync<ScheduleSpec>(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        if (spec!.Name is { } renamed && renamed != name) errors.Add("name", "cannot change (create a schedule with the new name, then delete this one)");
        var schedule = Apply(current, spec) with { Updated = time.GetUtcNow() };
        if (errors.IsEmpty) Check(schedule, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        return await SaveAsync(schedule, store, scheduler, time, cancellationToken);
    }

    private static async Task<IResult> SetPausedAsync(string name, bool paused, IScheduleStore store, Scheduler scheduler, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await store.GetScheduleAsync(name, cancellationToken) is not { } current) return NotFound(name);
        var now = time.GetUtcNow();
        await store.PutScheduleAsync(current with { Paused = paused, Updated = now }, cancellationToken);
        scheduler.Poke();
        return Results.Ok(WithNext((await store.GetScheduleAsync(name, cancellationToken))!, now));
    }

    private static async Task<IResult> RunNowAsync(string name, IScheduleStore store, ITaskStore tasks, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await store.GetScheduleAsync(name, cancellationToken) is not { } schedule) return NotFound(name);
        var errors = new FieldErrors();
        if (TaskSpecValidator.Validate(ScheduleRules.TaskFor(schedule, time.GetUtcNow(), Ids.New()), errors, "task.") is not { } definition) return Problems.Invalid(errors);
        var created = (await tasks.CreateAsync([definition], cancellationToken))[0].Task;
        return Results.Created($"/api/tasks/{created.Id}", created);
    }

    private static async Task<IResult> DeleteAsync(string name, IScheduleStore store, Scheduler scheduler, CancellationToken cancellationToken)
    {
        if (!await store.DeleteScheduleAsync(name, cancellationToken)) return NotFound(name);
        scheduler.Poke();
        return Results.NoContent();
    }

    private static async Task<IResult> SaveAsync(ScheduleRecord schedule, IScheduleStore store, Scheduler scheduler, TimeProvider time, CancellationToken cancellationToken)
    {
        await store.PutScheduleAsync(schedule, cancellationToken);
        scheduler.Poke();
        return Results.Ok(WithNext((await store.GetScheduleAsync(schedule.Name, cancellationToken))!, time.GetUtcNow()));
    }

    private static ScheduleRecord Apply(ScheduleRecord schedule, ScheduleSpec spec) => schedule with
    {
        Cron = spec.Cron ?? schedule.Cron,
        Timezone = spec.Timezone ?? schedule.Timezone,
        Task = spec.Task ?? schedule.Task,
        Overlap = spec.Overlap ?? schedule.Overlap,
        CatchUp = spec.CatchUp ?? schedule.CatchUp,
        Paused = spec.Paused ?? schedule.Paused,
    };

    /// <summary>Every field as it will be used: the cron and zone parse, and the task is one POST /api/tasks would take (without an id or requirements: each firing has its own id, and earlier tasks are not a schedule's to wait for).</summary>
    private static void Check(ScheduleRecord schedule, FieldErrors errors)
    {
        if (ScheduleRules.ParseCron(schedule.Cron, out var cronError) is null) errors.Add("cron", cronError!);
        if (ScheduleRules.ParseZone(schedule.Timezone) is null) errors.Add("timezone", $"'{schedule.Timezone}' is not a time zone this server knows (an IANA name such as Europe/Paris, or UTC)");
        if (!ScheduleRules.Overlaps.Contains(schedule.Overlap)) errors.Add("overlap", $"must be one of {string.Join(", ", ScheduleRules.Overlaps)}");
        if (!ScheduleRules.CatchUps.Contains(schedule.CatchUp)) errors.Add("catch_up", $"must be one of {string.Join(", ", ScheduleRules.CatchUps)}");
        if (schedule.Task.ValueKind != JsonValueKind.Object) { errors.Add("task", "must be a task object, as POST /api/tasks takes it"); return; }
        var spec = JsonBody.Deserialize<TaskSpec>(schedule.Task, errors, "task.");
        if (spec is null) return;
        if (spec.Id is not null) errors.Add("task.id", "cannot be given: each firing's task has an id of its own");
        if (spec.Requires is not null) errors.Add("task.requires", "cannot be given: a schedule's tasks do not wait for earlier tasks");
        TaskSpecValidator.Validate(ScheduleRules.TaskFor(schedule, schedule.Created, Ids.New()), errors, "task.");
    }

    private static bool ValidName(string name) =>
        name.Length <= 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    private static ScheduleRecord WithNext(ScheduleRecord schedule, DateTimeOffset now) =>
        schedule.Paused || ScheduleRules.ParseCron(schedule.Cron, out _) is not { } cron || ScheduleRules.ParseZone(schedule.Timezone) is not { } zone
            ? schedule
            : schedule with { NextFire = ScheduleRules.Next(cron, zone, now) };

    private static IResult NotFound(string name) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such schedule.", detail: $"There is no schedule named {name}.");
}
