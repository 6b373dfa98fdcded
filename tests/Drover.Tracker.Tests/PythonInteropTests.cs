namespace Drover.Tracker.Tests;

/// <summary>
/// .NET and Python (clients/python's drover.tracker) on one tracker file at the same time: what one
/// writes the other reads, and claims made by either are honoured by both.
/// </summary>
public sealed class PythonInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-interop-").FullName;
    private string PathOf(string name) => Path.Combine(_dir, name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<string> Acknowledged(Child child, string prefix) =>
        [.. child.Lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..])];

    [Fact]
    public async Task Dotnet_and_Python_write_one_dictionary_at_once_and_each_reads_what_the_other_wrote()
    {
        var path = PathOf("shared.tracker");
        using var dotnet = Child.Start("write", path, "net", "1500", "4");
        using var python = Child.StartPython("write", path, "py", "1500", "4");
        Assert.Equal(0, await dotnet.ExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Equal(0, await python.ExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Equal(1500, Acknowledged(python, "ok ").Count);

        // .NET reads Python's entries...
        using (var pod = PersistentDictionary.Open<int>(path))
        {
            Assert.Equal(3000, pod.Count);
            Assert.All(Enumerable.Range(0, 1500), i => Assert.Equal(i, pod[$"py{i}"]));
            pod["from-net"] = 42;
        }
        // ...and Python reads .NET's.
        using var dump = Child.StartPython("dump", path);
        Assert.Equal(0, await dump.ExitAsync(TimeSpan.FromSeconds(60)));
        var entries = Acknowledged(dump, "entry ").Select(l => l.Split(' ')).ToDictionary(p => p[0], p => int.Parse(p[1]));
        Assert.Equal(3001, entries.Count);
        Assert.All(Enumerable.Range(0, 1500), i => Assert.Equal(i, entries[$"net{i}"]));
        Assert.Equal(42, entries["from-net"]);
    }

    [Fact]
    public async Task Dotnet_and_Python_processes_work_one_tracker_at_once_and_do_each_key_exactly_once()
    {
        var path = PathOf("work.tracker");
        using (var tracker = ProgressTracker.Open(path)) tracker.AddManyIfAbsent(Enumerable.Range(0, 3000).Select(i => $"k{i}"));
        var workers = new[] { Child.Start("work", path), Child.StartPython("work", path), Child.Start("work", path), Child.StartPython("work", path) };
        foreach (var worker in workers) Assert.Equal(0, await worker.ExitAsync(TimeSpan.FromSeconds(180)));
        var did = workers.SelectMany(w => Acknowledged(w, "did ")).ToList();
        foreach (var worker in workers) worker.Dispose();
        Assert.Equal(3000, did.Count);
        Assert.Equal(3000, did.Distinct().Count());
        using var after = ProgressTracker.Open(path);
        Assert.Equal(3000, after.Counts().Done);
        Assert.All(after.Entries(), e => Assert.Equal(1, e.Tries));
    }

    [Fact]
    public async Task A_claim_by_either_is_skipped_by_the_other_until_its_process_is_killed()
    {
        var path = PathOf("claims.tracker");
        using var tracker = ProgressTracker.Open(path);
        tracker.AddManyIfAbsent(["a", "b", "c"]);
        using var python = Child.StartPython("claim", path);
        await python.FirstLineAsync(TimeSpan.FromSeconds(30));
        using var dotnet = Child.Start("claim", path);
        await dotnet.FirstLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["holding a"], python.Lines);
        Assert.Equal(["holding b"], dotnet.Lines); // Python's claim on "a" held

        using (var pythonWorker = Child.StartPython("work", path))
        {
            Assert.Equal(0, await pythonWorker.ExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(["did c"], pythonWorker.Lines); // and Python honoured .NET's on "b"
        }
        python.Kill();
        dotnet.Kill();
        Assert.Equal(["a", "b"], tracker.TryKeys().ToList());
    }
}
