using Drover.Resilience;

namespace Drover.Client;

/// <summary>
/// How a <see cref="DroverClient"/> behaves when the server cannot be reached. Resilient (the default
/// when options are given): reads retry with backoff until <see cref="ReadTimeout"/>; writes retry
/// until <see cref="WriteTimeout"/>, and the handle-returning writes (<c>SubmitAsync</c>,
/// <c>SignalAsync</c>, <c>CancelAsync</c>) then go to an outbox that sends them in order in the
/// background. <see cref="Resilient"/> = false: every call is one request and fails fast.
/// </summary>
public sealed record DroverClientOptions
{
    /// <summary>One attempt per call, no outbox: what the CLI and the worker use.</summary>
    public static DroverClientOptions FailFast { get; } = new() { Resilient = false };

    public bool Resilient { get; init; } = true;

    /// <summary>How long a write keeps trying before it goes to the outbox (or, for a direct call, fails).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a read keeps retrying before it fails with <see cref="DroverUnavailableException"/>.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one request may take before it counts as a failed attempt (a server that stalls).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Keep the outbox in this file, so that writes not yet delivered survive the client process; null keeps it in memory.</summary>
    public string? OutboxPath { get; init; }

    public BackoffPolicy Backoff { get; init; } = BackoffPolicy.Default;

    /// <summary>
    /// Ids a wait request names at most (<see cref="DroverClient.WaitAllAsync"/> waits on more in turn):
    /// 100,000 ids are a 3.9 MB body, well under the server's 16 MiB limit on a request body and its
    /// 4 MiB mark past which a body's memory is given back at once.
    /// </summary>
    public int WaitIdsPerRequest { get; init; } = 100_000;

    /// <summary>A PEM file of certificate authorities to trust for an <c>https://</c> server besides the system's (a private CA).</summary>
    public string? CaFile { get; init; }
}
