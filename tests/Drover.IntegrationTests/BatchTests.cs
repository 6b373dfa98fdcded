using System.Net;
using Drover.Client;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>Batches through the API and the CLI: pause, resume, cancel, delete, and the listing.</summary>
[Collection("cluster")]
public sealed class BatchTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_is_paused_resumed_canceled_and_deleted()
    {
        using var client = _cluster.Client();
        var batch = $"b-{Guid.NewGuid():N}";
        var (code, said) = await _cluster.CliAsync("batch", "pause", batch);
        Assert.Equal(0, code);
        Assert.Equal($"batch {batch} paused: its queued tasks wait (running ones go on)", said.Trim());
        var held = await client.CreateTasksAsync([.. Enumerable.Range(0, 3).Select(_ => Specs.Command("true") with { Batch = batch })], Token);
        var answer = await client.WaitAsync([.. held.Select(t => t.Id)], TimeSpan.FromSeconds(1), Token);
        Assert.Equal(3, answer.Pending.Count); // paused: none was leased

        (code, var listing) = await _cluster.CliAsync("batches");
        Assert.Equal(0, code);
        Assert.Contains(listing.Split('\n'), line => line.StartsWith(batch, StringComparison.Ordinal) && line.Contains("yes"));
        Assert.Single(listing.Split('\n')[0].Split("  ", StringSplitOptions.RemoveEmptyEntries), h => h.Trim() == "PAUSED");

        await client.BatchAsync(batch, "resume", Token);
        Assert.All(await client.WaitAllAsync([.. held.Select(t => t.Id)], Token), t => Assert.Equal(TaskState.Succeeded, t.Status));

        // Cancel: a running task is killed, a queued one never runs.
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "60") with { Batch = batch }, Token);
        var waiting = await client.CreateTaskAsync(Specs.Command("true") with { Batch = batch, Requires = [running.Id.ToString()] }, Token);
        var conflict = await Assert.ThrowsAsync<DroverApiException>(() => client.DeleteBatchAsync(batch, Token));
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        var canceled = await client.BatchAsync(batch, "cancel", Token);
        Assert.True(canceled.GetProperty("canceled").GetInt32() >= 1);
        Assert.All(await client.WaitAllAsync([running.Id, waiting.Id], Token), t => Assert.Equal(TaskState.Canceled, t.Status));

        var counts = (await client.ListBatchesAsync(Token)).Single(b => b.Name == batch).Counts;
        Assert.Equal((3, 2), (counts["succeeded"], counts["canceled"]));
        (code, said) = await _cluster.CliAsync("batch", "delete", batch);
        Assert.Equal(0, code);
        Assert.Equal($"batch {batch} deleted: 5 task record(s), 0 recruiter(s)", said.Trim());
        Assert.DoesNotContain(await client.ListBatchesAsync(Token), b => b.Name == batch);
        var missing = await Assert.ThrowsAsync<DroverApiException>(() => client.DeleteBatchAsync(batch, Token));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
    }
}
