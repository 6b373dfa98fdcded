using System.Globalization;
using Drover.Json;
using Drover.Model;
using Drover.Text;

namespace Drover.Server.Recruiting;

/// <summary>
/// A provider made of command templates from the providers file: <c>deploy</c> starts a worker (ssh to a
/// host of a pool, <c>sbatch</c>, a cloud CLI), <c>destroy</c> gives it back. Both run with <c>sh -c</c>,
/// with the worker's token in <c>DROVER_TOKEN</c> and on standard input, never in the command's text.
/// </summary>
public sealed class CommandProvider(CommandProviderSettings settings) : IWorkerProvider
{
    /// <summary>The longest a destroy command may run.</summary>
    private static readonly TimeSpan DestroyPatience = TimeSpan.FromMinutes(5);

    public string Name => settings.Name;

    public IReadOnlyList<Flavor> Flavors { get; } = settings.Flavors is { Count: > 0 } flavors
        ? [.. flavors.Select(f => new Flavor
        {
            Name = f.Name, Provider = settings.Name, Cpus = f.Cpus, Cost = f.Cost, Region = f.Region,
            Memory = ByteSizes.TryParse(f.Memory, out var bytes) ? bytes : 0,
        })]
        : [new Flavor { Name = "default", Provider = settings.Name }];

    public int MaxWorkers => settings.MaxWorkers ?? 100;

    public TimeSpan? DeployTimeout => Durations.TryParse(settings.DeployTimeout, out var timeout) ? timeout : null;

    public bool DeployIsWorker => false;

    public string? ChooseHost(IReadOnlyList<DeploymentRecord> live) => settings.Hosts is { Count: > 0 } hosts
        ? hosts.OrderBy(h => live.Count(d => d.Provider == Name && d.Host == h)).First()
        : null;

    public ProviderProcess Deploy(WorkerLaunch launch, JobLog log)
    {
        var command = CommandTemplate.Expand(settings.Deploy, Values(launch.Deployment, launch.Server));
        log.Line($"$ {command}");
        return ProviderProcess.Shell(command, Environment(launch.Deployment, launch.Server, launch.Token), log, input: launch.Token);
    }

    public async Task<string?> DestroyAsync(DeploymentRecord deployment, ProviderProcess? deployRun, JobLog log, CancellationToken cancellationToken)
    {
        if (deployRun is { HasExited: false })
        {
            // An ssh session that still runs the worker, or a deploy that never came back.
            log.Line("ending the deploy command, which still runs");
            deployRun.Kill();
        }
        deployRun?.Dispose();
        if (settings.Destroy is null)
        {
            log.Line("no destroy command: nothing more to give back");
            return null;
        }
        var values = Values(deployment, server: null);
        var command = CommandTemplate.Expand(settings.Destroy, values);
        log.Line($"$ {command}");
        using var run = ProviderProcess.Shell(command, Environment(deployment, server: null, token: null), log);
        try
        {
            var code = await run.Exited.WaitAsync(DestroyPatience, cancellationToken);
            return code == 0 ? null : $"the destroy command exited with code {code}";
        }
        catch (TimeoutException)
        {
            run.Kill();
            return $"the destroy command did not end within {Durations.Format(DestroyPatience)}";
        }
    }

    private static Dictionary<string, string?> Values(DeploymentRecord d, Uri? server) => new()
    {
        ["name"] = d.Name, ["batch"] = d.Batch, ["flavor"] = d.Flavor, ["region"] = d.Region, ["host"] = d.Host,
        ["server"] = server?.ToString(), ["concurrency"] = d.Concurrency.ToString(CultureInfo.InvariantCulture),
        ["prefetch"] = d.Prefetch?.ToString(CultureInfo.InvariantCulture) ?? "auto", ["handle"] = d.Handle, ["worker_id"] = d.WorkerId?.ToString(),
    };

    private static Dictionary<string, string> Environment(DeploymentRecord d, Uri? server, string? token)
    {
        var environment = new Dictionary<string, string> { ["DROVER_WORKER_NAME"] = d.Name, ["DROVER_BATCH"] = d.Batch };
        if (server is not null) environment["DROVER_URL"] = server.ToString();
        if (token is not null) environment["DROVER_TOKEN"] = token;
        if (d.Handle is not null) environment["DROVER_HANDLE"] = d.Handle;
        return environment;
    }
}
