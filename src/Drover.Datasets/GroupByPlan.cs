using Drover.Contracts;

namespace Drover.Datasets;

/// <summary>A checked group-by over one dataset: what each shard computes and what the answer shows.</summary>
public sealed record GroupByPlan
{
    public required string Dataset { get; init; }
    public required IReadOnlyList<ColumnInfo> By { get; init; }
    public required IReadOnlyList<Output> Outputs { get; init; }
    /// <summary>The distinct (column, op) pairs the shards compute; outputs refer to them by index.</summary>
    public required IReadOnlyList<ShardAggregate> Aggregates { get; init; }
    public required IReadOnlyList<WhereTerm> Where { get; init; }
    public required IReadOnlyList<DatasetShard> Shards { get; init; }
    public required bool Merge { get; init; }

    /// <summary>One column of the answer after the group keys.</summary>
    public sealed record Output(string Name, string Column, AggregateOp Op, ColumnKind Kind, string ColumnType, int State);

    public ShardQuery QueryFor(DatasetShard shard) => new()
    {
        Dataset = Dataset,
        Shard = shard.Shard,
        Generation = shard.Generation,
        By = [.. By.Select(b => b.Name)],
        Aggregates = Aggregates,
        Where = Where,
    };

    /// <summary>Names and types of the answer's columns.</summary>
    public IReadOnlyList<ColumnInfo> Columns() =>
    [
        .. Merge ? [] : new[] { new ColumnInfo("shard", "VARCHAR") },
        .. By,
        .. Outputs.Select(o => new ColumnInfo(o.Name, OutputType(o))),
    ];

    private static string OutputType(Output o) => o.Op switch
    {
        AggregateOp.Sum => o.Kind == ColumnKind.Integer ? "BIGINT" : "DOUBLE",
        AggregateOp.Count or AggregateOp.CountNa or AggregateOp.CountDistinct => "BIGINT",
        AggregateOp.Min or AggregateOp.Max => o.ColumnType,
        _ => "DOUBLE",
    };
}
