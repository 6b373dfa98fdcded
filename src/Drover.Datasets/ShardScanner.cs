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

    /// <param name="cache">What an earlier scan read, by path: a file of the same length and modification time is not read or hashed again.</param>
    /// <param name="unreadable">Told of a file that is not (yet) a readable Parquet file, which is left out.</param>
    public static IReadOnlyList<ShardInfo> Scan(string dataDirectory, ScanCache? cache = null, Action<string, Exception>? unreadable = null)
    {
        var shards = new List<ShardInfo>();
        if (!Directory.Exists(dataDirectory)) throw new DirectoryNotFoundException($"The data directory {dataDirectory} does not exist.");
        using var connection = ShardEngine.Open();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var datasetDirectory in Directory.EnumerateDirectories(dataDirectory).Order(StringComparer.Ordinal))
        {
            var dataset = Path.GetFileName(datasetDirectory);
            if (!DatasetNames.IsValid(dataset)) continue;
            var (files, generation) = Generation(datasetDirectory);
            foreach (var file in Directory.EnumerateFiles(files, "*.parquet").Order(StringComparer.Ordinal))
            {
                var shard = Path.GetFileNameWithoutExtension(file);
                if (!DatasetNames.IsValid(shard)) continue;
                var info = new FileInfo(file);
                if (cache?.Find(file, info) is { } known && known.Generation == generation)
                {
                    seen.Add(file);
                    shards.Add(known);
                    continue;
                }
                try
                {
                    var read = new ShardInfo
                    {
                        Dataset = dataset,
                        Shard = shard,
                        Generation = generation,
                        Rows = Rows(connection, file),
                        Bytes = info.Length,
                        Checksum = Checksum(file),
                        Schema = ShardEngine.Schema(connection, file),
                    };
                    cache?.Keep(file, info, read);
                    seen.Add(file);
                    shards.Add(read);
                }
                catch (Exception ex) when (ex is DuckDB.NET.Data.DuckDBException or IOException)
                {
                    // A file still being copied in is announced once it is whole (its change is seen again).
                    unreadable?.Invoke(file, ex);
                }
            }
        }
        cache?.KeepOnly(seen);
        return shards;
    }

    /// <summary>The generation a dataset's files are of on this worker (1 for plain files, N for <c>current → gen-N</c>); null when it has none.</summary>
    public static long? GenerationOf(string dataDirectory, string dataset)
    {
        if (!DatasetNames.IsValid(dataset)) return null;
        var datasetDirectory = Path.Combine(dataDirectory, dataset);
        return Directory.Exists(datasetDirectory) ? Generation(datasetDirectory).Generation : null;
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

/// <summary>What a scan read of each file, so that the next scan reads only files that changed.</summary>
public sealed class ScanCache
{
    private readonly Dictionary<string, (long Length, DateTime Modified, ShardInfo Shard)> _files = new(StringComparer.Ordinal);

    internal ShardInfo? Find(string path, FileInfo file) =>
        _files.TryGetValue(path, out var known) && known.Length == file.Length && known.Modified == file.LastWriteTimeUtc ? known.Shard : null;

    internal void Keep(string path, FileInfo file, ShardInfo shard) => _files[path] = (file.Length, file.LastWriteTimeUtc, shard);

    internal void KeepOnly(HashSet<string> paths)
    {
        foreach (var path in _files.Keys.Where(p => !paths.Contains(p)).ToList()) _files.Remove(path);
    }
}
