namespace Drover.Tracker.Tests;

public sealed class ProgressTrackerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drover-progress-").FullName;
    private string PathOf(string name) => Path.Combine(_dir, name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Keys_carry_done_tries_aborted_and_data_and_TryKeys_respects_them()
    {
        using var tracker = ProgressTracker.Open(PathOf("jobs.tracker"), maxTries: 2);
        Assert.Equal(4, tracker.AddManyIfAbsent(["a", "b", "c", "d"], new { depth = 1 }));
        Assert.False(tracker.AddIfAbsent("a"));
        Assert.Equal(1, tracker.GetData<Dictionary<string, int>>("a")!["depth"]);
        tracker.MarkDone("a");
        tracker.Abort("b");
        tracker.IncrementTries("c");
        tracker.IncrementTries("c"); // at MaxTries: not tried again
        Assert.Equal(["d"], tracker.TryKeys().ToList());
        Assert.Equal(1, tracker["d"].Tries);

        tracker.Unabort("b");
        tracker.ResetTries("c");
        tracker.MarkNotDone("a");
        Assert.Equal(["a", "b", "c", "d"], tracker.TryKeys().ToList());
        Assert.Equal(new ProgressCounts(Total: 4, Done: 0, Tried: 4, Aborted: 0, Remaining: 4), tracker.Counts());
        tracker.MarkDone("d");
        Assert.Equal(0.25, tracker.Counts().FractionDone);
        Assert.True(tracker.Remove("d"));
        Assert.Throws<KeyNotFoundException>(() => tracker.MarkDone("d"));
        Assert.Throws<KeyNotFoundException>(() => tracker["d"]);
    }

    [Fact]
    public async Task Four_processes_over_10000_keys_each_key_is_done_exactly_once()
    {
        var path = PathOf("shared.tracker");
        using (var tracker = ProgressTracker.Open(path)) tracker.AddManyIfAbsent(Enumerable.Range(0, 10_000).Select(i => $"k{i}"));
        var workers = Enumerable.Range(0, 4).Select(_ => Child.Start("work", path)).ToList();
        foreach (var worker in workers) Assert.Equal(0, await worker.ExitAsync(TimeSpan.FromSeconds(120)));
        var did = workers.SelectMany(w => w.Lines.Where(l => l.StartsWith("did ", StringComparison.Ordinal)).Select(l => l[4..])).ToList();
        workers.ForEach(w => w.Dispose());
        Assert.Equal(10_000, did.Count);
        Assert.Equal(10_000, did.Distinct().Count());
        Assert.True(workers.Count(w => w.Lines.Count > 0) >= 2, "the work was not shared");
        using var after = ProgressTracker.Open(path);
        Assert.Equal(10_000, after.Counts().Done);
        Assert.All(after.Entries(), e => Assert.Equal(1, e.Tries));
    }

    [Fact]
    public async Task A_key_held_by_a_live_process_is_skipped_and_given_out_once_that_process_is_killed()
    {
        var path = PathOf("claims.tracker");
        using var tracker = ProgressTracker.Open(path);
        tracker.AddManyIfAbsent(["first", "second"]);
        using var holder = Child.Start("claim", path);
        await holder.FirstLineAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["holding first"], holder.Lines);

        Assert.Equal(["second"], tracker.TryKeys().ToList()); // "first" is claimed by a live process
        tracker.MarkDone("second");
        holder.Kill();
        Assert.Equal(["first"], tracker.TryKeys().ToList()); // its claim died with it
        Assert.Equal(2, tracker["first"].Tries);
    }

    [Fact]
    public void A_claim_is_let_go_when_the_caller_moves_on_or_stops()
    {
        var path = PathOf("release.tracker");
        using var mine = ProgressTracker.Open(path);
        using var other = ProgressTracker.Open(path);
        mine.AddManyIfAbsent(["a", "b"]);
        using (var keys = mine.TryKeys().GetEnumerator())
        {
            Assert.True(keys.MoveNext());
            Assert.Equal("a", keys.Current);
        } // stopped: "a" let go
        // Same process: its own claims never block it; "a" is free again either way.
        Assert.Equal(["a", "b"], other.TryKeys().ToList());
    }
}
