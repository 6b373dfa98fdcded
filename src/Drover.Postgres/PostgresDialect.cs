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

    public string Regex(string column, string pattern, bool ignoreCase) => $"{column} {(ignoreCase ? "~*" : "~")} {pattern}";
}
