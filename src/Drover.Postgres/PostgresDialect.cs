using Drover.Query;
using Npgsql;

namespace Drover.Postgres;

/// <summary>
/// Query SQL for PostgreSQL: named parameters of the columns' types (uuid, timestamptz), text
/// compared in the "C" collation the columns have, and <c>$regex</c> as <c>~</c> / <c>~*</c>.
/// </summary>
internal sealed class PostgresDialect : ISqlDialect
{
    public List<NpgsqlParameter> Parameters { get; } = [];

    public string Parameter(object value, FieldKind kind)
    {
        var name = $"p{Parameters.Count}";
        var parameter = PgRows.Parameter(kind == FieldKind.Id && value is string id ? Guid.Parse(id) : value);
        parameter.ParameterName = name;
        Parameters.Add(parameter);
        return "@" + name;
    }

    public string Column(TaskField field) => field.Column;

    /// <summary>The values as one typed array: <c>column = ANY(@p)</c>.</summary>
    public string InMany(string column, IReadOnlyList<object> values, FieldKind kind)
    {
        Array array = kind switch
        {
            FieldKind.Id => values.Select(v => Guid.Parse((string)v)).ToArray(),
            FieldKind.Integer => values.Select(v => (long)v).ToArray(),
            FieldKind.Real => values.Select(v => (double)v).ToArray(),
            FieldKind.Time => values.Select(v => ((DateTimeOffset)v).UtcDateTime).ToArray(),
            _ => values.Select(v => (string)v).ToArray(),
        };
        var name = $"p{Parameters.Count}";
        var parameter = kind == FieldKind.Time
            ? new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = array }
            : new NpgsqlParameter(name, array);
        Parameters.Add(parameter);
        return $"{column} = ANY(@{name})";
    }

    public string Regex(string column, string pattern, bool ignoreCase) => $"{column} {(ignoreCase ? "~*" : "~")} {pattern}";
}
