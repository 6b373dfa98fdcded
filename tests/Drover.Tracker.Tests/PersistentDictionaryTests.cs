namespace Drover.Tracker.Tests;

public sealed class PersistentDictionaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-tracker-").FullName;
    private string PathOf(string name) => Path.Combine(_dir, name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public sealed record Page(string Url, int Links);

    [Fact]
    public void Entries_are_kept_read_updated_removed_and_enumerated_in_insertion_order()
    {
        using var pod = PersistentDictionary.Open<Page>(PathOf("crawl.pod"));
        pod["b"] = new Page("https://b", 1);
        pod["a"] = new Page("https://a", 2);
        pod["c"] = new Page("https://c", 3);
        pod["b"] = new Page("https://b", 10); // an update keeps its place
        Assert.Equal(["b", "a", "c"], pod.Keys);
        Assert.Equal(new Page("https://b", 10), pod["b"]);
        Assert.True(pod.TryGetValue("a", out var a) && a.Links == 2);
        Assert.False(pod.TryGetValue("zz", out _));
        Assert.Throws<KeyNotFoundException>(() => pod["zz"]);
        Assert.True(pod.ContainsKey("c"));
        Assert.Equal(3, pod.Count);
        Assert.True(pod.Remove("a"));
        Assert.False(pod.Remove("a"));
        Assert.Equal(["b", "c"], pod.Select(e => e.Key));
        Assert.Equal(11, pod.Update("b", p => p! with { Links = p.Links + 1 }).Links);
        Assert.Equal(1, pod.Update("new", p => p ?? new Page("https://new", 1)).Links);
        Assert.Equal(["b", "c", "new"], pod.Keys);
    }

    [Fact]
    public void Two_instances_on_one_path_see_each_others_writes_and_enumeration_crosses_pages()
    {
        using var first = PersistentDictionary.Open<int>(PathOf("shared.pod"));
        using var second = PersistentDictionary.Open<int>(PathOf("shared.pod"));
        for (var i = 0; i < 2500; i++) first[$"k{i}"] = i;
        Assert.Equal(2500, second.Count);
        Assert.Equal(Enumerable.Range(0, 2500), second.Select(e => e.Value));
        second.Remove("k7");
        Assert.False(first.ContainsKey("k7"));
    }

    [Fact]
    public void A_write_that_throws_fails_alone_while_the_writes_sharing_its_commit_succeed()
    {
        using var pod = PersistentDictionary.Open<int>(PathOf("mixed.pod"));
        var failures = 0;
        Parallel.For(0, 400, i =>
        {
            try
            {
                pod.Update($"k{i}", _ => i % 10 == 0 ? throw new InvalidOperationException("no") : i);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(40, failures);
        Assert.Equal(360, pod.Count);
        Assert.DoesNotContain(pod.Keys, k => int.Parse(k[1..]) % 10 == 0);
    }

    [Fact]
    public void Update_is_atomic_across_threads()
    {
        using var pod = PersistentDictionary.Open<int>(PathOf("counter.pod"));
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 250; i++) pod.Update("n", n => n + 1);
        });
        Assert.Equal(2000, pod["n"]);
    }

    [Fact]
    public async Task Update_is_atomic_across_processes()
    {
        var path = PathOf("counter.pod");
        using (var pod = PersistentDictionary.Open<int>(path)) pod["n"] = 0;
        var children = Enumerable.Range(0, 4).Select(_ => Child.Start("increment", path, "n", "300")).ToList();
        foreach (var child in children) Assert.Equal(0, await child.ExitAsync(TimeSpan.FromSeconds(60)));
        children.ForEach(c => c.Dispose());
        using var after = PersistentDictionary.Open<int>(path);
        Assert.Equal(1200, after["n"]);
    }

    [Fact]
    public async Task Every_write_that_returned_survives_a_kill_9_at_a_random_moment()
    {
        var path = PathOf("killed.pod");
        for (var round = 0; round < 3; round++)
        {
            using var writer = Child.Start("write", path, $"r{round}-", "1000000", "4");
            await writer.FirstLineAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(Random.Shared.Next(100, 600), TestContext.Current.CancellationToken);
            writer.Kill();
            var acknowledged = writer.Lines.Where(l => l.StartsWith("ok ", StringComparison.Ordinal)).Select(l => l[3..]).ToList();
            Assert.NotEmpty(acknowledged);
            using var reopened = PersistentDictionary.Open<int>(path);
            var missing = acknowledged.Where(k => !reopened.ContainsKey(k)).ToList();
            Assert.True(missing.Count == 0, $"round {round}: {missing.Count} of {acknowledged.Count} acknowledged writes lost, e.g. {string.Join(", ", missing.Take(5))}");
        }
    }

    [Fact]
    public void A_file_that_is_not_a_tracker_gives_a_clear_error()
    {
        var text = PathOf("notes.txt");
        File.WriteAllText(text, "these are not the rows you are looking for\n".PadRight(5000, 'x'));
        var notSqlite = Assert.Throws<TrackerFileException>(() => PersistentDictionary.Open<int>(text));
        Assert.Contains("not a Drover tracker file", notSqlite.Message);

        var other = PathOf("other.db");
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other};Pooling=false"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE people (name TEXT)";
            create.ExecuteNonQuery();
        }
        var foreign = Assert.Throws<TrackerFileException>(() => ProgressTracker.Open(other));
        Assert.Contains("not a Drover tracker", foreign.Message);
        Assert.Throws<TrackerFileException>(() => PersistentDictionary.Open<int>(_dir));

        // A tracker whose first page was overwritten (its schema) is reported as damaged, not opened.
        var damaged = PathOf("damaged.pod");
        using (var pod = PersistentDictionary.Open<int>(damaged)) pod["a"] = 1;
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.Write))
        {
            file.Position = 100;
            file.Write(Enumerable.Repeat((byte)0xAB, 3000).ToArray());
        }
        foreach (var wal in Directory.GetFiles(_dir, "damaged.pod-*")) File.Delete(wal);
        var broken = Assert.Throws<TrackerFileException>(() => PersistentDictionary.Open<int>(damaged));
        Assert.Contains("damaged", broken.Message);
    }
}
