using System.Text.Json;
using Drover.Contracts;
using Drover.Validation;

namespace Drover.Datasets;

/// <summary>
/// Checks a group-by against the dataset's schema before anything runs: every column exists, every
/// aggregation fits its column's type, every where term is well formed with a value of the right
/// type. Each mistake is a field error (<c>aggregate[1]</c>, <c>where[0]</c>).
/// </summary>
public static class GroupByPlanner
{
    public const int MaxAggregates = 100;
    public const int MaxWhereValues = 10_000;
    public static readonly string[] WhereOps = ["==", "!=", ">", ">=", "<", "<=", "in", "nin"];

    public static GroupByPlan? Plan(GroupByRequest request, DatasetRecord dataset, FieldErrors errors)
    {
        var before = errors.Count;
        var columns = dataset.Schema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var by = new List<ColumnInfo>();
        foreach (var (name, i) in (request.By ?? []).Select((n, i) => (n, i)))
        {
            if (!columns.TryGetValue(name, out var column)) errors.Add($"by[{i}]", Unknown(name, dataset));
            else if (by.Contains(column)) errors.Add($"by[{i}]", $"'{name}' is named twice");
            else by.Add(column);
        }

        var outputs = new List<GroupByPlan.Output>();
        var aggregates = new List<ShardAggregate>();
        var items = request.Aggregate ?? [];
        if (items.Count == 0) errors.Add("aggregate", "must name at least one aggregation: [column, op] or [column, op, name]");
        if (items.Count > MaxAggregates) errors.Add("aggregate", $"must hold at most {MaxAggregates} aggregations");
        for (var i = 0; i < items.Count && items.Count <= MaxAggregates; i++)
        {
            var field = $"aggregate[{i}]";
            if (items[i].ValueKind != JsonValueKind.Array || items[i].GetArrayLength() is < 2 or > 3
                || items[i].EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                errors.Add(field, "must be [column, op] or [column, op, name], all strings");
                continue;
            }
            var parts = items[i].EnumerateArray().Select(e => e.GetString()!).ToArray();
            if (!columns.TryGetValue(parts[0], out var column))
            {
                errors.Add(field, Unknown(parts[0], dataset));
                continue;
            }
            if (!Aggregations.ByName.TryGetValue(parts[1], out var op))
            {
                errors.Add(field, $"'{parts[1]}' is not an aggregation (use {string.Join(", ", Aggregations.ByName.Keys)})");
                continue;
            }
            var kind = ColumnKinds.Of(column.Type);
            if (op.Misfit(kind) is { } misfit)
            {
                errors.Add(field, $"{parts[1]} {misfit}; {column.Name} is {column.Type}");
                continue;
            }
            var name = parts.Length == 3 ? parts[2] : column.Name;
            if (name.Length == 0) errors.Add(field, "the name must not be empty");
            else if (outputs.Any(o => o.Name == name) || by.Any(b => b.Name == name))
                errors.Add(field, $"the answer would have two columns named '{name}': give this one a name as the third element");
            var aggregate = new ShardAggregate(column.Name, op.Name());
            var state = aggregates.IndexOf(aggregate);
            if (state < 0)
            {
                state = aggregates.Count;
                aggregates.Add(aggregate);
            }
            outputs.Add(new GroupByPlan.Output(name, column.Name, op, kind, column.Type, state));
        }

        var where = new List<WhereTerm>();
        foreach (var (term, i) in (request.Where ?? []).Select((t, i) => (t, i)))
        {
            if (Where(term, columns, dataset, errors, $"where[{i}]") is { } checkedTerm) where.Add(checkedTerm);
        }

        var shards = dataset.Shards;
        if (request.Shards is { } named)
        {
            var byName = dataset.Shards.ToDictionary(s => s.Shard, StringComparer.Ordinal);
            var chosen = new List<DatasetShard>();
            foreach (var (shard, i) in named.Select((s, i) => (s, i)))
            {
                if (!byName.TryGetValue(shard, out var found)) errors.Add($"shards[{i}]", $"'{shard}' is not a shard of {dataset.Name}");
                else if (!chosen.Contains(found)) chosen.Add(found);
            }
            if (named.Count == 0) errors.Add("shards", "must name at least one shard, or be left out for all");
            shards = chosen;
        }
        if (errors.Count != before) return null;
        return new GroupByPlan
        {
            Dataset = dataset.Name,
            By = by,
            Outputs = outputs,
            Aggregates = aggregates,
            Where = where,
            Shards = shards,
            Merge = request.Merge,
        };
    }

    private static WhereTerm? Where(JsonElement term, Dictionary<string, ColumnInfo> columns, DatasetRecord dataset, FieldErrors errors, string field)
    {
        if (term.ValueKind != JsonValueKind.Array || term.GetArrayLength() != 3
            || term[0].ValueKind != JsonValueKind.String || term[1].ValueKind != JsonValueKind.String)
        {
            errors.Add(field, "must be [column, op, value] with op one of " + string.Join(" ", WhereOps));
            return null;
        }
        var name = term[0].GetString()!;
        var op = term[1].GetString()!;
        var value = term[2];
        if (!columns.TryGetValue(name, out var column))
        {
            errors.Add(field, Unknown(name, dataset));
            return null;
        }
        if (!WhereOps.Contains(op))
        {
            errors.Add(field, $"'{op}' is not a where operator (use {string.Join(" ", WhereOps)})");
            return null;
        }
        var kind = ColumnKinds.Of(column.Type);
        if (op is "in" or "nin")
        {
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is 0 or > MaxWhereValues)
            {
                errors.Add(field, $"{op} takes a non-empty array of at most {MaxWhereValues} values");
                return null;
            }
            foreach (var item in value.EnumerateArray())
            {
                if (ValueProblem(item, kind) is { } problem)
                {
                    errors.Add(field, $"{problem}, as {column.Name} is {column.Type}");
                    return null;
                }
            }
        }
        else
        {
            if (ValueProblem(value, kind) is { } problem)
            {
                errors.Add(field, $"{problem}, as {column.Name} is {column.Type}");
                return null;
            }
            if (op is ">" or ">=" or "<" or "<=" && kind == ColumnKind.Boolean)
            {
                errors.Add(field, $"{op} does not apply to {column.Name}, which is {column.Type}");
                return null;
            }
        }
        return new WhereTerm(column.Name, op, value.Clone());
    }

    /// <summary>Null when the value fits the column's kind.</summary>
    public static string? ValueProblem(JsonElement value, ColumnKind kind) => kind switch
    {
        ColumnKind.Integer when value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out _) => "the value must be a whole number",
        ColumnKind.Floating when value.ValueKind != JsonValueKind.Number => "the value must be a number",
        ColumnKind.Text when value.ValueKind != JsonValueKind.String => "the value must be a string",
        ColumnKind.Boolean when value.ValueKind is not (JsonValueKind.True or JsonValueKind.False) => "the value must be true or false",
        ColumnKind.Temporal when value.ValueKind != JsonValueKind.String || !DateTime.TryParse(value.GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)
            => "the value must be a date or time as a string (ISO 8601)",
        ColumnKind.Other => "this column cannot be filtered on",
        _ => null,
    };

    private static string Unknown(string name, DatasetRecord dataset) =>
        $"'{name}' is not a column of {dataset.Name} (columns: {string.Join(", ", dataset.Schema.Select(c => c.Name))})";
}
