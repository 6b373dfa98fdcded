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

/// <summary>
/// <c>POST /api/datasets/{name}/distribute</c>: where the new generation's files are (<c>file:///dir/</c>,
/// <c>s3://bucket/prefix/</c>, or <c>https://host/dir/</c> with <c>files</c>), which workers get them
/// (<c>"all"</c>, an array of worker ids, or <c>{"replicas": 2}</c>), and how long it may take.
/// </summary>
public sealed record DistributeRequest
{
    public string? Source { get; init; }
    /// <summary>File names under an http(s) source, which cannot be listed.</summary>
    public List<string>? Files { get; init; }
    public JsonElement? Workers { get; init; }
    public JsonElement? Deadline { get; init; }
}

/// <summary>A download ticket: a new generation of a dataset brought to its workers, switched on all or none.</summary>
public sealed record DatasetTicket
{
    public required Guid Id { get; init; }
    public required string Dataset { get; init; }
    public required string Source { get; init; }
    public required long Generation { get; init; }
    /// <summary><c>downloading</c>, <c>switching</c>, <c>done</c>, <c>failed</c> or <c>canceled</c>.</summary>
    public required string State { get; init; }
    public string? Reason { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Deadline { get; init; }
    public DateTimeOffset? Ended { get; init; }
    public required IReadOnlyList<TicketNode> Nodes { get; init; }
}

/// <summary>One worker's part of a ticket: its files, how far its download is, its state.</summary>
public sealed record TicketNode
{
    public required Guid Worker { get; init; }
    public required IReadOnlyList<string> Shards { get; init; }
    public long? Bytes { get; init; }
    public long BytesDone { get; init; }
    /// <summary><c>downloading</c>, <c>staged</c>, <c>switched</c>, <c>failed</c>, <c>canceled</c>.</summary>
    public required string State { get; init; }
    public string? Error { get; init; }
    /// <summary>The task doing this node's current step, in the task database.</summary>
    public Guid? Task { get; init; }
}

/// <summary>The args of a worker's stage task: <c>fetch</c> files into <c>gen-N.staging</c>, <c>switch</c> it into <c>gen-N</c>, or <c>drop</c> it.</summary>
public sealed record StageOrder
{
    public required string Action { get; init; }
    public required string Dataset { get; init; }
    public required long Generation { get; init; }
    public IReadOnlyList<StageFile>? Files { get; init; }
}

public sealed record StageFile(string Shard, string Url, long? Bytes);
