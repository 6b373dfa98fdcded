using Drover.Model;

namespace Drover.Server.Recruiting;

/// <summary>What a provider is told to start: a worker with this name, for this batch, reaching this server with this token.</summary>
public sealed record WorkerLaunch(DeploymentRecord Deployment, Uri Server, string Token);

/// <summary>
/// Starts workers and gives them back. Two ship with Drover (<see cref="LocalProvider"/>,
/// <see cref="CommandProvider"/>); another (Kubernetes through KubernetesClient, a cloud SDK) is one
/// more implementation of this interface, registered in <see cref="ProviderRegistry"/>.
/// </summary>
public interface IWorkerProvider
{
    string Name { get; }

    IReadOnlyList<Flavor> Flavors { get; }

    /// <summary>The most live workers it may have at once.</summary>
    int MaxWorkers { get; }

    /// <summary>How long a deployed worker may take to register; null for the server's <c>--deploy-timeout</c>.</summary>
    TimeSpan? DeployTimeout { get; }

    /// <summary>
    /// True when the deploy's process is the worker itself (its exit ends the worker); false when it only
    /// asks for one (exit 0: asked; the worker registers later, perhaps while the command still runs, as ssh does).
    /// </summary>
    bool DeployIsWorker { get; }

    /// <summary>The host for the next worker, from the provider's list, given the live deployments; null when it has none.</summary>
    string? ChooseHost(IReadOnlyList<DeploymentRecord> live);

    /// <summary>Starts the deploy; its output goes to <paramref name="log"/>.</summary>
    ProviderProcess Deploy(WorkerLaunch launch, JobLog log);

    /// <summary>
    /// Gives the worker back once it has drained (or never registered): ends what the deploy left running
    /// and runs the provider's own destroy. Returns a reason when it failed, null when done.
    /// </summary>
    Task<string?> DestroyAsync(DeploymentRecord deployment, ProviderProcess? deployRun, JobLog log, CancellationToken cancellationToken);
}
