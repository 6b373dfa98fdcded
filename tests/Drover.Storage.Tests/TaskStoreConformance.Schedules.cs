using System.Text.Json;
using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Schedules: kept by every backend, <c>--store none</c> included (they are not tasks); the firing state moves forward only.</summary>
public abstract partial class TaskStoreConformance
{
    private IScheduleStore Schedules => (IScheduleStore)Store;

    private ScheduleRecord Schedule(string name, string cron = "0 2 * * *") => new()
    {
        Name = name, Cron = cron, Timezone = "Europe/Paris", Task = JsonSerializer.SerializeToElement(new { command = "echo hi", shell = true }),
        Overlap = "skip", CatchUp = "once", Created = Time.GetUtcNow(), Updated = Time.GetUtcNow(),
    };

    [Fact]
    public async Task Schedules_are_kept_by_name_and_replacing_one_keeps_its_creation_and_firing_state()
    {
        Assert.True(await Schedules.PutScheduleAsync(Schedule("nightly"), Token));
        Assert.True(await Schedules.PutScheduleAsync(Schedule("hourly", "0 * * * *"), Token));
        var created = Time.GetUtcNow();
        var fired = created.AddMinutes(5);
        var task = Guid.NewGuid();
        Assert.True(await Schedules.RecordFiringAsync("nightly", fired, task, Token));
        Time.Advance(TimeSpan.FromMinutes(10));

        // A new definition: the firing state and the creation time stay (what is written with it is ignored).
        Assert.False(await Schedules.PutScheduleAsync(Schedule("nightly", "30 3 * * *") with
        {
            Paused = true, Created = Time.GetUtcNow(), Updated = Time.GetUtcNow(), LastFire = Time.GetUtcNow(), LastTask = Guid.NewGuid(), Skipped = 7,
        }, Token));
        var nightly = (await Schedules.GetScheduleAsync("nightly", Token))!;
        Assert.Equal("30 3 * * *", nightly.Cron);
        Assert.True(nightly.Paused);
        Assert.Equal(created, nightly.Created);
        Assert.Equal(Time.GetUtcNow(), nightly.Updated);
        Assert.Equal(fired, nightly.LastFire);
        Assert.Equal(task, nightly.LastTask);
        Assert.Equal(0, nightly.Skipped);
        Assert.Equal("echo hi", nightly.Task.GetProperty("command").GetString());
        Assert.Equal("Europe/Paris", nightly.Timezone);

        Assert.Equal(["hourly", "nightly"], (await Schedules.ListSchedulesAsync(Token)).Select(s => s.Name));
        Assert.Null(await Schedules.GetScheduleAsync("weekly", Token));
        Assert.True(await Schedules.DeleteScheduleAsync("hourly", Token));
        Assert.False(await Schedules.DeleteScheduleAsync("hourly", Token));
        Assert.Equal(["nightly"], (await Schedules.ListSchedulesAsync(Token)).Select(s => s.Name));
    }

    [Fact]
    public async Task A_firing_is_recorded_once_and_only_forward_and_a_skipped_one_is_counted()
    {
        await Schedules.PutScheduleAsync(Schedule("every"), Token);
        var first = Time.GetUtcNow().AddSeconds(1);
        var task = Guid.NewGuid();
        Assert.True(await Schedules.RecordFiringAsync("every", first, task, Token));
        // The same firing again (another server, a restart), or an older one: nothing changes.
        Assert.False(await Schedules.RecordFiringAsync("every", first, Guid.NewGuid(), Token));
        Assert.False(await Schedules.RecordFiringAsync("every", first.AddSeconds(-1), Guid.NewGuid(), Token));
        // A later firing skipped for overlap: counted, the last task kept.
        Assert.True(await Schedules.RecordFiringAsync("every", first.AddSeconds(1), null, Token));
        var every = (await Schedules.GetScheduleAsync("every", Token))!;
        Assert.Equal(first.AddSeconds(1), every.LastFire);
        Assert.Equal(task, every.LastTask);
        Assert.Equal(1, every.Skipped);
        Assert.False(await Schedules.RecordFiringAsync("gone", first, task, Token));
    }
}
