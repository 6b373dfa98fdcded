using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>Nothing acknowledged is lost: kill -9 the server mid-run, start it again on the same data.</summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite", leaseTimeout: "3s");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await Task.WhenAll(_cluster.StartWorkerAsync(4, "--prefetch", "4"), _cluster.StartWorkerAsync(4, "--prefetch", "4"));
    }

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();

    [Fact]
    public async Task Every_task_survives_a_kill_9_of_the_server_and_succeeds()
    {
        List<Guid> ids;
        using (var client = _cluster.Client())
        {
            var created = await client.CreateTasksAsync(Enumerable.Range(0, 1000).Select(i => Specs.Shell($"echo {i}")).ToList(), Token);
            ids = created.Select(t => t.Id).ToList();
            // Let the run get under way, then pull the plug.
            await client.WaitAsync(ids.Take(50).ToList(), TimeSpan.FromSeconds(60), Token);
        }
        await _cluster.KillServerAsync();
        await _cluster.StartServerAsync();

        using var again = _cluster.Client();
        var ended = await again.WaitAllAsync(ids, Token);
        Assert.Equal(1000, ended.Count);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var some = await again.GetTaskAsync(ids[^1], Token);
        Assert.Equal("999\n", some!.Stdout);
        Assert.All(_cluster.Workers, w => Assert.False(w.HasExited, "workers ride out a server restart"));
    }
}
