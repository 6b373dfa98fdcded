using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Json;

namespace Drover.Model;

/// <summary>A task as Drover keeps it: the definition written by the client and the state written by Drover.</summary>
public sealed record TaskRecord
{
    public required Guid Id { get; init; }
    public string? Name { get; init; }
    public required string Batch { get; init; }
    public string? Group { get; init; }
    public IReadOnlyList<string>? Command { get; init; }
    /// <summary>The shell that runs <see cref="Command"/>'s single text ("sh", "bash"), or null for none.</summary>
    public string? Shell { get; init; }
    public string? Handler { get; init; }
    public JsonElement? Args { get => Compact.Read(_args); init => _args = Compact.Of(value); }
    public IReadOnlyDictionary<string, string>? Env { get; init; }
    public IReadOnlyList<Guid>? Requires { get => _rare?.Requires; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Requires = v }); }
    public int Priority { get; init; }
    public int Retry { get; init; }
    [JsonConverter(typeof(NullableDurationJsonConverter))]
    public TimeSpan? Timeout { get => Compact.Duration(_timeout); init => _timeout = Compact.Of(value); }
    /// <summary>Not before this time: <c>pending</c> until then (and until its requirements succeeded).</summary>
    public DateTimeOffset? RunAfter { get => _rare?.RunAfter; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { RunAfter = v }); }
    /// <summary>Fetched into the run's <c>$INPUT</c> before it starts (normalized staging URIs).</summary>
    public IReadOnlyList<string>? Input { get => _rare?.Input; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Input = v }); }
    /// <summary>Fetched once per worker into its cache and given read-only as <c>$RESOURCE</c>.</summary>
    public IReadOnlyList<string>? Resource { get => _rare?.Resource; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Resource = v }); }
    /// <summary>The URI prefix the run's <c>$OUTPUT</c> is uploaded under.</summary>
    public string? Output { get => _rare?.Output; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Output = v }); }
    public OutputOn? OutputOn { get => _rare?.OutputOn; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { OutputOn = v }); }
    /// <summary>The image the command runs in, through the worker's container engine.</summary>
    public string? Container { get => _rare?.Container; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Container = v }); }
    public IReadOnlyList<string>? ContainerOptions { get => _rare?.ContainerOptions; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { ContainerOptions = v }); }
    /// <summary>Reuse the outputs of an earlier succeeded task with the same command, container, inputs and environment.</summary>
    public bool Cache { get; init; }

    public required TaskState Status { get; init; }
    public string? StatusMessage { get => _rare?.StatusMessage; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { StatusMessage = v }); }
    public double? Progress { get => _rare?.Progress; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Progress = v }); }
    /// <summary>Executions created so far (leases), including ones lost or handed back.</summary>
    public int Attempts { get; init; }
    /// <summary>Failed executions so far; a failure with <c>failures &lt;= retry</c> is retried.</summary>
    public int Failures { get; init; }
    public Guid? WorkerId { get; init; }
    public Guid? ExecutionId { get; init; }
    public required DateTimeOffset Submitted { get => Compact.Time(_submitted)!.Value; init => _submitted = Compact.Of(value); }
    /// <summary>When the current attempt was leased to its worker.</summary>
    public DateTimeOffset? Assigned { get => Compact.Time(_assigned); init => _assigned = Compact.Of(value); }
    public DateTimeOffset? Started { get => Compact.Time(_started); init => _started = Compact.Of(value); }
    public DateTimeOffset? Completed { get => Compact.Time(_completed); init => _completed = Compact.Of(value); }
    public DateTimeOffset? LeaseExpires { get => Compact.Time(_leaseExpires); init => _leaseExpires = Compact.Of(value); }
    public int? ExitCode { get; init; }
    public JsonElement? Result { get => Compact.Read(_result); init => _result = Compact.Of(value); }
    public string? Error { get; init; }
    public string? Stdout { get; init; }
    public string? Stderr { get; init; }
    public long? StdoutBytes { get => Compact.Number(_stdoutBytes); init => _stdoutBytes = Compact.Of(value); }
    public long? StderrBytes { get => Compact.Number(_stderrBytes); init => _stderrBytes = Compact.Of(value); }
    public string? ClientId { get => _rare?.ClientId; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { ClientId = v }); }
    public string? Reason { get; init; }
    /// <summary>The task this one was resubmitted from, if any.</summary>
    public Guid? ResubmittedFrom { get => _rare?.ResubmittedFrom; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { ResubmittedFrom = v }); }
    /// <summary>The newest task resubmitted from this one, if any.</summary>
    public Guid? Resubmitted { get => _rare?.Resubmitted; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Resubmitted = v }); }
    /// <summary>The earlier task whose outputs this one reused instead of running (<see cref="Cache"/>).</summary>
    public Guid? CachedFrom { get => _rare?.CachedFrom; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { CachedFrom = v }); }
    /// <summary>
    /// For a <see cref="Cache"/> task that ran: the digest of what its result depends on (command,
    /// container, environment, inputs and resources with their remote versions). A later task with
    /// the same key reuses this one's outputs once it has succeeded.
    /// </summary>
    public string? CacheKey { get => _rare?.CacheKey; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { CacheKey = v }); }
    /// <summary>What the current (or last) execution staged and uploaded, for a task with data to move.</summary>
    public TransferRecord? Transfer { get => _rare?.Transfer; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Transfer = v }); }

    /// <summary>The signals asked for during the current execution (they go into its record when it closes).</summary>
    [JsonIgnore]
    public IReadOnlyList<SignalRecord>? Signals { get => _rare?.Signals; init => _rare = Rare.Set(_rare, value, static (r, v) => r with { Signals = v }); }

    /// <summary>Submission order; the list cursor and the tie-break among equal priorities.</summary>
    [JsonIgnore]
    public long Seq { get; init; }

    // The common fields of nullable value types, kept without their Nullable wrapper (Compact): times as
    // UTC ticks in 8 bytes instead of 24 (a DateTimeOffset? is a DateTime, an offset and a flag, padded),
    // byte counts and the timeout in 8 instead of 16, JSON values in 16 instead of 24.
    private long _submitted, _assigned = Compact.None, _started = Compact.None, _completed = Compact.None, _leaseExpires = Compact.None,
        _stdoutBytes = Compact.None, _stderrBytes = Compact.None, _timeout = Compact.None;
    private JsonElement _args, _result;

    /// <summary>
    /// The fields most tasks never set, in one object of their own that records share until one of
    /// them changes (null when all are): a record is copied at each change of state (created, leased,
    /// ended, read back), and these made a third of its 608 bytes (416 then, 304 with the common fields
    /// compacted, on .NET 10 x64).
    /// </summary>
    private Rare? _rare;

    private sealed record Rare
    {
        public static readonly Rare None = new();

        /// <summary>
        /// <paramref name="rare"/> with one field set by <paramref name="set"/> (a copy: records may share
        /// it); null when no field is set, so that records equal field by field compare equal.
        /// </summary>
        public static Rare? Set<T>(Rare? rare, T value, Func<Rare, T, Rare> set)
        {
            if (value is null && rare is null) return null;
            var changed = set(rare ?? None, value);
            return changed == None ? null : changed;
        }

        public IReadOnlyList<Guid>? Requires { get; init; }
        public DateTimeOffset? RunAfter { get; init; }
        public IReadOnlyList<string>? Input { get; init; }
        public IReadOnlyList<string>? Resource { get; init; }
        public string? Output { get; init; }
        public OutputOn? OutputOn { get; init; }
        public string? Container { get; init; }
        public IReadOnlyList<string>? ContainerOptions { get; init; }
        public string? StatusMessage { get; init; }
        public double? Progress { get; init; }
        public string? ClientId { get; init; }
        public Guid? ResubmittedFrom { get; init; }
        public Guid? Resubmitted { get; init; }
        public Guid? CachedFrom { get; init; }
        public string? CacheKey { get; init; }
        public TransferRecord? Transfer { get; init; }
        public IReadOnlyList<SignalRecord>? Signals { get; init; }
    }

    /// <summary>The record as lists and waits answer it: without output, args and result, which can be large.</summary>
    /// <remarks>The record itself when it has none of them (no copy: records are immutable).</remarks>
    public TaskRecord WithoutLargeFields() => Stdout is null && Stderr is null && Args is null && Result is null
        ? this
        : this with { Stdout = null, Stderr = null, Args = null, Result = null };
}
