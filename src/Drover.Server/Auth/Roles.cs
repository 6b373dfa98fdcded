namespace Drover.Server.Auth;

/// <summary>The roles a caller may have, their claims, and the authorization policies built on them.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Submit = "submit";
    public const string Read = "read";
    public const string Worker = "worker";

    /// <summary>A running task, by its <see cref="TaskTokens"/> token: it may set its own status only.</summary>
    public const string Task = "task";

    /// <summary>The execution a task token was made for.</summary>
    public const string ExecutionClaim = "drover-execution";

    /// <summary>The deployed worker a deployment token was made for: it registers under that name only.</summary>
    public const string DeploymentClaim = "drover-deployment";

    /// <summary>One claim per group a named token is scoped to.</summary>
    public const string GroupClaim = "drover-group";

    /// <summary>One claim per batch a named token is scoped to.</summary>
    public const string BatchClaim = "drover-batch";

    /// <summary>Policy for what only an admin does: tokens, workers' settings, recruiters, datasets' distribution, admin calls.</summary>
    public const string AdminPolicy = "drover-admin";

    /// <summary>Policy for changing tasks (create, signal, cancel, resubmit, purge): admin or submit, within the scope.</summary>
    public const string SubmitPolicy = "drover-submit";

    /// <summary>Policy for reading and following tasks: admin, submit or read, within the scope.</summary>
    public const string ReadPolicy = "drover-read";

    /// <summary>Policy for reading one task: a reader's, or a running task's own with its token.</summary>
    public const string TaskReadPolicy = "drover-task-read";

    /// <summary>Policy for the worker protocol: the worker token or the admin token.</summary>
    public const string WorkerPolicy = "drover-worker";

    /// <summary>Policy for a task's status: the admin token, or the task's own token.</summary>
    public const string StatusPolicy = "drover-status";
}
