namespace Drover.Model;

/// <summary>One entry of the append-only audit log: who did what to what, when, from where, and the answer.</summary>
public sealed record AuditRecord
{
    /// <summary>Its place in the log, given by the store (ascending).</summary>
    public long Seq { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>The token's name: <c>admin</c> or <c>worker</c> for the token files, a named token's name, or <c>dashboard</c>.</summary>
    public required string Token { get; init; }
    public required string Role { get; init; }
    /// <summary>What was asked, such as <c>task.cancel</c>, <c>tasks.purge</c>, <c>token.revoke</c>.</summary>
    public required string Action { get; init; }
    /// <summary>What it was asked of: the route's ids and names (a task id, a batch, a token's name), if any.</summary>
    public string? Target { get; init; }
    /// <summary>The request body, cut to its first 1,000 characters (a purge's filter, a worker's new settings).</summary>
    public string? Detail { get; init; }
    /// <summary>The client's address.</summary>
    public string? Address { get; init; }
    /// <summary>The HTTP status of the answer.</summary>
    public int Status { get; init; }
}
