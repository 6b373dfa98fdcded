using System.Text.RegularExpressions;

namespace Drover.Cli;

/// <summary>System.CommandLine's parse errors in words a user knows: "a whole number", not <c>System.Int32</c>.</summary>
internal static partial class ParseErrors
{
    [GeneratedRegex(@"as expected type '([^']+)'")]
    private static partial Regex ExpectedType();

    public static string Plain(string message) => ExpectedType().Replace(message, match => "as " + Kind(match.Groups[1].Value));

    /// <summary>The command as typed: <c>drover recruiter add</c>.</summary>
    public static string CommandLine(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (var at = result; at is not null; at = at.Parent as System.CommandLine.Parsing.CommandResult) names.Insert(0, at.Command.Name);
        names[0] = "drover";
        return string.Join(' ', names);
    }

    private static string Kind(string type)
    {
        var inner = type.StartsWith("System.Nullable`1[", StringComparison.Ordinal) ? type["System.Nullable`1[".Length..^1] : type;
        return inner switch
        {
            "System.Int32" or "System.Int64" => "a whole number",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.Guid" => "an id (a UUID)",
            _ => "a value of the right kind",
        };
    }
}
