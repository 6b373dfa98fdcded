using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Tasks with data to move: their fields, and what each execution staged and uploaded.</summary>
public abstract partial class TaskDatabaseConformance
{
    private static TaskDefinition WithData() => Task() with
    {
        Input = ["s3://bucket/reads/a.fq.gz|gunzip", "https://host/ref.tar|untar|mv:ref"],
        Resource = ["file:///srv/db/"],
        Output = "s3://bucket/results/",
        OutputOn = OutputOn.Always,
        Container = "ghcr.io/org/tool:1.2",
        ContainerOptions = ["--cpus", "2"],
        Cache = true,
    };

    private static void AssertSameData(TaskDefinition expected, TaskRecord actual)
    {
        Assert.Equal(expected.Input, actual.Input);
        Assert.Equal(expected.Resource, actual.Resource);
        Assert.Equal((expected.Output, expected.OutputOn, expected.Container, expected.Cache), (actual.Output, actual.OutputOn, actual.Container, actual.Cache));
        Assert.Equal(expected.ContainerOptions, actual.ContainerOptions);
    }

    [Fact]
    public async Task Data_fields_round_trip_through_create_lease_and_resubmit()
    {
        var definition = WithData();
        var plain = Task();
        await Store.CreateAsync([definition, plain], Token);
        AssertSameData(definition, (await Store.GetTaskAsync(definition.Id, Token))!);
        var none = (await Store.GetTaskAsync(plain.Id, Token))!;
        Assert.Equal((null, null, null, null, false), (none.Input, none.Output, none.OutputOn, none.Container, none.Cache));

        var worker = await WorkerAsync(handlers: [ContainerTasks.Capability]);
        var lease = (await Store.LeaseAsync(worker, 2, Token)).Single(l => l.TaskId == definition.Id);
        Assert.Equal(definition.Input, lease.Input);
        Assert.Equal((definition.Output, definition.OutputOn, definition.Container, true), (lease.Output, lease.OutputOn, lease.Container, lease.Cache));
        Assert.Equal(definition.ContainerOptions, lease.ContainerOptions);
        await ReportAsync(worker, Finished(lease, 0));

        var copy = Assert.Single((await Store.ResubmitAsync([definition.Id], Token)).Created);
        AssertSameData(definition, copy);
        AssertSameData(definition, (await Store.GetTaskAsync(copy.Id, Token))!);
    }

    [Fact]
    public async Task An_execution_records_its_phases_and_what_it_moved()
    {
        var definition = WithData() with { Container = null };
        await Store.CreateAsync([definition], Token);
        var worker = await WorkerAsync();
        var lease = Assert.Single(await Store.LeaseAsync(worker, 1, Token));
        var staging = new TransferRecord { Phase = ExecutionPhase.Staging, Folder = "/w/runs/x" };
        await ReportAsync(worker, Started(lease) with { Transfer = staging });
        var task = (await Store.GetTaskAsync(definition.Id, Token))!;
        Assert.Equal((TaskState.Running, ExecutionPhase.Staging, "/w/runs/x"), (task.Status, task.Transfer!.Phase, task.Transfer.Folder));

        var running = staging with { Phase = ExecutionPhase.Running, BytesIn = 1234, StagingSeconds = 0.5 };
        await ReportAsync(worker, new ReportEvent { Type = ReportEventType.Phase, ExecutionId = lease.ExecutionId, Transfer = running });
        Assert.Equal(running, (await Store.GetTaskAsync(definition.Id, Token))!.Transfer);
        Assert.Equal(running, (await Store.GetExecutionAsync(lease.ExecutionId, Token))!.Transfer);

        var earlier = Guid.CreateVersion7();
        var done = running with { Phase = ExecutionPhase.Uploading, BytesOut = 99, UploadSeconds = 0.25 };
        await ReportAsync(worker, Finished(lease, 0) with { Transfer = done, CachedFrom = earlier });
        task = (await Store.GetTaskAsync(definition.Id, Token))!;
        Assert.Equal((TaskState.Succeeded, done, earlier), (task.Status, task.Transfer, task.CachedFrom));
        Assert.Equal(done, Assert.Single(await Store.ListExecutionsAsync(definition.Id, Token)).Transfer);
        Assert.Equal(definition.Id, Assert.Single(await Store.QueryTasksAsync(Where($$"""{"cached_from": "{{earlier}}"}"""), Token)).Id);
    }

    [Fact]
    public async Task Tasks_are_queried_by_container()
    {
        var boxed = Task() with { Container = "busybox:1" };
        await Store.CreateAsync([boxed, Task()], Token);
        Assert.Equal(boxed.Id, Assert.Single(await Store.QueryTasksAsync(Where("""{"container": "busybox:1"}"""), Token)).Id);
        Assert.Single(await Store.QueryTasksAsync(Where("""{"container": null}"""), Token));
    }

    [Fact]
    public async Task A_finished_cache_task_keeps_its_key_and_is_found_by_it_once_succeeded_and_a_new_lease_forgets_it()
    {
        var key = new string('a', 64);
        var succeeded = Task() with { Cache = true };
        var failed = Task() with { Cache = true, Retry = 1 };
        await Store.CreateAsync([succeeded, failed], Token);
        var worker = await WorkerAsync();
        var leases = (await Store.LeaseAsync(worker, 2, Token)).ToDictionary(l => l.TaskId);
        await ReportAsync(worker, Finished(leases[succeeded.Id], 0) with { CacheKey = key });
        await ReportAsync(worker, Finished(leases[failed.Id], 1) with { CacheKey = key });

        Assert.Equal(key, (await Store.GetTaskAsync(succeeded.Id, Token))!.CacheKey);
        Assert.Equal(succeeded.Id, Assert.Single(await Store.QueryTasksAsync(Where($$"""{"cache_key": "{{key}}", "status": "succeeded"}"""), Token)).Id);
        // The failure is queued again for its retry: the next lease starts with no key.
        var retried = Assert.Single(await Store.LeaseAsync(worker, 1, Token));
        Assert.Equal(failed.Id, retried.TaskId);
        Assert.Null((await Store.GetTaskAsync(failed.Id, Token))!.CacheKey);
    }
}
