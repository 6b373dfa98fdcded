namespace Drover.Model;

/// <summary>What a named token may do (see the README's security table).</summary>
public enum TokenRole
{
    /// <summary>Everything.</summary>
    Admin,
    /// <summary>Create, read, wait for, signal, cancel, resubmit and purge tasks, within its scope.</summary>
    Submit,
    /// <summary>Read and follow tasks, within its scope: an observer's dashboard.</summary>
    Read,
    /// <summary>The worker protocol; leases only from its batches when it has some.</summary>
    Worker,
}

/// <summary>
/// A named token (<c>drover token create</c>). The secret is never stored: only its SHA-256, kept
/// beside this record by the store. Groups and batches scope it: a task is in its scope when its
/// group is one of <see cref="Groups"/> (when given) and its batch one of <see cref="Batches"/> (when given).
/// </summary>
public sealed record TokenRecord
{
    public required string Name { get; init; }
    public required TokenRole Role { get; init; }
    public List<string>? Groups { get; init; }
    public List<string>? Batches { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset? Expires { get; init; }
    /// <summary>When it was last accepted, to the minute (not written on every request).</summary>
    public DateTimeOffset? LastUsed { get; init; }
    /// <summary>Answers only: <c>file</c> for the first admin and worker tokens (the data directory's token files), else null.</summary>
    public string? Source { get; init; }
}
