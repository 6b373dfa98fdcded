using System.Globalization;
using Drover.Model;
using Drover.Text;

namespace Drover.Recruiting;

/// <summary>
/// Which of a provider's flavors a recruiter means: a name, <c>auto:cpus&gt;=8,memory&gt;=16GB</c> for
/// the cheapest that fits (fewest cpus, then name, among equals), or nothing for the provider's first.
/// </summary>
public static class FlavorChoice
{
    public const string AutoPrefix = "auto:";

    /// <returns>The flavor, or null with <paramref name="error"/> saying why none fits.</returns>
    public static Flavor? Pick(string? spec, IReadOnlyList<Flavor> flavors, out string? error)
    {
        error = null;
        if (flavors.Count == 0)
        {
            error = "the provider has no flavors";
            return null;
        }
        if (string.IsNullOrEmpty(spec)) return flavors[0];
        if (!spec.StartsWith(AutoPrefix, StringComparison.Ordinal))
        {
            var named = flavors.FirstOrDefault(f => f.Name == spec);
            if (named is null) error = $"is not a flavor of provider {flavors[0].Provider} (it has {string.Join(", ", flavors.Select(f => f.Name))})";
            return named;
        }
        if (!TryParseConditions(spec[AutoPrefix.Length..], out var conditions, out error)) return null;
        var fitting = flavors.Where(f => conditions.All(c => c(f))).OrderBy(f => f.Cost).ThenBy(f => f.Cpus).ThenBy(f => f.Name, StringComparer.Ordinal).FirstOrDefault();
        if (fitting is null) error = $"no flavor of provider {flavors[0].Provider} has {spec[AutoPrefix.Length..]}";
        return fitting;
    }

    /// <summary>Checks a spec's syntax without the flavors: <c>auto:</c> conditions on cpus, memory and cost.</summary>
    public static bool IsWellFormed(string spec, out string? error)
    {
        error = null;
        return !spec.StartsWith(AutoPrefix, StringComparison.Ordinal) || TryParseConditions(spec[AutoPrefix.Length..], out _, out error);
    }

    private static bool TryParseConditions(string text, out List<Func<Flavor, bool>> conditions, out string? error)
    {
        conditions = [];
        error = null;
        foreach (var term in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var op = new[] { ">=", "<=", ">", "<", "=" }.FirstOrDefault(o => term.Contains(o, StringComparison.Ordinal));
            if (op is null)
            {
                error = $"'{term}' is not a condition such as cpus>=8, memory>=16GB or cost<=0.5";
                return false;
            }
            var at = term.IndexOf(op, StringComparison.Ordinal);
            var field = term[..at].Trim();
            var valueText = term[(at + op.Length)..].Trim();
            double value;
            Func<Flavor, double> of;
            switch (field)
            {
                case "cpus" when double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out value):
                    of = f => f.Cpus;
                    break;
                case "memory" when ByteSizes.TryParse(valueText, out var bytes):
                    value = bytes;
                    of = f => f.Memory;
                    break;
                case "cost" when double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out value):
                    of = f => f.Cost;
                    break;
                case "cpus" or "memory" or "cost":
                    error = $"'{valueText}' is not a value for {field}";
                    return false;
                default:
                    error = $"'{field}' is not cpus, memory or cost";
                    return false;
            }
            var limit = value;
            conditions.Add(op switch
            {
                ">=" => f => of(f) >= limit,
                "<=" => f => of(f) <= limit,
                ">" => f => of(f) > limit,
                "<" => f => of(f) < limit,
                _ => f => of(f) == limit,
            });
        }
        return true;
    }
}
