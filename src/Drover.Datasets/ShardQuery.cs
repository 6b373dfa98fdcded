using System.Text.Json;

namespace Drover.Datasets;

/// <summary>
/// What a worker runs over one shard (the args of a shard task): group by these columns, compute
/// these partial states, keep the rows these terms allow. Checked again on the worker against the
/// file's own schema, since anyone with the admin token could send such a task.
/// </summary>
public sealed record ShardQuery
{
    public required string Dataset { get; init; }
    public required string Shard { get; init; }
    public required long Generation { get; init; }
    public required IReadOnlyList<string> By { get; init; }
    public required IReadOnlyList<ShardAggregate> Aggregates { get; init; }
    public required IReadOnlyList<WhereTerm> Where { get; init; }
}

/// <summary>One partial state to compute: an aggregation of a column.</summary>
public sealed record ShardAggregate(string Column, string Op);

/// <summary><c>[column, op, value]</c>: op is one of <c>== != &gt; &gt;= &lt; &lt;= in nin</c>.</summary>
public sealed record WhereTerm(string Column, string Op, JsonElement Value);

/// <summary>A shard's answer: for each group, its key values and one partial state per aggregate.</summary>
public sealed record ShardAnswer
{
    public required string Shard { get; init; }
    public required long Generation { get; init; }
    public required long RowsScanned { get; init; }
    public required IReadOnlyList<ShardGroup> Groups { get; init; }
}

public sealed record ShardGroup(IReadOnlyList<JsonElement> Key, IReadOnlyList<PartialState> States);

/// <summary>
/// What merges exactly, per aggregate: <c>count</c> non-null values (and <c>na</c> missing ones),
/// <c>sum</c>, <c>mean</c> with <c>m2</c> (sum of squared deviations), <c>min</c>/<c>max</c>, and the
/// exact <c>distinct</c> values. Each op fills only what it needs.
/// </summary>
public sealed record PartialState
{
    public long Count { get; init; }
    public long? Na { get; init; }
    public JsonElement? Sum { get; init; }
    public double? Mean { get; init; }
    public double? M2 { get; init; }
    public JsonElement? Min { get; init; }
    public JsonElement? Max { get; init; }
    public IReadOnlyList<JsonElement>? Distinct { get; init; }
}
