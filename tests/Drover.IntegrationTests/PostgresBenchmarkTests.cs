using System.Diagnostics;
using System.Text.Json;
using Drover.Tests.Shared;

namespace Drover.IntegrationTests;

/// <summary>The benchmark on PostgreSQL with two servers on one database, run small so it cannot rot; figures printed, never judged.</summary>
[Collection("postgres")]
public sealed class PostgresBenchmarkTests(PostgresServer postgres)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Throughput_on_two_servers_sharing_PostgreSQL_runs_and_reports_the_database_work_per_task()
    {
        var database = await postgres.CreateDatabaseAsync();
        try
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])[Path.Combine(AppContext.BaseDirectory, "Drover.Bench.dll"), "throughput", "--tasks", "300", "--batch-size", "50",
                "--store", "postgres", "--postgres", database, "--servers", "2", "--workers", "2", "--concurrency", "2", "--json"])
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(Token);
            var error = process.StandardError.ReadToEndAsync(Token);
            await process.WaitForExitAsync(Token);
            Assert.True(process.ExitCode == 0, $"bench exited {process.ExitCode}: {await error}");
            var result = JsonDocument.Parse((await output).Trim().Split('\n')[^1]).RootElement;
            Assert.Equal(0, result.GetProperty("failed").GetInt32());
            Assert.Equal(2, result.GetProperty("servers").GetInt32());
            // Every task is a task row and an execution row (the warm-up's are not counted).
            Assert.True(result.GetProperty("db_rows_inserted_per_task").GetDouble() >= 1.5, result.ToString());
            Assert.True(result.GetProperty("db_statements_per_task").GetDouble() > 0, result.ToString());
            Assert.Contains("INSERT INTO tasks", result.GetProperty("db_top_statements").GetString());
        }
        finally
        {
            await postgres.DropDatabaseAsync(database);
        }
    }
}
