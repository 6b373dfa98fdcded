using System.Globalization;
using Drover.Model;
using Drover.Text;

namespace Drover.Server.Recruiting;

/// <summary>
/// <c>local</c>: <c>drover worker</c> processes on the server's own machine, started with
/// <c>--stop-with-stdin</c> so that none outlives the server, each logging to
/// <c>&lt;data&gt;/workers/&lt;name&gt;.log</c>. Capped by <c>--max-local-workers</c>.
/// </summary>
public sealed class LocalProvider(IReadOnlyList<string> workerCommand, int maxWorkers, string dataDirectory, string? caFile = null) : IWorkerProvider
{
    public const string ProviderName = "local";

    /// <summary>How long a drained local worker may take to exit before it is told to stop, then killed.</summary>
    private static readonly TimeSpan ExitPatience = TimeSpan.FromSeconds(10);

    public string Name => ProviderName;

    public IReadOnlyList<Flavor> Flavors { get; } =
    [
        new Flavor { Name = ProviderName, Provider = ProviderName, Cpus = Environment.ProcessorCount, Memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes },
    ];

    public int MaxWorkers => maxWorkers;

    public TimeSpan? DeployTimeout => null;

    public bool DeployIsWorker => true;

    public string? ChooseHost(IReadOnlyList<DeploymentRecord> live) => null;

    public ProviderProcess Deploy(WorkerLaunch launch, JobLog log)
    {
        var d = launch.Deployment;
        List<string> argv =
        [
            .. workerCommand, "worker", "--server", launch.Server.ToString(), "--name", d.Name, "--batch", d.Batch,
            "--concurrency", d.Concurrency.ToString(CultureInfo.InvariantCulture), "--prefetch", d.Prefetch?.ToString(CultureInfo.InvariantCulture) ?? "auto",
            "--stop-with-stdin",
            // A server on HTTPS with a private CA: its workers trust that CA too.
            .. caFile is null ? Array.Empty<string>() : ["--ca", Path.GetFullPath(caFile)],
        ];
        log.Line($"$ {string.Join(' ', argv.Select(ShellWords.Quote))}");
        // The token travels in the environment, not on the command line where ps shows it.
        return ProviderProcess.Start(argv, new Dictionary<string, string> { ["DROVER_TOKEN"] = launch.Token }, log,
            logFile: Path.Combine(dataDirectory, "workers", d.Name + ".log"));
    }

    public async Task<string?> DestroyAsync(DeploymentRecord deployment, ProviderProcess? deployRun, JobLog log, CancellationToken cancellationToken)
    {
        if (deployRun is null)
        {
            // Started by a server before a restart: it stopped with that server (its stdin closed).
            log.Line("no process of this server's: the worker stopped with the server that started it");
            return null;
        }
        if (!await ExitsWithinAsync(deployRun, cancellationToken))
        {
            log.Line("the worker has not exited: closing its standard input (it stops, handing back what it holds)");
            deployRun.CloseInput();
            if (!await ExitsWithinAsync(deployRun, cancellationToken))
            {
                log.Line("the worker has still not exited: killed");
                deployRun.Kill();
            }
        }
        log.Line($"worker process {deployRun.Id} exited with code {await deployRun.Exited}");
        deployRun.Dispose();
        return null;
    }

    private static async Task<bool> ExitsWithinAsync(ProviderProcess run, CancellationToken cancellationToken)
    {
        try
        {
            await run.Exited.WaitAsync(ExitPatience, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
