using System.Net;
using Drover.Client;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary><c>drover server --store none</c>: tasks run, waits get their ends, and nothing is kept after.</summary>
public sealed class StoreNoneTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new(store: "none");
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_task_runs_its_waiter_gets_the_end_and_then_it_is_gone_with_a_clear_answer()
    {
        using var client = _cluster.Client();
        var task = await client.CreateTaskAsync(Specs.Command("sleep", "0.5"), Token);
        var answer = await client.WaitAsync([task.Id], TimeSpan.FromSeconds(30), Token);
        Assert.Equal(TaskState.Succeeded, Assert.Single(answer.Done).Status);

        var gone = await Assert.ThrowsAsync<DroverApiException>(() => client.WaitAsync([task.Id], TimeSpan.FromSeconds(1), Token));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        Assert.Contains("keeps no history (--store none)", gone.Message);
        using var http = _cluster.Http(_cluster.AdminToken);
        var get = await http.GetAsync($"api/tasks/{task.Id}", Token);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Contains("keeps no history", await get.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Submit_and_wait_in_one_request_gets_the_end_of_a_task_that_is_forgotten_at_once()
    {
        using var client = _cluster.Client();
        for (var i = 0; i < 20; i++)
        {
            var ended = await client.CreateTasksAsync([Specs.Command("sh", "-c", $"exit {i % 3}")], Token, wait: TimeSpan.FromSeconds(30));
            var task = Assert.Single(ended);
            Assert.Equal(i % 3 == 0 ? TaskState.Succeeded : TaskState.Failed, task.Status);
            Assert.Equal(i % 3, task.ExitCode);
        }
        foreach (var (command, expected) in new[] { ("true", 0), ("exit 3", 3) })
        {
            var (exitCode, output) = await _cluster.CliAsync("submit", "--wait", "--shell", "--", command);
            Assert.True(expected == exitCode, output);
            Assert.DoesNotContain("keeps no history", output);
        }
    }
}
