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
    }
}
