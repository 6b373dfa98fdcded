namespace Drover.Client;

/// <summary>What an event stream follows: everything, or tasks by group, batch or id.</summary>
public sealed record EventFollow
{
    public bool All { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    public IReadOnlyList<string> Batches { get; init; } = [];
    public IReadOnlyList<Guid> Tasks { get; init; } = [];
    /// <summary>How many changed tasks may wait for this follower before it is told to re-read (null: the server's default).</summary>
    public int? Queue { get; init; }

    /// <summary>The same tasks as a query filter: by id, group or batch; null when following everything (or nothing).</summary>
    public TaskFilter? ToFilter()
    {
        var any = new List<TaskFilter>();
        if (Tasks.Count > 0) any.Add(TaskFilter.In("id", Tasks.Cast<object?>()));
        if (Groups.Count > 0) any.Add(TaskFilter.In("group", Groups));
        if (Batches.Count > 0) any.Add(TaskFilter.In("batch", Batches));
        return All || any.Count == 0 ? null : TaskFilter.Or(any);
    }

    internal string ToQuery()
    {
        var query = new List<string>();
        if (All) query.Add("all=true");
        query.AddRange(Groups.Select(g => "group=" + Uri.EscapeDataString(g)));
        query.AddRange(Batches.Select(b => "batch=" + Uri.EscapeDataString(b)));
        query.AddRange(Tasks.Select(t => $"task={t}"));
        if (Queue is { } queue) query.Add($"queue={queue}");
        return string.Join('&', query);
    }
}
