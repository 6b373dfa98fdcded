namespace Drover.Server.Auth;

public static class Roles
{
    public const string Admin = "admin";
    public const string Worker = "worker";

    /// <summary>A running task, by its <see cref="TaskTokens"/> token: it may set its own status only.</summary>
    public const string Task = "task";

    /// <summary>The execution a task token was made for.</summary>
    public const string ExecutionClaim = "drover-execution";

    /// <summary>The deployed worker a deployment token was made for: it registers under that name only.</summary>
    public const string DeploymentClaim = "drover-deployment";

    /// <summary>Policy for everything but the worker protocol.</summary>
    public const string AdminPolicy = "drover-admin";

    /// <summary>Policy for the worker protocol: the worker token or the admin token.</summary>
    public const string WorkerPolicy = "drover-worker";

    /// <summary>Policy for a task's status: the admin token, or the task's own token.</summary>
    public const string StatusPolicy = "drover-status";
}
