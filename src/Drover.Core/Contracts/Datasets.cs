using System.Text.Json;

namespace Drover.Contracts;

/// <summary>One column of a shard's schema: its name and DuckDB type (<c>BIGINT</c>, <c>DOUBLE</c>, <c>VARCHAR</c>, …).</summary>
public sealed record ColumnInfo(string Name, string Type);

/// <summary>
/// A shard as the worker that holds it announces it: one Parquet file of a dataset, of a generation.
/// </summary>
public sealed record ShardInfo
{
    public required string Dataset { get; init; }
    public required string Shard { get; init; }
    public required long Generation { get; init; }
    public required long Rows { get; init; }
    public required long Bytes { get; init; }
    /// <summary>SHA-256 of the file, hex.</summary>
    public required string Checksum { get; init; }
    public required IReadOnlyList<ColumnInfo> Schema { get; init; }
}

/// <summary><c>PUT /api/workers/{id}/shards</c> and the registration: what the worker holds, and the handler its shard queries go to.</summary>
public sealed record ShardAnnouncement
{
    /// <summary>The handler only this worker offers; shard queries for it are tasks naming it.</summary>
    public required string Handler { get; init; }
    public required IReadOnlyList<ShardInfo> Shards { get; init; }
}

/// <summary>One dataset in the catalogue: its shards and who holds each.</summary>
public sealed record DatasetRecord
{
    public required string Name { get; init; }
    public required long Generation { get; init; }
    public required long Rows { get; init; }
    public required long Bytes { get; init; }
    public required IReadOnlyList<ColumnInfo> Schema { get; init; }
    public required IReadOnlyList<DatasetShard> Shards { get; init; }
}

public sealed record DatasetShard
{
    public required string Shard { get; init; }
    public required long Generation { get; init; }
    public required long Rows { get; init; }
    public required long Bytes { get; init; }
    public required string Checksum { get; init; }
    public required IReadOnlyList<Guid> Workers { get; init; }
}

/// <summary>
/// The body of <c>POST /api/datasets/{name}/groupby</c>, as bqueryd's <c>groupby(files, by, aggs,
/// where)</c>: <c>aggregate</c> items are <c>[column, op]</c> or <c>[column, op, name]</c>, <c>where</c>
/// items <c>[column, op, value]</c>.
/// </summary>
public sealed record GroupByRequest
{
    public List<string>? By { get; init; }
    public List<JsonElement>? Aggregate { get; init; }
    public List<JsonElement>? Where { get; init; }
    public List<string>? Shards { get; init; }
    public bool Merge { get; init; } = true;
    /// <summary>How long the query may take (<c>"30s"</c> or seconds); default 5 minutes, at most an hour.</summary>
    public JsonElement? Timeout { get; init; }
}

/// <summary>The answer: column names and types, then rows of values in that order.</summary>
public sealed record GroupByResult
{
    public required IReadOnlyList<ColumnInfo> Columns { get; init; }
    public required IReadOnlyList<IReadOnlyList<object?>> Rows { get; init; }
    /// <summary>The shards that answered, and (merge: false) the shard each row came from as the first column.</summary>
    public required IReadOnlyList<string> Shards { get; init; }
    /// <summary>The shard tasks, in the task database (batch <c>dataset:&lt;name&gt;</c>).</summary>
    public required IReadOnlyList<Guid> Tasks { get; init; }
}
