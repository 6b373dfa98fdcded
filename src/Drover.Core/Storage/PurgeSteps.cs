namespace Drover.Storage;

/// <summary>
/// How many tasks each step of a purge deletes when the store has one writer (SQLite): as many as
/// take about <see cref="Target"/>, up to <see cref="StoreOptions.PurgeBatch"/>. Every write of the
/// dispatch that arrives during a step waits for it, and a round trip makes three writes one after
/// another, so the step's time, not its count, is what dispatch feels (bench purge, 200,000 records:
/// 1,000 rows a step took 15 ms and a round trip during the purge 48 ms; steps of 3 ms, 21 ms, the
/// purge 1.4 times longer; of 2 ms, 16 ms and twice as long).
/// </summary>
public sealed class PurgeSteps(int maxBatch)
{
    public static readonly TimeSpan Target = TimeSpan.FromMilliseconds(3);

    private const int Smallest = 50;

    /// <summary>Rows to delete in the next step.</summary>
    public int Size { get; private set; } = Math.Min(maxBatch, 200);

    /// <summary>True when the step just taken was the last (it found fewer than it could delete).</summary>
    public bool Done { get; private set; }

    /// <summary>After a step that deleted <paramref name="deleted"/> in <paramref name="took"/>: sizes the next.</summary>
    public void Took(int deleted, TimeSpan took)
    {
        if (deleted < Size)
        {
            Done = true;
            return;
        }
        var perRow = took.TotalMilliseconds / deleted;
        var fits = perRow <= 0 ? maxBatch : (int)(Target.TotalMilliseconds / perRow);
        // Grow at most twofold a step, so that one fast step on a cold cache does not overshoot.
        Size = Math.Clamp(Math.Min(fits, Size * 2), Math.Min(Smallest, maxBatch), maxBatch);
    }
}
