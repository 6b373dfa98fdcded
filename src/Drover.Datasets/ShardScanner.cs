using System.Globalization;
using System.Security.Cryptography;
using Drover.Contracts;

namespace Drover.Datasets;

/// <summary>
/// The shards under a worker's data directory: <c>DIR/&lt;dataset&gt;/&lt;shard&gt;.parquet</c>, or, once
/// generations are distributed, the files of the generation that <c>DIR/&lt;dataset&gt;/current</c>
/// points to (a symlink to <c>gen-N</c>, switched by one atomic rename). Each shard is read for its
/// rows and schema (Parquet metadata, not the data) and hashed for its checksum.
/// </summary>
public static class ShardScanner
{
    public const string CurrentLink = "current";

    public static IReadOnlyList<ShardInfo> Scan(string dataDirectory)
    {
        var shards = new List<ShardInfo>();
        if (!Directory.Exists(dataDirectory)) throw new DirectoryNotFoundException($"The data directory {dataDirectory} does not exist.");
        using var connection = ShardEngine.Open();
        foreach (var datasetDirectory in Directory.EnumerateDirectories(dataDirectory).Order(StringComparer.Ordinal))
        {
            var dataset = Path.GetFileName(datasetDirectory);
            if (!DatasetNames.IsValid(dataset)) continue;
            var (files, generation) = Generation(datasetDirectory);
            foreach (var file in Directory.EnumerateFiles(files, "*.parquet").Order(StringComparer.Ordinal))
            {
                var shard = Path.GetFileNameWithoutExtension(file);
                if (!DatasetNames.IsValid(shard)) continue;
                shards.Add(new ShardInfo
                {
                    Dataset = dataset,
                    Shard = shard,
                    Generation = generation,
                    Rows = Rows(connection, file),
                    Bytes = new FileInfo(file).Length,
                    Checksum = Checksum(file),
                    Schema = ShardEngine.Schema(connection, file),
                });
            }
        }
        return shards;
    }

    /// <summary>The path of a shard's file as a worker serves it; null when it has no such shard.</summary>
    public static string? PathOf(string dataDirectory, string dataset, string shard)
    {
        if (!DatasetNames.IsValid(dataset) || !DatasetNames.IsValid(shard)) return null;
        var datasetDirectory = Path.Combine(dataDirectory, dataset);
        if (!Directory.Exists(datasetDirectory)) return null;
        var path = Path.Combine(Generation(datasetDirectory).Files, shard + ".parquet");
        return File.Exists(path) ? path : null;
    }

    /// <summary>Where a dataset's current files are, and their generation (1 for plain files).</summary>
    private static (string Files, long Generation) Generation(string datasetDirectory)
    {
        var current = new DirectoryInfo(Path.Combine(datasetDirectory, CurrentLink));
        if (current.LinkTarget is { } target)
        {
            var name = Path.GetFileName(target.TrimEnd('/'));
            if (name.StartsWith("gen-", StringComparison.Ordinal) && long.TryParse(name[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
                return (Path.Combine(datasetDirectory, name), generation);
        }
        return (datasetDirectory, 1);
    }

    private static long Rows(DuckDB.NET.Data.DuckDBConnection connection, string file)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(sum(row_group_num_rows) AS BIGINT) FROM (SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata($1))";
        command.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter(file));
        var rows = command.ExecuteScalar();
        return rows is null or DBNull ? 0 : Convert.ToInt64(rows, CultureInfo.InvariantCulture);
    }

    private static string Checksum(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
