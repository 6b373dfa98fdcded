using System.Text.Json;
using Drover.Contracts;
using Drover.Model;

namespace Drover.Client;

/// <summary>Schedules (<c>/api/schedules</c>): reading takes a read token, the rest the admin token.</summary>
public sealed partial class DroverClient
{
    public async Task<ScheduleRecord> CreateScheduleAsync(ScheduleSpec schedule, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<ScheduleRecord>(HttpMethod.Post, "api/schedules", schedule, CallKind.Write, cancellationToken))!;

    public async Task<IReadOnlyList<ScheduleRecord>> ListSchedulesAsync(CancellationToken cancellationToken) =>
        (await _sender.SendAsync<List<ScheduleRecord>>(HttpMethod.Get, "api/schedules", null, CallKind.Read, cancellationToken))!;

    /// <returns>The schedule, or null when there is none with this name.</returns>
    public Task<ScheduleRecord?> GetScheduleAsync(string name, CancellationToken cancellationToken) =>
        GetOrNullAsync<ScheduleRecord>($"api/schedules/{Uri.EscapeDataString(name)}", cancellationToken);

    /// <summary>Changes the fields given (cron, timezone, task, overlap, catch_up, paused).</summary>
    public async Task<ScheduleRecord> UpdateScheduleAsync(string name, ScheduleSpec changes, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<ScheduleRecord>(HttpMethod.Patch, $"api/schedules/{Uri.EscapeDataString(name)}", changes, CallKind.Write, cancellationToken))!;

    /// <summary><c>pause</c> or <c>resume</c>.</summary>
    public async Task<ScheduleRecord> ScheduleActionAsync(string name, string action, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<ScheduleRecord>(HttpMethod.Post, $"api/schedules/{Uri.EscapeDataString(name)}/{action}", null, CallKind.Write, cancellationToken))!;

    /// <summary>Creates the schedule's task now, apart from its firings.</summary>
    public async Task<TaskRecord> RunScheduleAsync(string name, CancellationToken cancellationToken) =>
        (await _sender.SendAsync<TaskRecord>(HttpMethod.Post, $"api/schedules/{Uri.EscapeDataString(name)}/run", null, CallKind.Write, cancellationToken))!;

    public async Task DeleteScheduleAsync(string name, CancellationToken cancellationToken) =>
        await _sender.SendAsync<JsonElement>(HttpMethod.Delete, $"api/schedules/{Uri.EscapeDataString(name)}", null, CallKind.Write, cancellationToken);
}
