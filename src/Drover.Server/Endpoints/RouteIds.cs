using Drover.Server.Http;
using Drover.Validation;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Endpoints;

internal static class RouteIds
{
    /// <summary>Parses an id from the path; a malformed one is a 400 naming the parameter.</summary>
    public static bool TryParse(string text, out Guid id, out IResult? problem, string field = "id")
    {
        problem = null;
        if (Ids.TryParse(text, out id)) return true;
        problem = Problems.Invalid(field, $"'{text}' is not a UUID");
        return false;
    }
}
