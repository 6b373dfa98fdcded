using System.Text.Json;
using Drover.Json;
using Drover.Validation;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Drover.Server.Http;

/// <summary>
/// Reads a request body strictly (unknown fields refused) and turns every way it can be wrong into a
/// problem detail that names the field, instead of ASP.NET Core's generic binding failure.
/// </summary>
public static class JsonBody
{
    /// <summary>The most a body may hold on an endpoint that takes one small object (a signal, a lease, a login).</summary>
    public const long SmallBodyBytes = 1024 * 1024;

    /// <summary>How deep a body's JSON may nest: task args and filters may nest (bulk endpoints), settings and signals need little.</summary>
    public const int MaxBulkDepth = 64;
    public const int MaxDepth = 16;

    /// <param name="bulk">
    /// The endpoint takes many items at once (tasks, events, ids, filters): the server's whole limit
    /// (16 MiB). Otherwise <see cref="SmallBodyBytes"/>, so that no endpoint buffers more than it
    /// could ever need.
    /// </param>
    public static async Task<(JsonElement Root, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken, bool bulk = false)
    {
        var size = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (!bulk && size is { IsReadOnly: false } && (size.MaxRequestBodySize ?? long.MaxValue) > SmallBodyBytes) size.MaxRequestBodySize = SmallBodyBytes;
        // Refuse a body declared too large before reading it: a client that sent "Expect: 100-continue"
        // then never sends it, and reads this answer instead of having its connection cut.
        var limit = size?.MaxRequestBodySize;
        if (request.ContentLength > limit) return (default, TooLarge(limit));
        try
        {
            var utf8 = await ReadWholeAsync(request.Body, request.ContentLength, cancellationToken);
            LargeBodies.Received(utf8.Length);
            var document = Parse(utf8, bulk ? MaxBulkDepth : MaxDepth);
            var errors = new FieldErrors();
            JsonText.Check(document.RootElement, errors);
            if (!errors.IsEmpty) return (default, Problems.Invalid(errors));
            return (document.RootElement, null);
        }
        catch (JsonException ex)
        {
            return (default, Problems.Invalid("body", $"is not valid JSON ({ex.Message.Split(" Path:")[0].Split(" LineNumber:")[0].TrimEnd('.')} at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, TooLarge(limit));
        }
        catch (BadHttpRequestException ex)
        {
            // The body ended early: the client went away (a worker stopping mid-request), or sent less than it said.
            return (default, Problems.Invalid("body", $"was not received whole ({ex.Message})"));
        }
    }

    /// <summary>
    /// The body in one array the GC takes back after the request, instead of pooled buffers that
    /// double as they fill and that the shared pool then keeps (hundreds of MiB after a few large bad
    /// bodies). A declared length is taken at its word up to 1 MiB (a create of a thousand tasks is
    /// about 150 KB, and growing to it from 64 KB made and copied two arrays more); past that it grows
    /// as the body arrives, so a client that declares 16 MiB and sends nothing costs 1 MiB at most;
    /// Kestrel stops it at the limit.
    /// </summary>
    private static async Task<ReadOnlyMemory<byte>> ReadWholeAsync(Stream body, long? length, CancellationToken cancellationToken)
    {
        using var whole = new MemoryStream((int)Math.Min(length ?? 0, 1024 * 1024));
        await body.CopyToAsync(whole, cancellationToken);
        return whole.GetBuffer().AsMemory(0, (int)whole.Length);
    }

    /// <summary>
    /// Parses one JSON value and nothing after it. <see cref="JsonDocument.ParseValue"/> builds its
    /// document in plain arrays (nothing rented from the shared pool, nothing to dispose), so the
    /// memory of a large body goes back to the GC with the request.
    /// </summary>
    private static JsonDocument Parse(ReadOnlyMemory<byte> utf8, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = maxDepth });
        var document = JsonDocument.ParseValue(ref reader);
        if (reader.Read()) throw new JsonException("'" + (char)utf8.Span[(int)reader.TokenStartIndex] + "' is after the end of the JSON value", null, 0, reader.TokenStartIndex);
        return document;
    }

    private static IResult TooLarge(long? limit) =>
        Problems.Invalid("body", $"is larger than the {limit / (1024 * 1024)} MiB the server accepts here");

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken, bool bulk = false)
        where T : class
    {
        var (root, problem) = await ReadAsync(request, cancellationToken, bulk);
        if (problem is not null) return (null, problem);
        var errors = new FieldErrors();
        var value = Deserialize<T>(root, errors, prefix: "");
        return value is null ? (null, Problems.Invalid(errors)) : (value, null);
    }

    /// <summary>Deserializes one element; on failure adds an error under the offending field's name.</summary>
    public static T? Deserialize<T>(JsonElement element, FieldErrors errors, string prefix) where T : class
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add(prefix.Length == 0 ? "body" : prefix.TrimEnd('.'), "must be a JSON object");
            return null;
        }
        try
        {
            var value = element.Deserialize<T>(DroverJson.Strict);
            if (value is null) errors.Add(prefix.Length == 0 ? "body" : prefix.TrimEnd('.'), "must not be null");
            return value;
        }
        catch (JsonException ex)
        {
            var (field, message) = Describe(ex);
            errors.Add(prefix + field, message);
            return null;
        }
    }

    private static (string Field, string Message) Describe(JsonException ex)
    {
        var path = ex.Path ?? "$";
        // An unknown member is reported at its parent's path; its name is in the message.
        const string unmapped = "The JSON property '";
        var start = ex.Message.IndexOf(unmapped, StringComparison.Ordinal);
        if (start >= 0)
        {
            var nameStart = start + unmapped.Length;
            var name = ex.Message[nameStart..ex.Message.IndexOf('\'', nameStart)];
            var at = FieldName(path);
            // Depending on the reader, the path names the unknown member itself or its parent.
            var unknown = at == name || at.EndsWith("." + name, StringComparison.Ordinal) ? at : at.Length == 0 ? name : $"{at}.{name}";
            return (unknown, "is not a known field");
        }
        var field = FieldName(path);
        var detail = ex.InnerException?.Message ?? "";
        var message = ex.Message.StartsWith("must ", StringComparison.Ordinal) ? ex.Message
            : detail.StartsWith("must ", StringComparison.Ordinal) ? detail
            : ExpectedType(ex.Message);
        return (field.Length == 0 ? "body" : field, message);
    }

    /// <summary>Says what was expected, read from the serializer's "could not be converted to T" message.</summary>
    private static string ExpectedType(string message) => message switch
    {
        _ when message.Contains("List`1[System.String]", StringComparison.Ordinal) => "must be an array of strings",
        _ when message.Contains("Dictionary`2", StringComparison.Ordinal) => "must be an object of strings",
        _ when message.Contains("System.Int32", StringComparison.Ordinal) => "must be a whole number",
        _ when message.Contains("System.Double", StringComparison.Ordinal) => "must be a number",
        _ when message.Contains("System.Boolean", StringComparison.Ordinal) => "must be true or false",
        _ when message.Contains("System.String", StringComparison.Ordinal) => "must be a string",
        _ when message.Contains("WorkerState", StringComparison.Ordinal) || message.Contains("ReportEventType", StringComparison.Ordinal) => "is not one of the allowed values",
        _ => "has a value of the wrong type",
    };

    private static string FieldName(string jsonPath) =>
        jsonPath.StartsWith("$.", StringComparison.Ordinal) ? jsonPath[2..] : jsonPath.TrimStart('$');
}
