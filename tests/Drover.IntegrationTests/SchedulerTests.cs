using System.Text.Json;
using Drover.Model;
using Drover.Server.Scheduling;
using Drover.Storage;
using Drover.Storage.Memory;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>
/// Schedules with a clock the test moves by hand (no sleeps): the pure rules (cron with seconds,
/// time zones and their DST days, missed firings, firing ids), and the scheduler over a real memory
/// store: each firing once, with two schedulers (two servers) and after a restart; overlap and
/// catch-up as configured.
/// </summary>
public sealed class SchedulerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;
    private static readonly TimeZoneInfo Paris = ScheduleRules.ParseZone("Europe/Paris")!;

    private sealed class Clock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();

    [Fact]
    public void Cron_in_a_time_zone_follows_its_dst_days_and_seconds_fields_are_taken()
    {
        var daily = ScheduleRules.ParseCron("30 2 * * *", out _)!;
        // 2026-03-29: clocks go from 02:00 to 03:00 in Paris; 02:30 does not exist and the firing comes at 03:00 local (01:00 UTC).
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), ScheduleRules.Next(daily, Paris, Utc("2026-03-28T12:00:00Z")));
        // 2026-10-25: 02:30 happens twice (CEST then CET); it fires once, at the first.
        Assert.Equal(Utc("2026-10-25T00:30:00Z"), ScheduleRules.Next(daily, Paris, Utc("2026-10-24T12:00:00Z")));
        Assert.Equal(Utc("2026-10-26T01:30:00Z"), ScheduleRules.Next(daily, Paris, Utc("2026-10-25T00:30:00Z")));
        // Winter and summer: 02:30 Paris is 01:30 and 00:30 UTC.
        Assert.Equal(Utc("2026-12-07T01:30:00Z"), ScheduleRules.Next(daily, Paris, Utc("2026-12-06T12:00:00Z")));
        Assert.Equal(Utc("2026-07-01T00:30:00Z"), ScheduleRules.Next(daily, Paris, Utc("2026-06-30T12:00:00Z")));

        var everyFive = ScheduleRules.ParseCron("*/5 * * * * *", out _)!;
        Assert.Equal(Utc("2026-12-06T10:00:05Z"), ScheduleRules.Next(everyFive, TimeZoneInfo.Utc, Utc("2026-12-06T10:00:01Z")));

        foreach (var bad in new[] { "", "* * *", "61 * * * *", "* * * * * * *", "0 2 * * mon-xyz", "@daily" })
        {
            Assert.Null(ScheduleRules.ParseCron(bad, out var error));
            Assert.False(string.IsNullOrEmpty(error));
        }
        Assert.Null(ScheduleRules.ParseZone("Mars/Base"));
        Assert.NotNull(ScheduleRules.ParseZone("UTC"));
    }

    [Fact]
    public void What_is_due_recent_firings_run_and_missed_ones_follow_catch_up()
    {
        var daily = ScheduleRules.ParseCron("0 2 * * *", out _)!;
        var now = Utc("2026-12-06T09:00:00Z");
        // Last fired three days ago: three firings were missed; once runs the latest, skip records it.
        var once = ScheduleRules.Plan(daily, TimeZoneInfo.Utc, "once", Utc("2026-12-03T02:00:00Z"), now);
        Assert.Equal([Utc("2026-12-06T02:00:00Z")], once.Fire);
        Assert.Null(once.SkipTo);
        Assert.Equal(Utc("2026-12-07T02:00:00Z"), once.Next);
        var skip = ScheduleRules.Plan(daily, TimeZoneInfo.Utc, "skip", Utc("2026-12-03T02:00:00Z"), now);
        Assert.Empty(skip.Fire);
        Assert.Equal(Utc("2026-12-06T02:00:00Z"), skip.SkipTo);
        // Nothing due: the next firing only.
        var quiet = ScheduleRules.Plan(daily, TimeZoneInfo.Utc, "once", Utc("2026-12-06T02:00:00Z"), now);
        Assert.Empty(quiet.Fire);
        Assert.Null(quiet.SkipTo);

        // A seconds schedule 10 s late: each firing of the last 30 s runs (late, not missed), oldest first.
        var second = ScheduleRules.ParseCron("* * * * * *", out _)!;
        var late = ScheduleRules.Plan(second, TimeZoneInfo.Utc, "skip", now.AddSeconds(-10), now);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => now.AddSeconds(-10 + i)), late.Fire);
        // Down an hour: the last 30 s run, the rest is neither run nor owed.
        var down = ScheduleRules.Plan(second, TimeZoneInfo.Utc, "once", now.AddHours(-1), now);
        Assert.Equal(31, down.Fire.Count);
        Assert.Equal(now, down.Fire[^1]);
        Assert.Null(down.SkipTo);
    }

    [Fact]
    public void A_firing_has_one_id_whoever_makes_it_and_it_is_a_uuid_v7_of_its_time()
    {
        var at = Utc("2026-12-24T18:00:00Z");
        var id = ScheduleRules.FiringId("nightly", at);
        Assert.Equal(id, ScheduleRules.FiringId("nightly", at));
        Assert.NotEqual(id, ScheduleRules.FiringId("nightly", at.AddSeconds(1)));
        Assert.NotEqual(id, ScheduleRules.FiringId("weekly", at));
        Assert.Equal(7, id.Version);
        Assert.Equal(at.ToUnixTimeMilliseconds(), Convert.ToInt64(id.ToString("N")[..12], 16));
    }

    private static (MemoryTaskStore Store, Clock Clock) NewStore()
    {
        var clock = new Clock(Utc("2026-12-06T10:00:00Z"));
        return (new MemoryTaskStore(new StoreOptions(), new StoreSignals(), clock), clock);
    }

    private static ScheduleRecord Schedule(DateTimeOffset created, string cron = "*/10 * * * * *", string overlap = "allow", string catchUp = "once") => new()
    {
        Name = "tick", Cron = cron, Timezone = "UTC", Task = JsonSerializer.SerializeToElement(new { command = new[] { "true" }, batch = "ticks" }),
        Overlap = overlap, CatchUp = catchUp, Created = created, Updated = created,
    };

    private static async Task<List<TaskRecord>> TicksAsync(ITaskStore store) =>
        [.. (await store.ListTasksAsync(new TaskListFilter { Batch = "ticks", Limit = 1000 }, Token)).OrderBy(t => t.Env!["DROVER_SCHEDULED_FOR"], StringComparer.Ordinal)];

    [Fact]
    public async Task Each_firing_makes_one_task_with_two_servers_firing_and_after_a_restart()
    {
        var (store, clock) = NewStore();
        await store.PutScheduleAsync(Schedule(clock.Now), Token);
        var first = new Scheduler(store, store, clock, NullLogger<Scheduler>.Instance);
        var second = new Scheduler(store, store, clock, NullLogger<Scheduler>.Instance);

        Assert.Equal(clock.Now.AddSeconds(10), await first.RunDueAsync(Token));
        Assert.Empty(await TicksAsync(store));
        clock.Now = clock.Now.AddSeconds(10);
        // Two servers at the same moment: one task.
        await Task.WhenAll(first.RunDueAsync(Token), second.RunDueAsync(Token));
        await first.RunDueAsync(Token);
        var ticks = await TicksAsync(store);
        var task = Assert.Single(ticks);
        Assert.Equal(ScheduleRules.FiringId("tick", clock.Now), task.Id);
        Assert.Equal("tick", task.Name);
        Assert.Equal("tick", task.Env!["DROVER_SCHEDULE"]);
        Assert.Equal("2026-12-06T10:00:10.000Z", task.Env["DROVER_SCHEDULED_FOR"]);
        var schedule = (await store.GetScheduleAsync("tick", Token))!;
        Assert.Equal(clock.Now, schedule.LastFire);
        Assert.Equal(task.Id, schedule.LastTask);

        // A restart between creating a firing's task and recording it: the firing is made again, as the same task.
        clock.Now = clock.Now.AddSeconds(10);
        Assert.True((await store.CreateAsync([Validation.TaskSpecValidator.Validate(
            ScheduleRules.TaskFor(schedule, clock.Now, ScheduleRules.FiringId("tick", clock.Now)), new Validation.FieldErrors())!], Token))[0].Created);
        var restarted = new Scheduler(store, store, clock, NullLogger<Scheduler>.Instance);
        await restarted.RunDueAsync(Token);
        Assert.Equal(2, (await TicksAsync(store)).Count);
        Assert.Equal(clock.Now, (await store.GetScheduleAsync("tick", Token))!.LastFire);

        // Down for an hour with catch_up once: the firings of the last 30 s run (4: 10:59:50 to 11:00:20), the older ones are gone.
        clock.Now = clock.Now.AddHours(1);
        await restarted.RunDueAsync(Token);
        ticks = await TicksAsync(store);
        Assert.Equal(6, ticks.Count);
        Assert.Equal(ticks.Count, ticks.Select(t => t.Id).Distinct().Count());
        Assert.Equal(["2026-12-06T11:00:00.000Z", "2026-12-06T11:00:10.000Z", "2026-12-06T11:00:20.000Z"], ticks[^3..].Select(t => t.Env!["DROVER_SCHEDULED_FOR"]));
    }

    [Fact]
    public async Task A_daily_firing_missed_while_down_runs_once_at_start_or_is_skipped()
    {
        foreach (var catchUp in new[] { "once", "skip" })
        {
            var (store, clock) = NewStore();
            await store.PutScheduleAsync(Schedule(clock.Now, cron: "0 2 * * *", catchUp: catchUp), Token);
            clock.Now = Utc("2026-12-09T09:00:00Z"); // three 02:00 firings passed while no server ran
            var scheduler = new Scheduler(store, store, clock, NullLogger<Scheduler>.Instance);
            Assert.Equal(Utc("2026-12-10T02:00:00Z"), await scheduler.RunDueAsync(Token));
            await scheduler.RunDueAsync(Token);
            var ticks = await TicksAsync(store);
            var schedule = (await store.GetScheduleAsync("tick", Token))!;
            Assert.Equal(Utc("2026-12-09T02:00:00Z"), schedule.LastFire);
            if (catchUp == "once")
            {
                Assert.Equal("2026-12-09T02:00:00.000Z", Assert.Single(ticks).Env!["DROVER_SCHEDULED_FOR"]);
                Assert.Equal(0, schedule.Skipped);
            }
            else
            {
                Assert.Empty(ticks);
                Assert.Equal(1, schedule.Skipped);
            }
        }
    }

    [Fact]
    public async Task Overlap_skips_or_cancels_the_previous_task_or_allows_both()
    {
        foreach (var overlap in new[] { "skip", "cancel-previous", "allow" })
        {
            // The memory store has no workers here: every task stays queued, so each firing overlaps the last.
            var (store, clock) = NewStore();
            await store.PutScheduleAsync(Schedule(clock.Now, overlap: overlap), Token);
            var scheduler = new Scheduler(store, store, clock, NullLogger<Scheduler>.Instance);
            for (var i = 0; i < 3; i++)
            {
                clock.Now = clock.Now.AddSeconds(10);
                await scheduler.RunDueAsync(Token);
            }
            var ticks = await TicksAsync(store);
            var schedule = (await store.GetScheduleAsync("tick", Token))!;
            switch (overlap)
            {
                case "skip":
                    Assert.Single(ticks);
                    Assert.Equal(2, schedule.Skipped);
                    Assert.Equal(clock.Now, schedule.LastFire);
                    break;
                case "cancel-previous":
                    Assert.Equal([TaskState.Canceled, TaskState.Canceled, TaskState.Queued], ticks.Select(t => t.Status));
                    Assert.Contains("replaced by its firing", ticks[0].Reason);
                    break;
                default:
                    Assert.Equal([TaskState.Queued, TaskState.Queued, TaskState.Queued], ticks.Select(t => t.Status));
                    break;
            }
        }
    }

    [Fact]
    public async Task A_paused_schedule_does_not_fire()
    {
        var (store, clock) = NewStore();
        await store.PutScheduleAsync(Schedule(clock.Now) with { Paused = true }, Token);
        clock.Now = clock.Now.AddMinutes(5);
        Assert.Null(await new Scheduler(store, store, clock, NullLogger<Scheduler>.Instance).RunDueAsync(Token));
        Assert.Empty(await TicksAsync(store));
    }
}
