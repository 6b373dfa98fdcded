using System.Text.Json;
using Drover.Contracts;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Tests.Shared;

namespace Drover.IntegrationTests;

/// <summary>
/// Exactly-once leasing across three Drover servers on one PostgreSQL database: workers on each, one
/// leasing over HTTP requests (the SQL lease path), two on their channels (tasks pushed), tasks
/// submitted through all three at once.
/// </summary>
[Collection("postgres")]
public sealed class PostgresThreeServersTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly List<DroverCluster> _servers = [];
    private string _database = "";
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _database = await postgres.CreateDatabaseAsync();
        var first = new DroverCluster(store: "postgres", extraServerArgs: ["--postgres", _database]);
        _servers.Add(first);
        for (var i = 1; i < 3; i++) _servers.Add(new DroverCluster(store: "postgres", dataDirectory: first.DataDirectory, extraServerArgs: ["--postgres", _database]));
        foreach (var server in _servers) await server.StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers) await server.DisposeAsync();
        await postgres.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task Six_thousand_tasks_submitted_through_three_servers_each_run_exactly_once()
    {
        await _servers[0].StartWorkerAsync(concurrency: 4, "--channel", "off", "--prefetch", "20");
        await _servers[1].StartWorkerAsync(concurrency: 4);
        await _servers[2].StartWorkerAsync(concurrency: 4, "--prefetch", "100");
        var marks = Directory.CreateTempSubdirectory("drover-once3-").FullName;
        try
        {
            // Mostly in-process tasks (the dispatch is what is under test), and real processes that
            // leave one mark each, so a task run twice would show.
            var submitted = await Task.WhenAll(_servers.Select((server, s) => Task.Run(async () =>
            {
                using var client = server.Client();
                var ids = new List<Guid>();
                for (var chunk = 0; chunk < 10; chunk++)
                {
                    var specs = Enumerable.Range(0, 200).Select(i => (s * 2000) + (chunk * 200) + i).Select(n => n % 20 == 0
                        ? Specs.Shell($"echo run >> {marks}/{n}") with { Batch = "once3" }
                        : new TaskSpec { Handler = "echo", Args = JsonSerializer.SerializeToElement(n), Batch = "once3" });
                    ids.AddRange((await client.CreateTasksAsync([.. specs], Token)).Select(t => t.Id));
                }
                return ids;
            }, Token)));

            using var reader = _servers[1].Client();
            var all = submitted.SelectMany(ids => ids).ToList();
            var ended = await reader.WaitAllAsync(all, Token);
            Assert.Equal(6000, ended.Count);
            Assert.All(ended, t => Assert.Equal(TaskState.Succeeded, t.Status));
            Assert.All(ended, t => Assert.Equal(1, t.Attempts));
            var marked = Directory.GetFiles(marks);
            Assert.Equal(300, marked.Length);
            Assert.All(marked, f => Assert.Equal("run\n", File.ReadAllText(f)));

            // One execution per task in the database, whichever server leased it.
            var sample = ended.Where((_, i) => i % 60 == 0).ToList();
            foreach (var task in sample) Assert.Single(await reader.ListExecutionsAsync(task.Id, Token));
            var workers = await reader.ListWorkersAsync(Token);
            Assert.Equal(3, workers.Count);
            var perWorker = ended.GroupBy(t => t.WorkerId).ToDictionary(g => g.Key!.Value, g => g.Count());
            Assert.All(workers, w => Assert.True(perWorker.GetValueOrDefault(w.Id) > 0, $"worker {w.Name} ran nothing"));
        }
        finally
        {
            Directory.Delete(marks, recursive: true);
        }
    }
}
