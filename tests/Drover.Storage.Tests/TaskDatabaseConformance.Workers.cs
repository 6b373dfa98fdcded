using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Worker settings changed live: what is leased to the worker, and what it is told.</summary>
public abstract partial class TaskDatabaseConformance
{
    [Fact]
    public async Task Worker_settings_change_live_and_reach_the_worker_once()
    {
        var worker = await WorkerAsync();
        await Store.CreateAsync([Task(), Task()], Token);
        Assert.Null(await Store.TakeControlAsync(worker, Token));

        var updated = await Store.UpdateWorkerAsync(worker, new WorkerSettings { Concurrency = 5, Paused = true }, drain: false, Token);
        Assert.Equal((5, true, false), (updated!.Concurrency, updated.Paused, updated.Drain));
        Assert.Empty(await Store.LeaseAsync(worker, 5, Token)); // paused: nothing is leased
        var control = await Store.TakeControlAsync(worker, Token);
        Assert.Equal((5, 2, true), (control!.Concurrency, control.Prefetch, control.Paused));
        Assert.Null(await Store.TakeControlAsync(worker, Token));

        await Store.UpdateWorkerAsync(worker, new WorkerSettings { Paused = false, Batch = "elsewhere" }, drain: false, Token);
        Assert.Empty(await Store.LeaseAsync(worker, 5, Token)); // serves another batch now
        await Store.UpdateWorkerAsync(worker, new WorkerSettings { Batch = "" }, drain: false, Token);
        Assert.Equal(2, (await Store.LeaseAsync(worker, 5, Token)).Count);
        var shown = (await Store.GetWorkerAsync(worker, Token))!;
        Assert.Equal((5, null, false), (shown.Concurrency, shown.Batch, shown.Paused));

        await Store.UpdateWorkerAsync(worker, new WorkerSettings(), drain: true, Token);
        Assert.True((await Store.TakeControlAsync(worker, Token))!.Drain);
        Assert.True((await Store.GetWorkerAsync(worker, Token))!.Drain);
        Assert.Null(await Store.UpdateWorkerAsync(Guid.CreateVersion7(), new WorkerSettings(), drain: false, Token));
    }

    [Fact]
    public async Task An_auto_prefetch_is_kept_through_other_changes_and_turned_off_by_a_number()
    {
        var worker = (await Store.RegisterWorkerAsync(new WorkerRegistration { Name = "auto", Concurrency = 2, PrefetchAuto = true }, Token)).Id;
        Assert.Equal((0, true), ((await Store.GetWorkerAsync(worker, Token))!.Prefetch, (await Store.GetWorkerAsync(worker, Token))!.PrefetchAuto));

        await Store.UpdateWorkerAsync(worker, new WorkerSettings { Concurrency = 6 }, drain: false, Token);
        var control = (await Store.TakeControlAsync(worker, Token))!;
        Assert.Equal((6, true), (control.Concurrency, control.PrefetchAuto));
        Assert.True((await Store.GetWorkerAsync(worker, Token))!.PrefetchAuto);

        await Store.UpdateWorkerAsync(worker, new WorkerSettings { Prefetch = 7 }, drain: false, Token);
        control = (await Store.TakeControlAsync(worker, Token))!;
        Assert.Equal((7, false), (control.Prefetch, control.PrefetchAuto));
        var shown = (await Store.GetWorkerAsync(worker, Token))!;
        Assert.Equal((7, false), (shown.Prefetch, shown.PrefetchAuto));

        await Store.UpdateWorkerAsync(worker, new WorkerSettings { PrefetchAuto = true }, drain: false, Token);
        shown = (await Store.GetWorkerAsync(worker, Token))!;
        Assert.Equal((0, true), (shown.Prefetch, shown.PrefetchAuto));
        Assert.True((await Store.TakeControlAsync(worker, Token))!.PrefetchAuto);
    }
}
