using Drover.Model;
using Drover.Storage;
using Drover.Validation;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Scheduling;

/// <summary>
/// Fires schedules: one timer for the earliest next firing of all of them (no loop per schedule or
/// task), woken early when a schedule changes here, and reading the schedules again at least every
/// <see cref="Reread"/> for changes made through other servers. Each firing creates an ordinary task
/// whose id the firing decides (<see cref="ScheduleRules.FiringId"/>), so servers sharing a database
/// and a server restarting mid-firing make it once. Missed firings (the server was down) follow the
/// schedule's <c>catch_up</c>.
/// </summary>
public sealed partial class Scheduler(ITaskStore store, IScheduleStore schedules, TimeProvider time, ILogger<Scheduler> logger) : NextTimeLoop(time)
{
    public static readonly TimeSpan Reread = TimeSpan.FromSeconds(30);
    private readonly AsyncSignal _changed = new();

    /// <summary>A schedule was created, changed or deleted: look again now.</summary>
    public void Poke() => _changed.Pulse();

    protected override AsyncSignal Wake => _changed;

    protected override TimeSpan Longest => Reread;

    protected override Task<DateTimeOffset?> RoundAsync(CancellationToken cancellationToken) => RunDueAsync(cancellationToken);

    protected override void LogFailed(Exception exception) => Failed(logger, exception);

    /// <summary>Makes every firing due now; returns when the next one is due (null: none).</summary>
    public async Task<DateTimeOffset?> RunDueAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? earliest = null;
        foreach (var schedule in await schedules.ListSchedulesAsync(cancellationToken))
        {
            if (schedule.Paused) continue;
            // Checked when it was saved; a time zone a later machine lacks is said in the log.
            if (ScheduleRules.ParseCron(schedule.Cron, out _) is not { } cron || ScheduleRules.ParseZone(schedule.Timezone) is not { } zone)
            {
                LogUnusable(logger, schedule.Name, schedule.Cron, schedule.Timezone);
                continue;
            }
            var now = Time.GetUtcNow();
            var plan = ScheduleRules.Plan(cron, zone, schedule.CatchUp, schedule.LastFire ?? schedule.Created, now);
            if (plan.SkipTo is { } skipped && await schedules.RecordFiringAsync(schedule.Name, skipped, null, cancellationToken))
                LogMissed(logger, schedule.Name, skipped);
            var last = schedule.LastTask;
            foreach (var at in plan.Fire) last = await FireAsync(schedule, at, last, cancellationToken);
            if (plan.Next is { } next && (earliest is null || next < earliest)) earliest = next;
        }
        return earliest;
    }

    /// <summary>One firing: its task (unless the last one still runs and overlap says skip), recorded. Returns the schedule's last task.</summary>
    private async Task<Guid?> FireAsync(ScheduleRecord schedule, DateTimeOffset at, Guid? previous, CancellationToken cancellationToken)
    {
        if (schedule.Overlap != "allow" && previous is { } prior
            && (await store.GetStatesAsync([prior], cancellationToken)).TryGetValue(prior, out var state) && !TaskStateRules.IsEnded(state))
        {
            if (schedule.Overlap == "skip")
            {
                if (await schedules.RecordFiringAsync(schedule.Name, at, null, cancellationToken)) LogOverlapSkipped(logger, schedule.Name, at, prior);
                return previous;
            }
            await store.CancelAsync(prior, $"schedule {schedule.Name}: replaced by its firing at {at:u}", cancellationToken);
        }
        var id = ScheduleRules.FiringId(schedule.Name, at);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["task_id"] = id, ["schedule"] = schedule.Name });
        var errors = new FieldErrors();
        if (Validation.TaskSpecValidator.Validate(ScheduleRules.TaskFor(schedule, at, id), errors, "task.") is not { } definition)
        {
            LogUnusable(logger, schedule.Name, schedule.Cron, schedule.Timezone);
            return previous;
        }
        var outcome = (await store.CreateAsync([definition], cancellationToken))[0];
        await schedules.RecordFiringAsync(schedule.Name, at, id, cancellationToken);
        if (outcome.Created) LogFired(logger, schedule.Name, at, id);
        return id;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Schedule} fired for {At:u}: task {Task}")]
    private static partial void LogFired(ILogger logger, string schedule, DateTimeOffset at, Guid task);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Schedule}: the firing for {At:u} is skipped, task {Task} from the last one has not ended (overlap: skip)")]
    private static partial void LogOverlapSkipped(ILogger logger, string schedule, DateTimeOffset at, Guid task);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schedule {Schedule}: firings missed while no server ran, up to {At:u}, are skipped (catch_up: skip)")]
    private static partial void LogMissed(ILogger logger, string schedule, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schedule {Schedule} cannot fire here: cron {Cron}, time zone {Timezone}, or its task, is not valid on this server")]
    private static partial void LogUnusable(ILogger logger, string schedule, string cron, string timezone);

    [LoggerMessage(Level = LogLevel.Error, Message = "The scheduler failed; it tries again")]
    private static partial void Failed(ILogger logger, Exception exception);
}
