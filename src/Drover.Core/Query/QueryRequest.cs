using System.Text.Json;
using Drover.Json;
using Drover.Model;
using Drover.Validation;

namespace Drover.Query;

/// <summary>The body of <c>POST /api/tasks/query</c>, checked: the query, the keys to return, or a count.</summary>
public sealed record QueryRequest(TaskQuery Query, IReadOnlyList<string>? Keys, bool Count)
{
    private static readonly string[] Members = ["filter", "keys", "sort", "skip", "limit", "count"];

    /// <summary>
    /// Every field a record has on the wire: what <c>keys</c> may name. From the generated metadata
    /// (the wire's converter has none), which also lists the members never written (<c>seq</c>,
    /// <c>signals</c>): those are no fields.
    /// </summary>
    public static IReadOnlySet<string> RecordFields { get; } = DroverJsonContext.Default.TaskRecord.Properties
        .Where(p => p.AttributeProvider?.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), inherit: false) != true)
        .Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    public static QueryRequest? Parse(JsonElement body, FieldErrors errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object with a filter");
            return null;
        }
        var before = errors.Count;
        var query = new TaskQuery();
        List<string>? keys = null;
        var count = false;
        foreach (var member in body.EnumerateObject())
        {
            var value = member.Value;
            switch (member.Name)
            {
                case "filter":
                    query = query with { Filter = FilterParser.Parse(value, errors) ?? Filter.All };
                    break;
                case "keys":
                    keys = ParseKeys(value, errors);
                    break;
                case "sort":
                    query = query with { Sort = ParseSort(value, errors) };
                    break;
                case "skip":
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var skip) && skip >= 0) query = query with { Skip = skip };
                    else errors.Add("skip", "must be a whole number, 0 or more");
                    break;
                case "limit":
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var limit) && limit is >= 1 and <= TaskQuery.MaxLimit) query = query with { Limit = limit };
                    else errors.Add("limit", $"must be a whole number from 1 to {TaskQuery.MaxLimit}");
                    break;
                case "count":
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) count = value.GetBoolean();
                    else errors.Add("count", "must be true or false");
                    break;
                default:
                    errors.Add(member.Name, $"is not a member of a query (members: {string.Join(", ", Members)})");
                    break;
            }
        }
        if (errors.Count > before) return null;
        return new QueryRequest(query with { IncludeLargeFields = keys?.Any(TaskFieldsLarge) == true }, keys, count);
    }

    private static bool TaskFieldsLarge(string key) => TaskFields.Large.Contains(key);

    private static List<string>? ParseKeys(JsonElement value, FieldErrors errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add("keys", "must be an array of field names");
            return null;
        }
        var keys = new List<string>();
        var i = 0;
        foreach (var key in value.EnumerateArray())
        {
            if (key.ValueKind == JsonValueKind.String && RecordFields.Contains(key.GetString()!)) keys.Add(key.GetString()!);
            else errors.Add($"keys[{i}]", $"must be a task field ({string.Join(", ", RecordFields.Order(StringComparer.Ordinal))})");
            i++;
        }
        return keys;
    }

    private static List<SortKey> ParseSort(JsonElement value, FieldErrors errors)
    {
        // One key as a string, or several in an array: "-submitted" sorts newest first.
        var items = value.ValueKind == JsonValueKind.String ? [value]
            : value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList()
            : null;
        if (items is null)
        {
            errors.Add("sort", "must be a field name or an array of them, each optionally prefixed with - for descending");
            return [];
        }
        var sort = new List<SortKey>();
        for (var i = 0; i < items.Count; i++)
        {
            var text = items[i].ValueKind == JsonValueKind.String ? items[i].GetString()! : "";
            var descending = text.StartsWith('-');
            var name = text.TrimStart('-', '+');
            if (TaskFields.TryGet(name, out var field)) sort.Add(new SortKey(field, descending));
            else errors.Add(value.ValueKind == JsonValueKind.String ? "sort" : $"sort[{i}]", $"must name a field that can be sorted on ({string.Join(", ", TaskFields.Names)})");
        }
        return sort;
    }
}
