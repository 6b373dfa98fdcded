using Drover.IntegrationTests.Infrastructure;

namespace Drover.IntegrationTests;

/// <summary>One worker, one slot, no prefetch: the order tasks start in is the dispatch order.</summary>
public sealed class PriorityTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "sqlite");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(concurrency: 1, "--prefetch", "0");
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Higher_priority_starts_first_and_equals_go_oldest_first()
    {
        using var client = _cluster.Client();
        // Occupy the only slot so that the rest queue up behind it.
        var blocker = await client.CreateTaskAsync(Specs.Command("sleep", "1"), Token);
        var specs = new (string Name, int Priority)[] { ("low", -1), ("mid-1", 3), ("high", 9), ("mid-2", 3), ("zero", 0) };
        var created = new List<Model.TaskRecord>();
        foreach (var (name, priority) in specs)
            created.Add(await client.CreateTaskAsync(Specs.Command("true") with { Name = name, Priority = priority }, Token));

        var ended = await client.WaitAllAsync([blocker.Id, .. created.Select(t => t.Id)], Token);
        var order = ended.Where(t => t.Id != blocker.Id).OrderBy(t => t.Started).Select(t => t.Name);
        Assert.Equal(["high", "mid-1", "mid-2", "zero", "low"], order);
    }
}
