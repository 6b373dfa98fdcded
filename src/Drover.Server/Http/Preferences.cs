using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

/// <summary>The request's <c>Prefer</c> header (RFC 7240): preferences a server may honour or ignore.</summary>
public static class Preferences
{
    /// <summary>The header that says which preferences the answer honoured.</summary>
    public const string AppliedHeader = "Preference-Applied";

    public const string ReturnMinimal = "return=minimal";

    /// <summary>
    /// Whether the caller prefers a minimal answer: any <c>Prefer</c> header holding
    /// <c>return=minimal</c> (names and values compared without case, a quoted value allowed,
    /// parameters after a semicolon ignored). An unknown or malformed preference is ignored, as the
    /// RFC asks.
    /// </summary>
    public static bool PrefersMinimal(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var token = preference.Split(';', 2)[0].Split('=', 2, StringSplitOptions.TrimEntries);
                if (token is [var name, var value] && name.Equals("return", StringComparison.OrdinalIgnoreCase)
                    && value.Trim('"').Equals("minimal", StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }
        return false;
    }
}
