using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;

namespace Drover.IntegrationTests;

/// <summary>
/// The SQLite data directory on a small tmpfs that fills up: writes are refused with a 503 that says
/// the disk is full, nothing half-written, and once space is freed the server goes on by itself
/// (workers resend what was refused), with no restart.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private readonly string _mount = Directory.CreateTempSubdirectory("drover-full-").FullName;
    private DroverCluster _cluster = null!;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, UseShellExecute = false })!;
        var error = await process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({error.Trim()}): this test mounts a tmpfs, which needs root");
    }

    public async ValueTask InitializeAsync()
    {
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", _mount);
        _cluster = new DroverCluster(dataDirectory: Path.Combine(_mount, "data"));
        await _cluster.StartServerAsync();
        await _cluster.StartWorkerAsync(concurrency: 4);
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await RunAsync("umount", "-l", _mount);
        Directory.Delete(_mount);
    }

    /// <summary>Writes a file until the disk has no room left.</summary>
    private string Fill()
    {
        var filler = Path.Combine(_mount, "filler");
        var block = new byte[64 * 1024];
        using var stream = File.OpenWrite(filler);
        try
        {
            while (true) stream.Write(block);
        }
        catch (IOException)
        {
            // ENOSPC: full.
        }
        return filler;
    }

    [Fact]
    public async Task A_full_disk_refuses_writes_with_a_503_and_the_server_recovers_by_itself_once_space_is_freed()
    {
        using var client = _cluster.Client();
        // Running and queued while the disk fills: their reports are refused, and resent afterwards.
        var before = await client.CreateTasksAsync([.. Enumerable.Range(0, 40).Select(i => Specs.Shell($"sleep 0.5; echo task {i}"))], Token);
        var filler = Fill();

        using var http = _cluster.Http(_cluster.AdminToken);
        var batch = $"while-full-{Guid.NewGuid():N}";
        HttpResponseMessage refused;
        // The first write to meet the full disk may still find a page free: a few tries at most.
        var tries = 0;
        do
        {
            refused = await http.PostAsJsonAsync("api/tasks", Enumerable.Range(0, 200).Select(_ => new { command = new[] { "echo", new string('x', 4000) }, batch }), Token);
        }
        while (refused.StatusCode != HttpStatusCode.ServiceUnavailable && ++tries < 20);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(refused.Headers.RetryAfter);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Token);
        Assert.Equal("The disk is full.", problem.GetProperty("title").GetString());
        Assert.Contains("nothing was written", problem.GetProperty("detail").GetString());

        // Let the workers meet the full disk too, then make room.
        await Task.Delay(TimeSpan.FromSeconds(2), Token);
        File.Delete(filler);

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TimeSpan.FromSeconds(120));
        var ended = await client.WaitAllAsync([.. before.Select(t => t.Id)], patience.Token);
        Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
        var after = await client.CreateTasksAsync([Specs.Command("echo", "after")], patience.Token, wait: TimeSpan.FromSeconds(30));
        Assert.Equal(TaskState.Succeeded, Assert.Single(after).Status);
        // What was refused was not written, not even in part (kept only if its whole request committed).
        var kept = await client.ListTasksAsync(new Storage.TaskListFilter { Batch = batch, Limit = 1000 }, Token);
        Assert.True(kept.Count % 200 == 0, $"a refused request was written in part: {kept.Count} tasks");
    }
}
