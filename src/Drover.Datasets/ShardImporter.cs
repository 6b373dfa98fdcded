using System.Globalization;
using Drover.Contracts;
using DuckDB.NET.Data;

namespace Drover.Datasets;

/// <summary>
/// Splits a CSV or Parquet file into N Parquet shards of a dataset (<c>drover dataset import</c>):
/// DuckDB reads the source and writes the shards in one streaming pass (row <c>i</c> goes to shard
/// <c>i mod N</c>, so the shards are even and the split the same every time), with a memory limit
/// and a spill directory, so a source larger than memory is fine. The shards are written aside and
/// moved into <c>OUT/&lt;name&gt;/part-NNNN.parquet</c> when all are whole, so a worker serving OUT
/// never sees half a shard.
/// </summary>
public static class ShardImporter
{
    public const int MaxShards = 10_000;

    public static IReadOnlyList<ShardInfo> Import(string source, string name, int shards, string outDirectory, string memoryLimit = "1GB")
    {
        if (!DatasetNames.IsValid(name)) throw new ArgumentException($"--name: '{name}' {DatasetNames.Rule}");
        if (shards is < 1 or > MaxShards) throw new ArgumentException($"--shards must be from 1 to {MaxShards}, not {shards}");
        if (!File.Exists(source)) throw new FileNotFoundException($"There is no file {source}.", source);
        var reader = ReaderFor(source);
        var target = Path.Combine(Path.GetFullPath(outDirectory), name);
        if (Directory.Exists(target) && Directory.EnumerateFiles(target, "*.parquet").Any())
            throw new IOException($"{target} already holds shards; remove them or import under another --name.");

        Directory.CreateDirectory(outDirectory);
        // Beside the target (same file system, so the moves are renames), hidden from the scanner by its leading dot.
        var staging = Path.Combine(Path.GetFullPath(outDirectory), $".import-{name}-{Environment.ProcessId}");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            using (var connection = ShardEngine.Open())
            {
                Execute(connection, $"SET memory_limit = '{memoryLimit.Replace("'", "", StringComparison.Ordinal)}'");
                Execute(connection, $"SET temp_directory = {Literal(Path.Combine(staging, "spill"))}");
                var shardOf = shards == 1 ? "0" : $"(row_number() OVER () - 1) % {shards.ToString(CultureInfo.InvariantCulture)}";
                Execute(connection,
                    $"COPY (SELECT *, {shardOf} AS __drover_shard FROM {reader}({Literal(Path.GetFullPath(source))})) " +
                    $"TO {Literal(Path.Combine(staging, "parts"))} (FORMAT parquet, PARTITION_BY (__drover_shard), OVERWRITE_OR_IGNORE true)");
                for (var i = 0; i < shards; i++)
                {
                    var files = Directory.Exists(Part(staging, i)) ? Directory.GetFiles(Part(staging, i), "*.parquet") : [];
                    var shardFile = Path.Combine(staging, ShardName(i) + ".parquet");
                    if (files.Length == 1) File.Move(files[0], shardFile);
                    else if (files.Length > 1)
                        Execute(connection, $"COPY (SELECT * FROM read_parquet({Literal(Path.Combine(Part(staging, i), "*.parquet"))})) TO {Literal(shardFile)} (FORMAT parquet)");
                    else
                        // Fewer rows than shards: an empty shard of the same schema keeps the count as asked.
                        Execute(connection, $"COPY (SELECT * FROM {reader}({Literal(Path.GetFullPath(source))}) LIMIT 0) TO {Literal(shardFile)} (FORMAT parquet)");
                }
            }
            Directory.CreateDirectory(target);
            for (var i = 0; i < shards; i++)
                File.Move(Path.Combine(staging, ShardName(i) + ".parquet"), Path.Combine(target, ShardName(i) + ".parquet"));
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
        return [.. ShardScanner.Scan(outDirectory).Where(s => s.Dataset == name)];
    }

    public static string ShardName(int index) => "part-" + index.ToString("D4", CultureInfo.InvariantCulture);

    private static string Part(string staging, int index) => Path.Combine(staging, "parts", "__drover_shard=" + index.ToString(CultureInfo.InvariantCulture));

    private static string ReaderFor(string source)
    {
        var lower = source.ToLowerInvariant();
        if (lower.EndsWith(".parquet", StringComparison.Ordinal)) return "read_parquet";
        if (lower.EndsWith(".csv", StringComparison.Ordinal) || lower.EndsWith(".csv.gz", StringComparison.Ordinal)
            || lower.EndsWith(".tsv", StringComparison.Ordinal) || lower.EndsWith(".txt", StringComparison.Ordinal)) return "read_csv_auto";
        throw new ArgumentException($"{source}: the source must be a .csv, .csv.gz, .tsv or .parquet file");
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
