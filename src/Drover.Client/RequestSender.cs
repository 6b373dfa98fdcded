using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Json;

namespace Drover.Client;

/// <summary>What kind of call a request is, which decides how it retries in resilient mode.</summary>
internal enum CallKind
{
    /// <summary>Safe to repeat; retries until the read timeout.</summary>
    Read,
    /// <summary>Made safe to repeat (client-chosen ids; a repeated cancel or signal is refused harmlessly); retries until the write timeout.</summary>
    Write,
    /// <summary>The worker protocol, which has its own retries: one attempt.</summary>
    Once,
}

/// <summary>
/// Sends one API request: a single attempt, or in resilient mode attempts with backoff while the
/// failure is transient — the connection refused or dropped, 502/503/504, a 429 (after its
/// Retry-After), or no answer within the attempt timeout (a server that stalls).
/// </summary>
internal sealed class RequestSender(HttpClient http, DroverClientOptions options)
{
    public DroverClientOptions Options => options;

    /// <param name="bearer">A token for this request instead of the client's (a task's own token).</param>
    /// <param name="prefer">A <c>Prefer</c> header (RFC 7240), such as <c>return=minimal</c>.</param>
    /// <param name="read">Reads the answer's body instead of the serializer (a wait's answer, <see cref="WaitResponseReader"/>).</param>
    public async Task<T?> SendAsync<T>(HttpMethod method, string path, object? body, CallKind kind, CancellationToken cancellationToken,
        TimeSpan? attemptTimeout = null, string? bearer = null, string? prefer = null, Func<Stream, CancellationToken, Task<T>>? read = null)
    {
        var content = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), DroverJson.Options);
        var deadline = !options.Resilient || kind == CallKind.Once ? TimeSpan.Zero : kind == CallKind.Read ? options.ReadTimeout : options.WriteTimeout;
        // A fail-fast client waits as long as the server takes (long-polls decide their own length).
        var timeout = attemptTimeout ?? (options.Resilient && kind != CallKind.Once ? options.AttemptTimeout : Timeout.InfiniteTimeSpan);
        var started = DateTimeOffset.UtcNow;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await AttemptAsync(method, path, content, timeout, cancellationToken, bearer, prefer, read).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                var delay = Delay(ex, attempt, options.Backoff);
                if (DateTimeOffset.UtcNow - started + delay > deadline)
                {
                    if (!options.Resilient || kind == CallKind.Once) throw Unwrapped(ex);
                    throw new DroverUnavailableException($"{method} /{path}: the server could not be reached within {deadline.TotalSeconds:0.#} s ({ex.Message})", ex);
                }
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One attempt, without retries (the outbox's own loop uses this).</summary>
    public async Task<T?> AttemptAsync<T>(HttpMethod method, string path, byte[]? content, TimeSpan timeout, CancellationToken cancellationToken,
        string? bearer = null, string? prefer = null, Func<Stream, CancellationToken, Task<T>>? read = null)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        if (prefer is not null) request.Headers.TryAddWithoutValidation("Prefer", prefer);
        if (content is not null)
        {
            request.Content = new ByteArrayContent(content);
            request.Content.Headers.ContentType = new("application/json");
        }
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw await DroverApiException.FromAsync(response, attempt.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NoContent || typeof(T) == typeof(object)) return default;
            if (read is null) return await response.Content.ReadFromJsonAsync<T>(DroverJson.Options, attempt.Token).ConfigureAwait(false);
            await using var stream = await response.Content.ReadAsStreamAsync(attempt.Token).ConfigureAwait(false);
            return await read(stream, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AttemptTimedOutException($"no answer within {timeout.TotalSeconds:0.#} s", ex);
        }
    }

    public static bool IsTransient(Exception ex, CancellationToken cancellationToken) => !cancellationToken.IsCancellationRequested && ex switch
    {
        HttpRequestException or IOException or AttemptTimedOutException => true,
        DroverApiException api => api.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
        _ => false,
    };

    /// <summary>The wait before the next attempt: the backoff, or longer if the server asked for it.</summary>
    public static TimeSpan Delay(Exception ex, int attempt, Drover.Resilience.BackoffPolicy backoff)
    {
        var delay = backoff.Delay(attempt);
        return ex is DroverApiException { RetryAfter: { } asked } && asked > delay ? asked : delay;
    }

    /// <summary>A fail-fast client reports a stalled server as the timeout it was.</summary>
    private static Exception Unwrapped(Exception ex) => ex is AttemptTimedOutException timedOut ? new TimeoutException(timedOut.Message, timedOut.InnerException) : ex;

    private sealed class AttemptTimedOutException(string message, Exception inner) : Exception(message, inner);
}
