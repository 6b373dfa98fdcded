using System.Diagnostics;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary><c>--keep-finished</c>: ended tasks older than that are purged in the background; live ones stay.</summary>
public sealed class RetentionTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite", extraServerArgs: ["--keep-finished", "2s"]);
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Tasks_that_ended_longer_ago_than_the_retention_are_purged_and_live_ones_kept()
    {
        using var client = _cluster.Client();
        var done = await client.CreateTaskAsync(Specs.Command("true"), Token);
        await client.WaitAllAsync([done.Id], Token);
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "30"), Token);

        // The purge runs every second here (a tenth of the retention, at least a second); allow for a loaded machine.
        var clock = Stopwatch.StartNew();
        while (await client.GetTaskAsync(done.Id, Token) is not null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the ended task was not purged");
            await Task.Delay(200, Token);
        }
        var live = await client.GetTaskAsync(running.Id, Token);
        Assert.NotNull(live);
        Assert.NotEqual(TaskState.Succeeded, live.Status);
    }
}
