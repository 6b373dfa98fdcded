using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// <c>--prefetch auto</c>, the default: a stream of tiny tasks is leased in large batches, while tasks
/// longer than the horizon are not held, so priorities still hold for them.
/// </summary>
public sealed class AdaptivePrefetchTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(concurrency: 1); // no --prefetch: auto
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Tiny_tasks_are_leased_in_batches_and_long_ones_one_at_a_time_in_priority_order()
    {
        using var client = _cluster.Client();
        var worker = Assert.Single(await client.ListWorkersAsync(Token));
        Assert.Equal((true, 0), (worker.PrefetchAuto, worker.Prefetch));

        // Long tasks first: nothing is held beyond the one running, so a later, more urgent task goes next.
        var blocker = await client.CreateTaskAsync(Specs.Command("sleep", "1"), Token);
        var created = new List<TaskRecord>();
        foreach (var (name, priority) in new[] { ("low", -1), ("high", 9), ("mid", 3) })
            created.Add(await client.CreateTaskAsync(Specs.Command("sleep", "0.2") with { Name = name, Priority = priority }, Token));
        var ended = await client.WaitAllAsync([blocker.Id, .. created.Select(t => t.Id)], Token);
        Assert.Equal(["high", "mid", "low"], ended.Where(t => t.Id != blocker.Id).OrderBy(t => t.Started).Select(t => t.Name));

        // Then 2,000 in-process echo tasks: with one slot and no prefetch that is 2,000 leases; auto
        // learns they take microseconds and takes hundreds at a time.
        var echoes = await client.CreateTasksAsync([.. Enumerable.Range(0, 2000).Select(i => new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(i) })], Token);
        ended = await client.WaitAllAsync([.. echoes.Select(t => t.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var leases = ended.Select(t => t.Assigned).Distinct().Count();
        Assert.True(leases < 200, $"2,000 tiny tasks took {leases} leases");
    }

    [Fact]
    public async Task A_fixed_prefetch_set_live_turns_auto_off_and_auto_can_be_asked_for_again()
    {
        using var client = _cluster.Client();
        var worker = Assert.Single(await client.ListWorkersAsync(Token));
        var fixedOne = await client.UpdateWorkerAsync(worker.Id, new WorkerSettings { Prefetch = 3 }, Token);
        Assert.Equal((3, false), (fixedOne.Prefetch, fixedOne.PrefetchAuto));
        var (code, output) = await _cluster.CliAsync("workers");
        Assert.True(code == 0, output);
        var auto = await client.UpdateWorkerAsync(worker.Id, new WorkerSettings { PrefetchAuto = true }, Token);
        Assert.Equal((0, true), (auto.Prefetch, auto.PrefetchAuto));
        (_, output) = await _cluster.CliAsync("workers");
        Assert.Contains(" auto ", output);

        using var http = _cluster.Http(_cluster.AdminToken);
        var both = await http.PatchAsync($"api/workers/{worker.Id}", new StringContent("""{"prefetch": 2, "prefetch_auto": true}""", System.Text.Encoding.UTF8, "application/json"), Token);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Contains("prefetch_auto", await both.Content.ReadAsStringAsync(Token));
    }
}
