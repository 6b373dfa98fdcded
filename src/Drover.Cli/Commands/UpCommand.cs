using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Drover.Worker.Execution;

namespace Drover.Cli.Commands;

/// <summary>
/// <c>drover up</c>: everything on one machine — the server with the embedded SQLite task database,
/// and local worker processes. Ctrl-C or SIGTERM stops the workers first (they hand running tasks
/// back, so the next <c>up</c> runs them), then the server.
/// </summary>
internal static class UpCommand
{
    public static readonly Option<int> Workers = new("--workers", "-w") { Description = "Local worker processes", DefaultValueFactory = _ => 2 };
    public static readonly Option<string> Grace = new("--grace")
    {
        Description = "On Ctrl-C or SIGTERM, let running tasks finish for this long before handing them back",
        DefaultValueFactory = _ => "0s",
    };

    public static Command Create()
    {
        var command = new Command("up", "Start a server and local workers on this machine")
        {
            ServerCommand.Port, ServerCommand.Host, ServerCommand.Store, ServerCommand.Postgres, ServerCommand.LeaseTimeout, ServerCommand.OutputLimit,
            ServerCommand.KeepFinished, ServerCommand.KeepWorkers, ServerCommand.NoSync, ServerCommand.WorkerChannel, Workers, Grace, WorkerCommand.Concurrency, WorkerCommand.Prefetch, WorkerCommand.DataDir,
            WorkerCommand.ResourceCache, WorkerCommand.ContainerEngine,
        };
        foreach (var option in ServerCommand.RecruitmentOptions.Concat(ServerCommand.SecurityOptions).Concat(ServerCommand.ObservabilityOptions)) command.Options.Add(option);
        command.SetAction(async (parse, _) =>
        {
            var workerCount = parse.GetValue(Workers);
            if (workerCount < 0) throw new CliException($"--workers must not be negative, not {workerCount}");
            using var shutdown = new Shutdown();
            await using var server = await ServerCommand.StartAsync(parse, shutdown.Token);
            if (server is null) return 0;
            ServerCommand.PrintStarted(server);

            var workers = Enumerable.Range(1, workerCount).Select(i => StartWorker(server.Url, server.Tokens.WorkerToken, i, parse)).ToList();
            Console.WriteLine($"  workers:      {workerCount} x concurrency {parse.GetValue(WorkerCommand.Concurrency)}");
            Console.WriteLine("Press Ctrl-C to stop.");

            // A worker that exits while the server goes on is news; one that exits as all stops is not.
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token, server.Stopping);
            var stoppingToken = stopping.Token;
            foreach (var worker in workers) worker.Exited += (_, _) => ReportExit(worker, stoppingToken);
            await ServerCommand.WaitAsync(server, shutdown.Token);
            await StopWorkersAsync(workers);
            await server.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }

    private static void ReportExit(Process worker, CancellationToken stopping)
    {
        if (!stopping.IsCancellationRequested)
            Console.Error.WriteLine($"drover: worker process {worker.Id} exited with code {worker.ExitCode}; the others go on.");
    }

    private static Process StartWorker(Uri server, string token, int index, ParseResult parse)
    {
        var start = SelfCommand.StartInfo(
        [
            "worker", "--server", server.ToString(), "--name", $"{Environment.MachineName}-up-{index}",
            "--concurrency", parse.GetValue(WorkerCommand.Concurrency).ToString(CultureInfo.InvariantCulture),
            "--prefetch", WorkerCommand.ParsePrefetch(parse.GetValue(WorkerCommand.Prefetch), "--prefetch")?.ToString(CultureInfo.InvariantCulture) ?? "auto",
            "--grace", parse.GetValue(Grace)!, "--resource-cache", parse.GetValue(WorkerCommand.ResourceCache)!, "--stop-with-stdin",
            "--channel", parse.GetValue(ServerCommand.WorkerChannel)!, "--log-format", parse.GetValue(ServerCommand.LogFormat)!,
            .. parse.GetValue(WorkerCommand.DataDir) is { } data ? new[] { "--data-dir", Path.GetFullPath(data) } : [],
            .. parse.GetValue(WorkerCommand.ContainerEngine) is { } engine ? new[] { "--container-engine", engine } : [],
            .. CommonOptions.CaFile(parse) is { } ca ? new[] { "--ca", Path.GetFullPath(ca) } : [],
        ]);
        // This process holds the other end of the worker's stdin: when it exits, however it exits,
        // the pipe closes and the worker stops (and with it its tasks), so no worker outlives up.
        start.RedirectStandardInput = true;
        // The token travels in the environment, not on the command line where ps shows it.
        start.Environment["DROVER_TOKEN"] = token;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        if (!process.Start()) throw new CliException("Could not start a worker process.");
        return process;
    }

    /// <summary>Asks every worker to stop (they hand back their tasks), and waits for them.</summary>
    private static async Task StopWorkersAsync(List<Process> workers)
    {
        foreach (var worker in workers.Where(w => !w.HasExited)) PosixProcess.Signal(worker.Id, PosixProcess.SigTerm);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        foreach (var worker in workers)
        {
            try
            {
                await worker.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                worker.Kill(entireProcessTree: true);
            }
            worker.Dispose();
        }
    }
}
