namespace Drover.Datasets;

/// <summary>
/// The aggregations of a group-by. Each shard returns a partial state that merges exactly: sums
/// with counts, (count, mean, M2) for variances, exact value sets for distinct counts.
/// </summary>
public enum AggregateOp
{
    Sum,
    Mean,
    Std,
    Var,
    StdPop,
    VarPop,
    Count,
    CountNa,
    CountDistinct,
    Min,
    Max,
}

public static class Aggregations
{
    public static readonly IReadOnlyDictionary<string, AggregateOp> ByName = new Dictionary<string, AggregateOp>(StringComparer.Ordinal)
    {
        ["sum"] = AggregateOp.Sum,
        ["mean"] = AggregateOp.Mean,
        ["std"] = AggregateOp.Std,
        ["var"] = AggregateOp.Var,
        ["std_pop"] = AggregateOp.StdPop,
        ["var_pop"] = AggregateOp.VarPop,
        ["count"] = AggregateOp.Count,
        ["count_na"] = AggregateOp.CountNa,
        ["count_distinct"] = AggregateOp.CountDistinct,
        ["min"] = AggregateOp.Min,
        ["max"] = AggregateOp.Max,
    };

    public static string Name(this AggregateOp op) => ByName.First(p => p.Value == op).Key;

    /// <summary>Null when the op applies to the column's kind, else why not.</summary>
    public static string? Misfit(this AggregateOp op, ColumnKind kind) => op switch
    {
        AggregateOp.Sum or AggregateOp.Mean or AggregateOp.Std or AggregateOp.Var or AggregateOp.StdPop or AggregateOp.VarPop
            when !kind.IsNumeric() => "applies to numeric columns only",
        AggregateOp.Min or AggregateOp.Max when kind == ColumnKind.Other => "does not apply to this column's type",
        _ => null,
    };

    public static bool IsVariance(this AggregateOp op) => op is AggregateOp.Std or AggregateOp.Var or AggregateOp.StdPop or AggregateOp.VarPop;
}
