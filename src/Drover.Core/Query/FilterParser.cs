using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Drover.Json;
using Drover.Model;
using Drover.Validation;

namespace Drover.Query;

/// <summary>
/// Reads a MongoDB-style filter into a checked <see cref="Filter"/>. Every mistake is reported
/// under its path inside the request (<c>filter.completed.$gte</c>), and a filter with any
/// mistake yields null: nothing half-understood ever reaches a store.
/// </summary>
public static class FilterParser
{
    /// <summary>
    /// The size a filter may have, the same for every store (SQLite's and PostgreSQL's own limits on
    /// parameters and expression depth are never reached): values in all its <c>$in</c>/<c>$nin</c>
    /// lists, conditions, and nesting of <c>$and $or $nor $not</c>.
    /// </summary>
    public const int MaxInValues = 100_000;
    public const int MaxConditions = 5_000;
    public const int MaxDepth = 32;

    /// <summary>The longest <c>$regex</c> pattern.</summary>
    public const int MaxPatternLength = 1_000;

    /// <summary>How long one regular expression may take on one value before the query fails.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    public static Filter? Parse(JsonElement filter, FieldErrors errors, string path = "filter") =>
        Parse(filter, errors, TaskFields.Catalogue, path);

    /// <summary>A filter over other records than tasks (the audit log's): the same language, over <paramref name="fields"/>.</summary>
    public static Filter? Parse(JsonElement filter, FieldErrors errors, IReadOnlyDictionary<string, TaskField> fields, string path = "filter")
    {
        var before = errors.Count;
        var parsed = ParseDocument(filter, errors, path, fields);
        if (errors.Count != before) return null;
        var (values, conditions, depth) = Measure(parsed);
        if (values > MaxInValues) errors.Add(path, $"holds {values} values in its $in and $nin lists; at most {MaxInValues} are allowed");
        if (conditions > MaxConditions) errors.Add(path, $"has {conditions} conditions; at most {MaxConditions} are allowed");
        if (depth > MaxDepth) errors.Add(path, $"nests $and, $or, $nor and $not {depth} deep; at most {MaxDepth} levels are allowed");
        return errors.Count == before ? parsed : null;
    }

    /// <summary>How many $in values and conditions a filter holds, and how deep its operators nest.</summary>
    private static (int Values, int Conditions, int Depth) Measure(Filter filter)
    {
        switch (filter)
        {
            case AndFilter { Parts: var parts }:
                return Combine(parts);
            case OrFilter { Parts: var parts }:
                return Combine(parts);
            case NotFilter not:
                var (v, c, d) = Measure(not.Inner);
                return (v, c, d + 1);
            case InFilter i:
                return (i.Values.Count, 1, 0);
            default:
                return (0, 1, 0);
        }

        static (int, int, int) Combine(IReadOnlyList<Filter> parts)
        {
            int values = 0, conditions = 0, depth = 0;
            foreach (var part in parts)
            {
                var (v, c, d) = Measure(part);
                values += v;
                conditions += c;
                depth = Math.Max(depth, d);
            }
            return (values, conditions, depth + 1);
        }
    }

    private static Filter ParseDocument(JsonElement document, FieldErrors errors, string path, IReadOnlyDictionary<string, TaskField> fields)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            errors.Add(path, "must be a JSON object");
            return Filter.All;
        }
        var parts = new List<Filter>();
        foreach (var property in document.EnumerateObject())
        {
            var at = $"{path}.{property.Name}";
            switch (property.Name)
            {
                case "$and":
                    parts.Add(new AndFilter(ParseList(property.Value, errors, at, fields)));
                    break;
                case "$or":
                    parts.Add(new OrFilter(ParseList(property.Value, errors, at, fields)));
                    break;
                case "$nor":
                    parts.Add(new NotFilter(new OrFilter(ParseList(property.Value, errors, at, fields))));
                    break;
                case "$not":
                    parts.Add(new NotFilter(ParseDocument(property.Value, errors, at, fields)));
                    break;
                case var name when name.StartsWith('$'):
                    errors.Add(at, "is not a known operator here (use $and, $or, $nor, $not, or a field name)");
                    break;
                default:
                    if (!fields.TryGetValue(property.Name, out var field))
                    {
                        errors.Add(at, $"is not a field that can be queried (fields: {string.Join(", ", fields.Keys)})");
                        break;
                    }
                    parts.Add(IsOperatorObject(property.Value)
                        ? ParseOperators(field, property.Value, errors, at)
                        : new CompareFilter(field, CompareOp.Eq, Value(field, property.Value, errors, at, allowNull: true)));
                    break;
            }
        }
        return parts.Count == 1 ? parts[0] : new AndFilter(parts);
    }

    private static List<Filter> ParseList(JsonElement list, FieldErrors errors, string path, IReadOnlyDictionary<string, TaskField> fields)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
        {
            errors.Add(path, "must be a non-empty array of filters");
            return [];
        }
        return [.. list.EnumerateArray().Select((element, i) => ParseDocument(element, errors, $"{path}[{i}]", fields))];
    }

    private static bool IsOperatorObject(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.EnumerateObject().Any(p => p.Name.StartsWith('$'));

    private static Filter ParseOperators(TaskField field, JsonElement operators, FieldErrors errors, string path)
    {
        var parts = new List<Filter>();
        string? regexOptions = null;
        if (operators.TryGetProperty("$options", out var options))
        {
            if (options.ValueKind != JsonValueKind.String || options.GetString() is not ("" or "i"))
                errors.Add($"{path}.$options", "must be \"i\" (case-insensitive) or \"\"");
            else regexOptions = options.GetString();
            if (!operators.TryGetProperty("$regex", out _)) errors.Add($"{path}.$options", "only goes with $regex");
        }
        foreach (var property in operators.EnumerateObject())
        {
            var at = $"{path}.{property.Name}";
            var value = property.Value;
            switch (property.Name)
            {
                case "$eq" or "$ne":
                    parts.Add(new CompareFilter(field, property.Name == "$eq" ? CompareOp.Eq : CompareOp.Ne, Value(field, value, errors, at, allowNull: true)));
                    break;
                case "$gt" or "$gte" or "$lt" or "$lte":
                    var op = property.Name switch { "$gt" => CompareOp.Gt, "$gte" => CompareOp.Gte, "$lt" => CompareOp.Lt, _ => CompareOp.Lte };
                    parts.Add(new CompareFilter(field, op, Value(field, value, errors, at, allowNull: false)));
                    break;
                case "$in" or "$nin":
                    if (value.ValueKind != JsonValueKind.Array)
                    {
                        errors.Add(at, "must be an array of values");
                        break;
                    }
                    if (value.GetArrayLength() > MaxInValues)
                    {
                        errors.Add(at, $"holds {value.GetArrayLength()} values; at most {MaxInValues} are allowed");
                        break;
                    }
                    var values = value.EnumerateArray().Select((v, i) => Value(field, v, errors, $"{at}[{i}]", allowNull: true)).ToList();
                    parts.Add(new InFilter(field, values, Negated: property.Name == "$nin"));
                    break;
                case "$exists":
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) parts.Add(new ExistsFilter(field, value.GetBoolean()));
                    else errors.Add(at, "must be true or false");
                    break;
                case "$regex":
                    if (field.Kind is not (FieldKind.Text or FieldKind.Status))
                        errors.Add(at, $"applies to text fields only; {field.Name} is {Describe(field.Kind)}");
                    else if (value.ValueKind != JsonValueKind.String)
                        errors.Add(at, "must be a regular expression as a string");
                    else if (Check(value.GetString()!, regexOptions == "i") is { } problem)
                        errors.Add(at, problem);
                    else
                        parts.Add(new RegexFilter(field, value.GetString()!, regexOptions == "i"));
                    break;
                case "$options":
                    break;
                case "$not":
                    if (IsOperatorObject(value)) parts.Add(new NotFilter(ParseOperators(field, value, errors, at)));
                    else errors.Add(at, "must be an object of operators, e.g. {\"$gt\": 5}");
                    break;
                case var name when name.StartsWith('$'):
                    errors.Add(at, "is not a known operator (use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $regex, $not)");
                    break;
                default:
                    errors.Add(at, "cannot be mixed with operators: a field takes either a value or an object of operators");
                    break;
            }
        }
        return parts.Count == 1 ? parts[0] : new AndFilter(parts);
    }

    private static string? Check(string pattern, bool ignoreCase)
    {
        if (pattern.Length > MaxPatternLength) return $"is {pattern.Length} characters long; at most {MaxPatternLength} are allowed";
        try
        {
            _ = Compile(pattern, ignoreCase);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"is not a valid regular expression ({ex.Message})";
        }
        catch (NotSupportedException)
        {
            return "uses a construct that cannot be matched in linear time (a backreference, lookaround, atomic group or conditional); " +
                   "rewrite it without, or filter on a plainer pattern";
        }
    }

    /// <summary>
    /// The regular expression a <see cref="RegexFilter"/> runs, the same in every backend that runs
    /// .NET's. The non-backtracking engine takes time linear in the text, whatever the pattern
    /// (<c>^(a+)+$</c> cannot blow up); the timeout is a second guard.
    /// </summary>
    public static Regex Compile(string pattern, bool ignoreCase) =>
        new(pattern, (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None) | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, RegexTimeout);

    /// <summary>A filter value as the field's kind: string, long, double, DateTimeOffset (UTC) or a UUID's text.</summary>
    private static object? Value(TaskField field, JsonElement value, FieldErrors errors, string path, bool allowNull)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            if (!allowNull) errors.Add(path, "cannot compare with null (use {\"$exists\": false} or null itself)");
            return null;
        }
        switch (field.Kind)
        {
            case FieldKind.Integer when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var whole):
                return whole;
            case FieldKind.Real when value.ValueKind == JsonValueKind.Number:
                return value.GetDouble();
            case FieldKind.Text when value.ValueKind == JsonValueKind.String:
                return value.GetString();
            case FieldKind.Time when value.ValueKind == JsonValueKind.String && ParseTime(value.GetString()!) is { } time:
                return time;
            case FieldKind.Id when value.ValueKind == JsonValueKind.String && Ids.TryParse(value.GetString(), out var id):
                return id.ToString();
            case FieldKind.Status when value.ValueKind == JsonValueKind.String && Enums.TryParse<TaskState>(value.GetString(), out _):
                return value.GetString();
            case FieldKind.Status:
                errors.Add(path, $"must be one of {string.Join(", ", Enums.AllNames<TaskState>())}");
                return null;
            default:
                errors.Add(path, $"must be {Describe(field.Kind)}, as {field.Name} is");
                return null;
        }
    }

    private static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            && text.Length >= 10 && char.IsAsciiDigit(text[0])
            ? time.ToUniversalTime()
            : null;

    private static string Describe(FieldKind kind) => kind switch
    {
        FieldKind.Integer => "a whole number",
        FieldKind.Real => "a number",
        FieldKind.Time => "a time (ISO 8601, e.g. \"2026-11-21T10:00:00Z\")",
        FieldKind.Id => "a UUID",
        FieldKind.Status => "a task state",
        _ => "a string",
    };
}
