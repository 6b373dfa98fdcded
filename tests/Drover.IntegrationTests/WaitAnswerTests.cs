using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// The .NET client reads a wait's answer as it arrives (<c>WaitResponseReader</c>): against a real
/// server's chunked answer, one far longer than the reader's buffer and with a record longer than
/// what it wants in hand ahead of one, every record comes back whole and in the order asked.
/// </summary>
[Collection("cluster")]
public sealed class WaitAnswerTests(SharedCluster shared)
{
    private readonly DroverCluster _cluster = shared.Cluster;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_wait_answer_of_many_buffers_with_a_record_longer_than_one_reads_whole_and_in_order()
    {
        using var client = _cluster.Client();
        var batch = $"answer-{Guid.NewGuid():N}";
        // Paused, then canceled: 1,500 tasks end without a process each.
        await client.BatchAsync(batch, "pause", Token);
        var longArgument = new string('x', 300_000);
        var specs = Enumerable.Range(0, 1500).Select(i => Specs.Command("echo", i == 700 ? longArgument : $"task {i} é") with { Batch = batch }).ToList();
        var handles = await client.SubmitAsync(specs, Token);
        await client.BatchAsync(batch, "cancel", Token);

        var ids = handles.Select(h => h.Id).ToList();
        var ended = await client.WaitAllAsync(ids, Token);
        Assert.Equal(ids, ended.Select(t => t.Id));
        Assert.All(ended, t => Assert.Equal((TaskState.Canceled, batch), (t.Status, t.Batch)));
        Assert.Equal(longArgument, ended[700].Command![1]);
        Assert.Equal("task 1499 é", ended[1499].Command![1]);

        // A client that names at most 400 ids a request waits on them in four, and answers the same.
        using var small = new Client.DroverClient(_cluster.Url, _cluster.AdminToken, new Client.DroverClientOptions { WaitIdsPerRequest = 400 });
        Assert.Equal(ended.Select(t => (t.Id, t.Status)), (await small.WaitAllAsync(ids, Token)).Select(t => (t.Id, t.Status)));
    }

    [Fact]
    public async Task A_wait_on_more_ids_than_one_request_names_waits_for_the_rest_in_turn()
    {
        var waits = new WaitRequests();
        using var client = new Client.DroverClient(new HttpClient(waits), _cluster.Url, _cluster.AdminToken, ownsHttp: true,
            new Client.DroverClientOptions { WaitIdsPerRequest = 3 });
        var running = await client.CreateTaskAsync(Specs.Command("sleep", "1"), Token);
        var quick = await client.CreateTasksAsync([.. Enumerable.Range(0, 7).Select(i => Specs.Command("echo", $"{i}"))], Token);
        // The slow one first: its request's wait answers only when it has ended.
        List<Guid> ids = [running.Id, .. quick.Select(t => t.Id)];
        var ended = await client.WaitAllAsync(ids, Token);
        Assert.Equal(ids.Order(), ended.Select(t => t.Id).Order());
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        // Three requests at least (3 + 3 + 2 ids), none naming more than three.
        Assert.True(waits.IdsNamed.Count >= 3, $"{waits.IdsNamed.Count} wait requests");
        Assert.All(waits.IdsNamed, n => Assert.InRange(n, 1, 3));
    }

    /// <summary>How many ids each wait request named.</summary>
    private sealed class WaitRequests() : DelegatingHandler(new HttpClientHandler())
    {
        public System.Collections.Concurrent.ConcurrentQueue<int> IdsNamed { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/api/tasks/wait", StringComparison.Ordinal))
            {
                using var body = System.Text.Json.JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
                IdsNamed.Enqueue(body.RootElement.GetProperty("ids").GetArrayLength());
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
