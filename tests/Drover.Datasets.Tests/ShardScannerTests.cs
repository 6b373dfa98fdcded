namespace Drover.Datasets.Tests;

/// <summary>What a worker's data directory announces, read from real Parquet files.</summary>
public sealed class ShardScannerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-scan-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static void Write(string path, int rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = ShardEngine.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"COPY (SELECT i AS id, 'x' || i AS label FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)";
        command.ExecuteNonQuery();
    }

    [Fact]
    public void Plain_files_are_generation_one_and_each_gen_directory_is_a_generation()
    {
        Write(Path.Combine(_directory, "trips", "part-0.parquet"), 1_000);
        Write(Path.Combine(_directory, "trips", "part-1.parquet"), 2_500);
        Write(Path.Combine(_directory, "zones", "gen-1", "z.parquet"), 3);
        Write(Path.Combine(_directory, "zones", "gen-2", "z.parquet"), 5);
        Write(Path.Combine(_directory, "zones", "gen-3.staging", "z.parquet"), 7);
        File.WriteAllText(Path.Combine(_directory, "trips", "notes.txt"), "not a shard");
        Directory.CreateDirectory(Path.Combine(_directory, ".hidden"));

        var shards = ShardScanner.Scan(_directory);
        Assert.Equal(["trips/part-0@1:1000", "trips/part-1@1:2500", "zones/z@1:3", "zones/z@2:5"], shards.Select(s => $"{s.Dataset}/{s.Shard}@{s.Generation}:{s.Rows}"));
        Assert.All(shards, s => Assert.Equal(64, s.Checksum.Length));
        Assert.Equal(["id", "label"], shards[0].Schema.Select(c => c.Name));
        Assert.Equal(new FileInfo(Path.Combine(_directory, "trips", "part-1.parquet")).Length, shards[1].Bytes);
        Assert.Equal(Path.Combine(_directory, "zones", "gen-2", "z.parquet"), ShardScanner.PathOf(_directory, "zones", "z", 2));
        Assert.Equal(Path.Combine(_directory, "trips", "part-0.parquet"), ShardScanner.PathOf(_directory, "trips", "part-0", 1));
        Assert.Null(ShardScanner.PathOf(_directory, "zones", "z", 3));
        Assert.Null(ShardScanner.PathOf(_directory, "trips", "part-0", 2));
        Assert.Null(ShardScanner.PathOf(_directory, "..", "trips", 1));
        Assert.Null(ShardScanner.PathOf(_directory, "trips", "../zones/gen-1/z", 1));
        Assert.Null(ShardScanner.PathOf(_directory, "trips", "part-9", 1));
    }
}
