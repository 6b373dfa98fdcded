using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Drover.Json;

namespace Drover.Client;

/// <summary>The server refused a request; carries its problem detail (title, detail, and the fields at fault).</summary>
public sealed class DroverApiException(HttpStatusCode status, string title, string? detail, IReadOnlyDictionary<string, string[]>? errors,
    TimeSpan? retryAfter = null)
    : Exception(Describe(status, title, detail, errors))
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>How long the server asked to wait before trying again (<c>Retry-After</c>, with a 429 or 503), when it said.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors ?? new Dictionary<string, string[]>();

    private static string Describe(HttpStatusCode status, string title, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    {
        var text = $"{(int)status} {title}";
        if (!string.IsNullOrEmpty(detail)) text += " " + detail;
        if (errors is { Count: > 0 })
            text += " " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
        return text;
    }

    /// <summary>The exception for a response that is not a success, from its problem detail when it has one.</summary>
    public static async Task<DroverApiException> FromAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ProblemDetailsBody? problem = null;
        try
        {
            problem = await response.Content.ReadFromJsonAsync<ProblemDetailsBody>(DroverJson.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }
        var retryAfter = response.Headers.RetryAfter is { } header ? header.Delta ?? header.Date - DateTimeOffset.UtcNow : null;
        return new DroverApiException(response.StatusCode, problem?.Title ?? response.ReasonPhrase ?? "Error", problem?.Detail, problem?.Errors, retryAfter);
    }
}
