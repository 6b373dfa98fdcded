using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Json;
using Drover.Model;

namespace Drover.Client;

/// <summary>
/// A query filter built in code instead of written as JSON (the same MongoDB-style operators):
/// <c>TaskFilter.And(TaskFilter.Eq("status", "failed"), TaskFilter.Gte("completed", since))</c>.
/// </summary>
public sealed class TaskFilter
{
    private readonly JsonObject _node;

    private TaskFilter(JsonObject node) => _node = node;

    public static TaskFilter Eq(string field, object? value) => Field(field, "$eq", value);
    public static TaskFilter Ne(string field, object? value) => Field(field, "$ne", value);
    public static TaskFilter Gt(string field, object value) => Field(field, "$gt", value);
    public static TaskFilter Gte(string field, object value) => Field(field, "$gte", value);
    public static TaskFilter Lt(string field, object value) => Field(field, "$lt", value);
    public static TaskFilter Lte(string field, object value) => Field(field, "$lte", value);
    public static TaskFilter In(string field, params IEnumerable<object?> values) => Field(field, "$in", values.ToArray());
    public static TaskFilter NotIn(string field, params IEnumerable<object?> values) => Field(field, "$nin", values.ToArray());
    public static TaskFilter Regex(string field, string pattern) => Field(field, "$regex", pattern);
    public static TaskFilter Exists(string field, bool exists = true) => Field(field, "$exists", exists);

    public static TaskFilter And(params IEnumerable<TaskFilter> filters) => Combine("$and", filters);
    public static TaskFilter Or(params IEnumerable<TaskFilter> filters) => Combine("$or", filters);
    public static TaskFilter Nor(params IEnumerable<TaskFilter> filters) => Combine("$nor", filters);

    /// <summary>Tasks that have not ended.</summary>
    public static TaskFilter NotEnded => In("status", TaskStateRules.Live.Select(Enums.Name));

    /// <summary>Every task.</summary>
    public static TaskFilter All => new([]);

    public JsonElement ToJson() => JsonSerializer.SerializeToElement(_node, DroverJson.Options);

    public override string ToString() => _node.ToJsonString(DroverJson.Options);

    public static implicit operator JsonElement(TaskFilter filter) => filter.ToJson();

    private static TaskFilter Field(string field, string op, object? value) =>
        new(new JsonObject { [field] = new JsonObject { [op] = JsonSerializer.SerializeToNode(value, DroverJson.Options) } });

    private static TaskFilter Combine(string op, IEnumerable<TaskFilter> filters) =>
        new(new JsonObject { [op] = new JsonArray([.. filters.Select(f => f._node.DeepClone())]) });
}
