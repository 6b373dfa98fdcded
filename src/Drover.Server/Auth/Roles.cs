namespace Drover.Server.Auth;

public static class Roles
{
    public const string Admin = "admin";
    public const string Worker = "worker";

    /// <summary>Policy for everything but the worker protocol.</summary>
    public const string AdminPolicy = "drover-admin";

    /// <summary>Policy for the worker protocol: the worker token or the admin token.</summary>
    public const string WorkerPolicy = "drover-worker";
}
