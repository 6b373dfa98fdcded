using System.Text.Json;
using Drover.Json;
using Drover.Model;
using Drover.Query;
using Drover.Server.Auth;
using Drover.Server.Http;
using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Endpoints;

/// <summary>The audit log, newest first: by time, or with the task filter language over its fields. Admin only.</summary>
public static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 10_000;

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/audit").RequireAuthorization(Roles.AdminPolicy).WithTags("audit");
        audit.MapGet("/", ListAsync).Produces<AuditRecord[]>().ProducesValidationProblem()
            .WithSummary("Who did what, newest first: ?since=1h (or a time) &limit=100");
        audit.MapPost("/query", QueryAsync).Produces<AuditRecord[]>().ProducesValidationProblem()
            .WithSummary("Audit entries matching {filter, limit}: the task filter language over seq, time, token, role, action, target, address, status");
    }

    private static async Task<IResult> ListAsync(string? since, string? limit, IAccessStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        Filter filter = Filter.All;
        if (since is not null)
        {
            if (Durations.TryParse(since, out var ago)) filter = After(time.GetUtcNow() - ago);
            else if (DateTimeOffset.TryParse(since, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)) filter = After(at);
            else errors.Add("since", $"'{since}' is neither a duration (1h) nor a time (2026-12-06T10:00:00Z)");
        }
        var count = Limit(limit, errors);
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        return Results.Ok(await store.QueryAuditAsync(filter, count, cancellationToken));
    }

    private static async Task<IResult> QueryAsync(HttpRequest request, IAccessStore store, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;
        var errors = new FieldErrors();
        Filter? filter = Filter.All;
        var count = DefaultLimit;
        if (body.ValueKind != JsonValueKind.Object) errors.Add("body", "must be a JSON object: {\"filter\": {...}, \"limit\": 100}");
        else
        {
            foreach (var member in body.EnumerateObject())
            {
                if (member.Name == "filter") filter = FilterParser.Parse(member.Value, errors, AuditFields.Catalogue);
                else if (member.Name == "limit") count = Limit(member.Value.ValueKind == JsonValueKind.Number ? member.Value.GetRawText() : null, errors, given: true);
                else errors.Add(member.Name, "is not a member of an audit query (filter, limit)");
            }
        }
        if (!errors.IsEmpty) return Problems.Invalid(errors);
        return Results.Ok(await store.QueryAuditAsync(filter!, count, cancellationToken));
    }

    private static CompareFilter After(DateTimeOffset time) => new(AuditFields.Catalogue["time"], CompareOp.Gte, time);

    /// <param name="given">The caller named a limit, so null is not "use the default" but a wrong value.</param>
    private static int Limit(string? text, FieldErrors errors, bool given = false)
    {
        if (text is null && !given) return DefaultLimit;
        if (int.TryParse(text, out var limit) && limit is >= 1 and <= MaxLimit) return limit;
        errors.Add("limit", $"must be a whole number from 1 to {MaxLimit}");
        return DefaultLimit;
    }
}
