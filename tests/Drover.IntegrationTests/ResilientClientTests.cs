using System.Net.Http;
using Drover.Client;
using Microsoft.Extensions.DependencyInjection;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Mode = Drover.IntegrationTests.Infrastructure.ChaosProxy.Mode;

namespace Drover.IntegrationTests;

/// <summary>
/// Drover.Client in resilient mode against a misbehaving server (a proxy in this process that
/// refuses, answers 503, stalls and drops connections, in front of a real server), and through a
/// real server's restart.
/// </summary>
public sealed class ResilientClientTests : IAsyncLifetime
{
    private readonly DroverCluster _cluster = new();
    private ChaosProxy _proxy = null!;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly DroverClientOptions Quick = new()
    {
        WriteTimeout = TimeSpan.FromMilliseconds(300),
        ReadTimeout = TimeSpan.FromSeconds(30),
        AttemptTimeout = TimeSpan.FromSeconds(1),
        Backoff = new Resilience.BackoffPolicy(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500)),
    };

    public async ValueTask InitializeAsync()
    {
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(concurrency: 4);
        _proxy = new ChaosProxy(_cluster.Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    private DroverClient Client(DroverClientOptions? options = null) => new(_proxy.Url, _cluster.AdminToken, options ?? Quick);

    /// <summary>Puts the proxy in a mode for a while, then back to passing traffic.</summary>
    private async Task ForAWhileAsync(Mode mode, TimeSpan time)
    {
        await _proxy.SetAsync(mode);
        await Task.Delay(time, Token);
        await _proxy.SetAsync(Mode.Pass);
    }

    [Theory]
    [InlineData(Mode.Unavailable)]
    [InlineData(Mode.Refuse)]
    [InlineData(Mode.Stall)]
    public async Task Reads_retry_until_the_server_answers_again(Mode mode)
    {
        await using var client = Client();
        // The task is made directly: its create is not under test, and on a loaded machine the
        // fresh server may take longer than this client's short write deadline to answer.
        using var direct = _cluster.Client();
        var task = await direct.CreateTaskAsync(Specs.Command("true"), Token);
        var trouble = ForAWhileAsync(mode, TimeSpan.FromSeconds(2));
        var read = await client.GetTaskAsync(task.Id, Token);
        await trouble;
        Assert.Equal(task.Id, read!.Id);
        Assert.Single((await client.WaitAllAsync([task.Id], Token)));
    }

    [Fact]
    public async Task A_read_gives_up_at_its_deadline_and_a_fail_fast_client_at_once()
    {
        await _proxy.SetAsync(Mode.Unavailable);
        await using var resilient = Client(Quick with { ReadTimeout = TimeSpan.FromSeconds(1) });
        var gaveUp = await Assert.ThrowsAsync<DroverUnavailableException>(() => resilient.ListWorkersAsync(Token));
        Assert.Contains("could not be reached", gaveUp.Message);

        await using var failFast = Client(DroverClientOptions.FailFast);
        var refused = await Assert.ThrowsAsync<DroverApiException>(() => failFast.ListWorkersAsync(Token));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.Status);
        await _proxy.SetAsync(Mode.Refuse);
        await Assert.ThrowsAsync<HttpRequestException>(() => failFast.SubmitAsync(Specs.Command("true"), Token));
    }

    [Fact]
    public async Task Writes_wait_in_the_outbox_in_order_while_the_server_refuses_and_run_once_it_is_back()
    {
        await using var client = Client();
        var batch = $"outbox-{Guid.NewGuid():N}";
        await _proxy.SetAsync(Mode.Refuse);
        var first = await client.SubmitAsync(Specs.Shell("sleep 30") with { Batch = batch }, Token);
        var second = await client.SubmitAsync(Specs.Command("true") with { Batch = batch, Requires = [first.Id.ToString()] }, Token);
        var rename = await client.UpdateAsync(second.Id, new { name = "renamed" }, Token);
        var cancel = await client.CancelAsync(first.Id, Token); // must reach the server after the create
        Assert.False(first.IsDelivered);
        Assert.Equal(4, client.Undelivered);
        Assert.Null(first.Record);

        await _proxy.SetAsync(Mode.Pass);
        await client.FlushAsync(Token);
        Assert.Equal(0, client.Undelivered);
        Assert.Equal(TaskState.Canceled, (await first.WaitAsync(Token)).Status);
        Assert.Equal(TaskState.Canceled, (await second.WaitAsync(Token)).Status); // its requirement was canceled
        await Task.WhenAll(cancel.Delivered, rename.Delivered);
        Assert.Equal("renamed", (await second.RefreshAsync(Token)).Name);
        using var direct = _cluster.Client();
        Assert.Equal(2, (await direct.ListTasksAsync(new Storage.TaskListFilter { Batch = batch }, Token)).Count);
    }

    [Fact]
    public async Task A_write_the_server_refuses_faults_its_handle_and_leaves_the_outbox()
    {
        await using var client = Client();
        await _proxy.SetAsync(Mode.Refuse);
        var bad = await client.CancelAsync(Guid.NewGuid(), Token); // no such task: a 404 once delivered
        await _proxy.SetAsync(Mode.Pass);
        var refused = await Assert.ThrowsAsync<DroverApiException>(() => bad.Delivered);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, refused.Status);
        Assert.Equal(0, client.Undelivered);
        await Assert.ThrowsAsync<DroverApiException>(() => bad.GetAsync(Token));
    }

    [Fact]
    public async Task An_outbox_in_a_file_is_sent_by_the_next_client_after_the_first_process_is_gone()
    {
        var path = Path.Combine(_cluster.DataDirectory, $"outbox-{Guid.NewGuid():N}.jsonl");
        var batch = $"file-{Guid.NewGuid():N}";
        await _proxy.SetAsync(Mode.Refuse);
        var ids = new List<Guid>();
        await using (var gone = Client(Quick with { OutboxPath = path }))
        {
            foreach (var i in Enumerable.Range(0, 3))
                ids.Add((await gone.SubmitAsync(Specs.Command("true") with { Batch = batch, Name = $"n{i}" }, Token)).Id);
            Assert.Equal(3, gone.Undelivered);
        }
        Assert.Equal(3, File.ReadAllLines(path).Length);

        await _proxy.SetAsync(Mode.Pass);
        await using var next = Client(Quick with { OutboxPath = path });
        Assert.Equal(3, next.Undelivered);
        await next.FlushAsync(Token);
        var ended = await next.WaitAllAsync(ids, Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Equal(["n0", "n1", "n2"], ended.OrderBy(t => t.Submitted).ThenBy(t => t.Seq).Select(t => t.Name));
        Assert.Equal(0, new FileInfo(path).Length); // delivered: the file starts afresh
    }

    [Fact]
    public async Task A_subscription_reconnects_after_its_socket_is_dropped_and_re_reads_what_changed_meanwhile()
    {
        await using var client = Client();
        var group = $"sub-{Guid.NewGuid():N}";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        await using var events = client.SubscribeAsync(new EventFollow { Groups = [group] }, stop.Token).GetAsyncEnumerator(stop.Token);
        using var direct = _cluster.Client();
        var before = await direct.CreateTaskAsync(Specs.Command("true") with { Group = group }, Token);
        Assert.True(await UntilAsync(events, e => e is TasksChanged c && c.Tasks.Any(t => t.Id == before.Id && t.Status == TaskState.Succeeded)));

        // The stream drops and the server is out of reach while a task of the group runs and ends.
        await _proxy.SetAsync(Mode.Refuse);
        var during = await direct.CreateTaskAsync(Specs.Command("true") with { Group = group }, Token);
        await direct.WaitAllAsync([during.Id], Token);
        await _proxy.SetAsync(Mode.Pass);

        var sawResync = false;
        Assert.True(await UntilAsync(events, e =>
        {
            sawResync |= e is Resync;
            return e is TasksChanged c && c.Tasks.Any(t => t.Id == during.Id && t.Status == TaskState.Succeeded);
        }));
        Assert.True(sawResync);
    }

    [Fact]
    public async Task Following_a_task_that_already_ended_starts_with_its_record()
    {
        // Nothing more would come for an ended task: without its first record, the follower waits until cancelled.
        using var client = _cluster.Client();
        var ended = await client.RunAsync(Specs.Command("true"), Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        stop.CancelAfter(TimeSpan.FromSeconds(30));
        await using var events = client.SubscribeAsync(new EventFollow { Tasks = [ended.Id] }, stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await events.MoveNextAsync());
        var first = Assert.IsType<TasksChanged>(events.Current);
        Assert.Equal([(ended.Id, TaskState.Succeeded)], first.Tasks.Select(t => (t.Id, t.Status)));
    }

    private static async Task<bool> UntilAsync(IAsyncEnumerator<TaskEvent> events, Func<TaskEvent, bool> done)
    {
        while (await events.MoveNextAsync())
            if (done(events.Current)) return true;
        return false;
    }

    [Fact]
    public async Task AddDroverClient_gives_the_application_one_resilient_client_disposed_with_the_container()
    {
        var services = new ServiceCollection();
        services.AddDroverClient(o =>
        {
            o.Server = _proxy.Url;
            o.Token = _cluster.AdminToken;
            o.Options = Quick;
        });
        await using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredService<DroverClient>();
            Assert.Same(client, provider.GetRequiredService<DroverClient>());
            Assert.True(client.Options.Resilient);
            Assert.Single(await client.ListWorkersAsync(Token));
        }
        var missing = new ServiceCollection().AddDroverClient(o => o.Server = _proxy.Url);
        using var broken = missing.BuildServiceProvider();
        var error = Assert.Throws<InvalidOperationException>(() => broken.GetRequiredService<DroverClient>());
        Assert.Contains("Token", error.Message);
    }

    [Fact]
    public async Task Stop_the_server_create_100_tasks_start_it_again_all_100_exist_once_and_run()
    {
        await using var client = new DroverClient(_cluster.Url, _cluster.AdminToken, Quick);
        var batch = $"restart-{Guid.NewGuid():N}";
        await _cluster.KillServerAsync();
        var handles = new List<TaskHandle>();
        for (var i = 0; i < 100; i++) handles.Add(await client.SubmitAsync(Specs.Command("true") with { Batch = batch }, Token));
        Assert.Equal(100, client.Undelivered);

        await _cluster.StartServerAsync();
        await client.FlushAsync(Token);
        var ended = await client.WaitAllAsync([.. handles.Select(h => h.Id)], Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var all = await client.QueryTasksAsync(TaskFilter.Eq("batch", batch), 1000, Token);
        Assert.Equal(100, all.Count);
        Assert.Equal(100, all.Select(t => t.Id).Distinct().Count());
        Assert.Equal(handles.Select(h => h.Id).Order(), all.Select(t => t.Id).Order());
    }
}
