namespace Drover.Model;

public enum DeploymentState
{
    /// <summary>Asked of the provider; its worker has not registered yet.</summary>
    Deploying,
    /// <summary>Its worker registered.</summary>
    Running,
    /// <summary>Being drained and given back.</summary>
    Destroying,
    /// <summary>Given back, or its worker went away.</summary>
    Gone,
    /// <summary>The deploy failed or its worker never registered.</summary>
    Failed,
}

/// <summary>A worker a provider started (or was asked to start): what it is, where, and for which batch.</summary>
public sealed record DeploymentRecord
{
    /// <summary>The worker's name, unique: how its registration is recognised.</summary>
    public required string Name { get; init; }
    public required string Provider { get; init; }
    public string? Flavor { get; init; }
    public string? Region { get; init; }
    /// <summary>The host a command provider chose from its list.</summary>
    public string? Host { get; init; }
    public required string Batch { get; init; }
    /// <summary>The rank of the recruiter that asked for it (its deploy failures back that recruiter off).</summary>
    public int Rank { get; init; }
    public int Concurrency { get; init; } = 1;
    /// <summary>Null: auto.</summary>
    public int? Prefetch { get; init; }
    public required DeploymentState Status { get; init; }
    public Guid? WorkerId { get; init; }
    /// <summary>What the provider knows it by: the first line a deploy command printed (a Slurm job id), or a local process id.</summary>
    public string? Handle { get; init; }
    /// <summary>The deploy job.</summary>
    public Guid? Job { get; init; }
    public required DateTimeOffset Created { get; init; }
    public DateTimeOffset? Registered { get; init; }
    public DateTimeOffset? Ended { get; init; }

    public bool IsLive => Status is DeploymentState.Deploying or DeploymentState.Running or DeploymentState.Destroying;
}
