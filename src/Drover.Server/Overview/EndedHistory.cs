using Drover.Model;

namespace Drover.Server.Overview;

/// <summary>
/// Tasks that ended in a window, counted per fixed step (aligned to the epoch, so that a client can
/// ask again from its last, unfinished step and replace it): how many succeeded, failed and were
/// canceled, and how long they ran, on a log scale. Pure: fed the ended tasks' records, no I/O.
/// </summary>
public sealed class EndedHistory
{
    /// <summary>Upper bounds of the run-time bins, in seconds; the last bin is everything longer.</summary>
    public static readonly double[] DurationBounds = [0.1, 1, 10, 60, 600, 3600];

    private readonly SortedDictionary<long, EndedStep> _steps = [];

    public EndedHistory(TimeSpan step) => Step = step;

    public TimeSpan Step { get; }

    /// <summary>The start of the step a time falls in.</summary>
    public DateTimeOffset StepOf(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds() / (long)Step.TotalMilliseconds * (long)Step.TotalMilliseconds);

    public void Add(TaskRecord task)
    {
        if (task.Completed is not { } completed) return;
        var key = StepOf(completed).ToUnixTimeMilliseconds();
        if (!_steps.TryGetValue(key, out var step)) _steps[key] = step = new EndedStep { Start = DateTimeOffset.FromUnixTimeMilliseconds(key), Durations = new long[DurationBounds.Length + 1] };
        switch (task.Status)
        {
            case TaskState.Succeeded: step.Succeeded++; break;
            case TaskState.Failed: step.Failed++; break;
            case TaskState.Canceled: step.Canceled++; break;
            default: return;
        }
        // A task canceled before it started has no run time.
        if (task.Started is { } started) step.Durations[Bin((completed - started).TotalSeconds)]++;
    }

    /// <summary>The steps that saw an ended task, oldest first.</summary>
    public IReadOnlyList<EndedStep> Steps => [.. _steps.Values];

    public static int Bin(double seconds)
    {
        var bin = Array.FindIndex(DurationBounds, bound => seconds < bound);
        return bin < 0 ? DurationBounds.Length : bin;
    }
}

/// <summary>One step of <see cref="EndedHistory"/>: tasks that ended in it, by final state, and their run times per bin.</summary>
public sealed class EndedStep
{
    public required DateTimeOffset Start { get; init; }
    public long Succeeded { get; set; }
    public long Failed { get; set; }
    public long Canceled { get; set; }
    public required long[] Durations { get; init; }
}
