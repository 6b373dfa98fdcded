using System.Text.RegularExpressions;
using Drover.Text;

namespace Drover.Server.Recruiting;

/// <summary>
/// A command provider's template: <c>{placeholder}</c>s replaced by values quoted for <c>sh</c>, so a
/// batch named <c>a;rm -rf /</c> stays one word. <c>{token}</c> becomes <c>"$DROVER_TOKEN"</c>: the
/// secret is in the command's environment (and on its standard input), never in its text.
/// </summary>
public static partial class CommandTemplate
{
    public static readonly IReadOnlySet<string> DeployPlaceholders =
        new HashSet<string>(["name", "batch", "flavor", "region", "host", "server", "token", "concurrency", "prefetch"]);

    public static readonly IReadOnlySet<string> DestroyPlaceholders =
        new HashSet<string>([.. DeployPlaceholders, "handle", "worker_id"]);

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();

    /// <returns>The first placeholder the template uses that is not allowed, or null.</returns>
    public static string? Unknown(string template, IReadOnlySet<string> allowed) =>
        Placeholder().Matches(template).Select(m => m.Groups[1].Value).FirstOrDefault(p => !allowed.Contains(p));

    public static string Expand(string template, IReadOnlyDictionary<string, string?> values) =>
        Placeholder().Replace(template, m => m.Groups[1].Value == "token"
            ? "\"$DROVER_TOKEN\""
            : ShellWords.Quote(values.GetValueOrDefault(m.Groups[1].Value) ?? ""));
}
