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
    public void Plain_files_are_generation_one_and_a_current_link_chooses_the_generation()
    {
        Write(Path.Combine(_directory, "trips", "part-0.parquet"), 1_000);
        Write(Path.Combine(_directory, "trips", "part-1.parquet"), 2_500);
        Write(Path.Combine(_directory, "zones", "gen-1", "z.parquet"), 3);
        Write(Path.Combine(_directory, "zones", "gen-2", "z.parquet"), 5);
        Directory.CreateSymbolicLink(Path.Combine(_directory, "zones", ShardScanner.CurrentLink), "gen-2");
        File.WriteAllText(Path.Combine(_directory, "trips", "notes.txt"), "not a shard");
        Directory.CreateDirectory(Path.Combine(_directory, ".hidden"));

        var shards = ShardScanner.Scan(_directory);
        Assert.Equal(["trips/part-0@1:1000", "trips/part-1@1:2500", "zones/z@2:5"], shards.Select(s => $"{s.Dataset}/{s.Shard}@{s.Generation}:{s.Rows}"));
        Assert.All(shards, s => Assert.Equal(64, s.Checksum.Length));
        Assert.Equal(["id", "label"], shards[0].Schema.Select(c => c.Name));
        Assert.Equal(new FileInfo(Path.Combine(_directory, "trips", "part-1.parquet")).Length, shards[1].Bytes);
        Assert.Equal(Path.Combine(_directory, "zones", "gen-2", "z.parquet"), ShardScanner.PathOf(_directory, "zones", "z"));
        Assert.Null(ShardScanner.PathOf(_directory, "..", "trips"));
        Assert.Null(ShardScanner.PathOf(_directory, "trips", "../zones/gen-1/z"));
        Assert.Null(ShardScanner.PathOf(_directory, "trips", "part-9"));
    }
}
