using System.Globalization;
using System.Security.Cryptography;
using Drover.Contracts;

namespace Drover.Datasets;

/// <summary>
/// The shards under a worker's data directory: <c>DIR/&lt;dataset&gt;/&lt;shard&gt;.parquet</c> (generation 1),
/// and each generation a distribution brought, <c>DIR/&lt;dataset&gt;/gen-N/&lt;shard&gt;.parquet</c>. A
/// worker announces every generation it holds and answers a query for the one the query names, so
/// while a distribution switches the workers one by one, each still serves the generation the
/// server routes to. Each shard is read for its rows and schema (Parquet metadata, not the data) and
/// hashed for its checksum. A <c>gen-N.staging</c> directory (a download in progress) is not a generation.
/// </summary>
public static class ShardScanner
{
    public const string GenerationPrefix = "gen-";
    public const string StagingSuffix = ".staging";

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
            foreach (var (files, generation) in Generations(datasetDirectory))
            {
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
        }
        cache?.KeepOnly(seen);
        return shards;
    }

    /// <summary>The path of a shard's file of a generation as a worker serves it; null when it has no such shard.</summary>
    public static string? PathOf(string dataDirectory, string dataset, string shard, long generation)
    {
        if (!DatasetNames.IsValid(dataset) || !DatasetNames.IsValid(shard)) return null;
        var datasetDirectory = Path.Combine(dataDirectory, dataset);
        var path = Generations(datasetDirectory).Where(g => g.Generation == generation)
            .Select(g => Path.Combine(g.Files, shard + ".parquet")).FirstOrDefault(File.Exists);
        return path;
    }

    /// <summary>The directory of a generation a distribution brings (<c>gen-N</c>), and where it is downloaded first.</summary>
    public static string GenerationDirectory(string dataDirectory, string dataset, long generation) =>
        Path.Combine(dataDirectory, dataset, GenerationPrefix + generation.ToString(CultureInfo.InvariantCulture));

    /// <summary>The generations of a dataset on this worker and where their files are: <c>gen-N</c> directories, and plain files as generation 1 (unless a <c>gen-1</c> exists).</summary>
    public static List<(string Files, long Generation)> Generations(string datasetDirectory)
    {
        var generations = new List<(string Files, long Generation)>();
        if (!Directory.Exists(datasetDirectory)) return generations;
        foreach (var directory in Directory.EnumerateDirectories(datasetDirectory, GenerationPrefix + "*"))
        {
            var name = Path.GetFileName(directory);
            if (long.TryParse(name.AsSpan(GenerationPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var generation) && generation >= 1)
                generations.Add((directory, generation));
        }
        if (generations.All(g => g.Generation != 1) && Directory.EnumerateFiles(datasetDirectory, "*.parquet").Any())
            generations.Add((datasetDirectory, 1));
        generations.Sort((a, b) => a.Generation.CompareTo(b.Generation));
        return generations;
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
