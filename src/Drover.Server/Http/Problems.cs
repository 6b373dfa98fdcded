using Drover.Storage;
using Drover.Validation;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

/// <summary>RFC 9457 problem details, always naming the field at fault where there is one.</summary>
public static class Problems
{
    public static IResult Invalid(FieldErrors errors) =>
        Results.ValidationProblem(errors.ToDictionary(), title: "The request is not valid.");

    public static IResult Invalid(string field, string message)
    {
        var errors = new FieldErrors();
        errors.Add(field, message);
        return Invalid(errors);
    }

    public static IResult NotFound(string what, Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {what}.", detail: $"There is no {what} with id {id}.");

    /// <summary>
    /// No such task (or execution): with <c>--store none</c> the answer says why, since a task that
    /// existed and ended is gone too.
    /// </summary>
    public static IResult NotFound(string what, IReadOnlyCollection<Guid> ids, ITaskStore store, string? then = null)
    {
        var detail = $"There is no {what} with id {Some(ids)}";
        if (!store.KeepsHistory) detail += ". This server keeps no history (--store none): tasks are forgotten when they end";
        return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No such {what}.", detail: detail + (then is null ? "." : $"; {then}."));
    }

    /// <summary>Ids for a message: the first ten, and how many more.</summary>
    public static string Some(IReadOnlyCollection<Guid> ids) =>
        string.Join(", ", ids.Take(10)) + (ids.Count > 10 ? $" and {ids.Count - 10} more" : "");

    public static IResult Conflict(string title, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail);
}
