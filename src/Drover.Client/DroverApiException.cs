using System.Net;

namespace Drover.Client;

/// <summary>The server refused a request; carries its problem detail (title, detail, and the fields at fault).</summary>
public sealed class DroverApiException(HttpStatusCode status, string title, string? detail, IReadOnlyDictionary<string, string[]>? errors)
    : Exception(Describe(status, title, detail, errors))
{
    public HttpStatusCode Status { get; } = status;
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
}
