using System.Text.Json;
using Drover.Contracts;

namespace Drover.Datasets;

/// <summary>
/// Merges the shards' partial states exactly, where bqueryd summed every column: a mean from the
/// total sum and count, a variance from (count, mean, M2) with Chan's parallel formula, a distinct
/// count from the union of the exact value sets, min and max as such, missing values counted.
/// </summary>
public static class Merger
{
    public static GroupByResult Answer(GroupByPlan plan, IReadOnlyList<ShardAnswer> answers, IReadOnlyList<Guid> tasks)
    {
        var rows = new List<IReadOnlyList<object?>>();
        if (plan.Merge)
        {
            rows.AddRange(Groups(plan, answers).Select(g => Row(plan, g, shard: null)));
        }
        else
        {
            foreach (var answer in answers.OrderBy(a => a.Shard, StringComparer.Ordinal))
                rows.AddRange(Groups(plan, [answer]).Select(g => Row(plan, g, answer.Shard)));
        }
        return new GroupByResult
        {
            Columns = plan.Columns(),
            Rows = rows,
            Shards = [.. answers.Select(a => a.Shard).Order(StringComparer.Ordinal)],
            Tasks = tasks,
        };
    }

    private static IReadOnlyList<object?> Row(GroupByPlan plan, Group group, string? shard)
    {
        var row = new List<object?>();
        if (shard is not null) row.Add(shard);
        row.AddRange(group.Key.Cast<object?>());
        row.AddRange(plan.Outputs.Select(o => (object?)group.States[o.State].Final(o.Op)));
        return row;
    }

    /// <summary>The groups of all the answers, states merged, in key order.</summary>
    private static List<Group> Groups(GroupByPlan plan, IReadOnlyList<ShardAnswer> answers)
    {
        var groups = new Dictionary<string, Group>(StringComparer.Ordinal);
        // The column kind behind each state, looked up once, not once per group.
        var kinds = plan.Aggregates.Select((_, i) => plan.Outputs.First(o => o.State == i).Kind).ToArray();
        foreach (var answer in answers)
        {
            foreach (var shardGroup in answer.Groups)
            {
                var key = string.Join('\u0001', shardGroup.Key.Select(JsonValues.Key));
                if (!groups.TryGetValue(key, out var group))
                    groups[key] = group = new Group(shardGroup.Key, [.. kinds.Select(kind => new Accumulator(kind))]);
                for (var i = 0; i < plan.Aggregates.Count; i++)
                    group.States[i].Add(Aggregations.ByName[plan.Aggregates[i].Op], shardGroup.States[i], plan.Aggregates[i].Column);
            }
        }
        var ordered = groups.Values.ToList();
        ordered.Sort((a, b) =>
        {
            for (var i = 0; i < a.Key.Count; i++)
            {
                var order = JsonValues.Compare(a.Key[i], b.Key[i]);
                if (order != 0) return order;
            }
            return 0;
        });
        return ordered;
    }

    private sealed record Group(IReadOnlyList<JsonElement> Key, List<Accumulator> States);

    /// <summary>One aggregate of one group, across shards.</summary>
    private sealed class Accumulator(ColumnKind kind)
    {
        private long _count;
        private long _na;
        private long _longSum;
        // Neumaier's compensated sum: the shards' double sums add up without losing low bits.
        private double _sum;
        private double _compensation;
        private double _mean;
        private double _m2;
        private JsonElement? _min;
        private JsonElement? _max;
        private Dictionary<string, JsonElement>? _distinct;

        public void Add(AggregateOp op, PartialState state, string column)
        {
            switch (op)
            {
                case AggregateOp.Sum or AggregateOp.Mean:
                    if (state.Sum is { ValueKind: JsonValueKind.Number } sum)
                    {
                        if (kind == ColumnKind.Integer) _longSum = checked(_longSum + sum.GetInt64());
                        else AddDouble(sum.GetDouble());
                    }
                    break;
                case var variance when variance.IsVariance():
                    if (state.Count > 0 && state.Mean is { } mean && state.M2 is { } m2)
                    {
                        // Chan, Golub and LeVeque: combine (n, mean, M2) of two parts exactly.
                        var n = _count + state.Count;
                        var delta = mean - _mean;
                        _mean += delta * state.Count / n;
                        _m2 += m2 + delta * delta * _count * state.Count / n;
                    }
                    break;
                case AggregateOp.CountNa:
                    _na += state.Na ?? 0;
                    break;
                case AggregateOp.CountDistinct:
                    _distinct ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                    foreach (var value in state.Distinct ?? []) _distinct.TryAdd(JsonValues.Key(value), value);
                    if (_distinct.Count > ShardEngine.MaxDistinct)
                        throw new InvalidOperationException($"{column} has more than {ShardEngine.MaxDistinct} distinct values in one group; " +
                            "a distinct count is exact up to that many (narrow the query with where or by)");
                    break;
                case AggregateOp.Min:
                    if (state.Min is { ValueKind: not JsonValueKind.Null } min && (_min is null || JsonValues.Compare(min, _min.Value) < 0)) _min = min;
                    break;
                case AggregateOp.Max:
                    if (state.Max is { ValueKind: not JsonValueKind.Null } max && (_max is null || JsonValues.Compare(max, _max.Value) > 0)) _max = max;
                    break;
            }
            _count += state.Count;
        }

        private void AddDouble(double value)
        {
            var total = _sum + value;
            _compensation += Math.Abs(_sum) >= Math.Abs(value) ? (_sum - total) + value : (value - total) + _sum;
            _sum = total;
        }

        public JsonElement Final(AggregateOp op) => op switch
        {
            AggregateOp.Sum when _count == 0 => JsonValues.Null,
            AggregateOp.Sum => kind == ColumnKind.Integer ? JsonValues.Number(_longSum) : JsonValues.Number(_sum + _compensation),
            AggregateOp.Mean when _count == 0 => JsonValues.Null,
            AggregateOp.Mean => JsonValues.Number(kind == ColumnKind.Integer ? (double)_longSum / _count : (_sum + _compensation) / _count),
            AggregateOp.Var => _count < 2 ? JsonValues.Null : JsonValues.Number(_m2 / (_count - 1)),
            AggregateOp.Std => _count < 2 ? JsonValues.Null : JsonValues.Number(Math.Sqrt(_m2 / (_count - 1))),
            AggregateOp.VarPop => _count < 1 ? JsonValues.Null : JsonValues.Number(_m2 / _count),
            AggregateOp.StdPop => _count < 1 ? JsonValues.Null : JsonValues.Number(Math.Sqrt(_m2 / _count)),
            AggregateOp.Count => JsonValues.Number(_count),
            AggregateOp.CountNa => JsonValues.Number(_na),
            AggregateOp.CountDistinct => JsonValues.Number(_distinct?.Count ?? 0),
            AggregateOp.Min => _min ?? JsonValues.Null,
            _ => _max ?? JsonValues.Null,
        };
    }
}
