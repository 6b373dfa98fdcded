namespace Drover.Datasets;

/// <summary>What a column can take part in, from its DuckDB type.</summary>
public enum ColumnKind
{
    Integer,
    Floating,
    Text,
    Boolean,
    Temporal,
    Other,
}

public static class ColumnKinds
{
    public static ColumnKind Of(string duckDbType)
    {
        var type = duckDbType.ToUpperInvariant();
        if (type is "TINYINT" or "SMALLINT" or "INTEGER" or "BIGINT" or "UTINYINT" or "USMALLINT" or "UINTEGER" or "UBIGINT") return ColumnKind.Integer;
        if (type is "FLOAT" or "DOUBLE" or "REAL" || type.StartsWith("DECIMAL", StringComparison.Ordinal)) return ColumnKind.Floating;
        if (type is "VARCHAR" || type.StartsWith("VARCHAR", StringComparison.Ordinal)) return ColumnKind.Text;
        if (type is "BOOLEAN") return ColumnKind.Boolean;
        if (type is "DATE" or "TIME" || type.StartsWith("TIMESTAMP", StringComparison.Ordinal)) return ColumnKind.Temporal;
        return ColumnKind.Other;
    }

    public static bool IsNumeric(this ColumnKind kind) => kind is ColumnKind.Integer or ColumnKind.Floating;
}
