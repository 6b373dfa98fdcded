using System.Globalization;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Drover.Contracts;
using Drover.Datasets;

namespace Drover.Server.Datasets;

/// <summary>A group-by's answer as CSV (<c>text/csv</c>) or as an Arrow IPC stream that pandas, polars and pyarrow read directly.</summary>
public static class GroupByFormats
{
    public const string Csv = "text/csv";
    public const string Arrow = "application/vnd.apache.arrow.stream";

    /// <summary>RFC 4180: a header line of column names, then one line per row; null is an empty field.</summary>
    public static string ToCsv(GroupByResult result)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', result.Columns.Select(c => Field(c.Name))).Append("\r\n");
        foreach (var row in result.Rows)
            text.AppendJoin(',', row.Select(v => Field(Text(v)))).Append("\r\n");
        return text.ToString();
    }

    /// <summary>One record batch: integers as int64, floating point as double, booleans, everything else as UTF-8 text.</summary>
    public static async Task<byte[]> ToArrowAsync(GroupByResult result, CancellationToken cancellationToken)
    {
        var fields = result.Columns.Select(c => new Field(c.Name, ArrowType(c.Type), nullable: true)).ToList();
        var schema = new Schema(fields, metadata: null);
        var arrays = result.Columns.Select((c, i) => Column(fields[i].DataType, result.Rows.Select(r => r[i]))).ToList();
        using var batch = new RecordBatch(schema, arrays, result.Rows.Count);
        using var buffer = new MemoryStream();
        using (var writer = new ArrowStreamWriter(buffer, schema, leaveOpen: true))
        {
            await writer.WriteRecordBatchAsync(batch, cancellationToken);
            await writer.WriteEndAsync(cancellationToken);
        }
        return buffer.ToArray();
    }

    private static IArrowType ArrowType(string duckDbType) => ColumnKinds.Of(duckDbType) switch
    {
        ColumnKind.Integer => Int64Type.Default,
        ColumnKind.Floating => DoubleType.Default,
        ColumnKind.Boolean => BooleanType.Default,
        _ => StringType.Default,
    };

    private static IArrowArray Column(IArrowType type, IEnumerable<object?> values)
    {
        switch (type)
        {
            case Int64Type:
                var longs = new Int64Array.Builder();
                foreach (var v in values)
                {
                    if (v is JsonElement { ValueKind: JsonValueKind.Number } n && n.TryGetInt64(out var l)) longs.Append(l);
                    else longs.AppendNull();
                }
                return longs.Build();
            case DoubleType:
                var doubles = new DoubleArray.Builder();
                foreach (var v in values)
                {
                    if (v is JsonElement { ValueKind: JsonValueKind.Number } n) doubles.Append(n.GetDouble());
                    else doubles.AppendNull();
                }
                return doubles.Build();
            case BooleanType:
                var booleans = new BooleanArray.Builder();
                foreach (var v in values)
                {
                    if (v is JsonElement { ValueKind: JsonValueKind.True or JsonValueKind.False } b) booleans.Append(b.GetBoolean());
                    else booleans.AppendNull();
                }
                return booleans.Build();
            default:
                var strings = new StringArray.Builder();
                foreach (var v in values)
                {
                    if (Text(v) is { } s) strings.Append(s);
                    else strings.AppendNull();
                }
                return strings.Build();
        }
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        JsonElement e => e.GetRawText(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static string Field(string? value)
    {
        if (value is null) return "";
        return value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
