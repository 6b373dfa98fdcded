using Drover.Model;
using Drover.Validation;

namespace Drover.Dispatch;

/// <summary>
/// Dependencies between tasks, as pure functions every store applies: a task that requires others
/// is <c>pending</c> until all have succeeded, then <c>queued</c>; when one of them fails for good or
/// is canceled, it is canceled too, naming the requirement, and so on down the graph. No task ever
/// waits on something that cannot happen.
/// </summary>
public static class Dependencies
{
    /// <summary>What a new task starts as, given the states of its requirements (null: no such task).</summary>
    public readonly record struct Start(TaskState State, string? Reason, IReadOnlyList<Guid> Unmet);

    /// <summary>
    /// Checks the requirements of a request: each must be a task of the request or one that exists
    /// (<paramref name="exists"/>), and the request's own tasks must not require each other in a cycle.
    /// Errors name the task (<c>[3].requires</c>) and the id.
    /// </summary>
    public static void Check(IReadOnlyList<TaskDefinition> definitions, IReadOnlySet<Guid> existing, FieldErrors errors, bool isArray)
    {
        var index = definitions.Select((d, i) => (d.Id, i)).ToDictionary(x => x.Id, x => x.i);
        string Field(int i) => isArray ? $"[{i}].requires" : "requires";
        for (var i = 0; i < definitions.Count; i++)
        {
            foreach (var requirement in definitions[i].Requires ?? [])
            {
                if (!index.ContainsKey(requirement) && !existing.Contains(requirement))
                    errors.Add(Field(i), $"{requirement} is not a task (neither an existing one nor one in this request)");
            }
        }
        if (FindCycle(definitions, index) is { } cycle)
            errors.Add(Field(index[cycle[0]]), $"the tasks of this request require each other in a cycle: {string.Join(" → ", cycle.Append(cycle[0]))}");
    }

    /// <summary>The ids of the requirements the request names that are not in the request itself.</summary>
    public static HashSet<Guid> OutsideRequirements(IReadOnlyList<TaskDefinition> definitions)
    {
        // Asked at every create: most name no requirement, and need no set of the ids they create.
        if (!definitions.Any(d => d.Requires is not null)) return [];
        var inside = definitions.Select(d => d.Id).ToHashSet();
        return definitions.SelectMany(d => d.Requires ?? []).Where(r => !inside.Contains(r)).ToHashSet();
    }

    /// <summary>
    /// How each new task starts, requirements first: <paramref name="stateOf"/> gives the state of a
    /// task outside the request (null when there is none); tasks of the request count with the state
    /// they start in, so a whole DAG can arrive in one request.
    /// </summary>
    public static Dictionary<Guid, Start> Starts(IReadOnlyList<TaskDefinition> definitions, Func<Guid, TaskState?> stateOf)
    {
        var byId = definitions.ToDictionary(d => d.Id);
        var starts = new Dictionary<Guid, Start>();
        Start Resolve(TaskDefinition definition, HashSet<Guid> visiting)
        {
            if (starts.TryGetValue(definition.Id, out var known)) return known;
            visiting.Add(definition.Id);
            var unmet = new List<Guid>();
            Start? start = null;
            foreach (var requirement in definition.Requires ?? [])
            {
                TaskState? state = byId.TryGetValue(requirement, out var inRequest) && !visiting.Contains(requirement)
                    ? Resolve(inRequest, visiting).State
                    : byId.ContainsKey(requirement) ? TaskState.Pending : stateOf(requirement);
                if (state is null) start ??= new Start(TaskState.Canceled, $"requirement {requirement} does not exist", []);
                else if (state is TaskState.Failed or TaskState.Canceled) start ??= new Start(TaskState.Canceled, CanceledBecause(requirement, state.Value), []);
                else if (state != TaskState.Succeeded) unmet.Add(requirement);
            }
            visiting.Remove(definition.Id);
            return starts[definition.Id] = start ?? new Start(unmet.Count == 0 ? TaskState.Queued : TaskState.Pending, null, unmet);
        }
        foreach (var definition in definitions) Resolve(definition, []);
        return starts;
    }

    /// <summary>A new task that could be queued but whose run_after has not come: pending until then.</summary>
    public static TaskRecord Delay(TaskRecord task, DateTimeOffset now) =>
        task.Status == TaskState.Queued && task.RunAfter > now ? task with { Status = TaskState.Pending } : task;

    /// <summary>The new task's record, as it starts.</summary>
    public static TaskRecord Apply(TaskRecord task, Start start, DateTimeOffset now) => start.State switch
    {
        TaskState.Canceled => task with { Status = TaskState.Canceled, Reason = start.Reason, Completed = now },
        _ => task with { Status = start.State },
    };

    /// <summary>A pending task whose last requirement has just succeeded.</summary>
    public static TaskRecord Ready(TaskRecord task) => task with { Status = TaskState.Queued };

    /// <summary>A pending task one of whose requirements ended without succeeding.</summary>
    public static TaskRecord CancelDependant(TaskRecord task, Guid requirement, TaskState requirementState, DateTimeOffset now) =>
        task with { Status = TaskState.Canceled, Reason = CanceledBecause(requirement, requirementState), Completed = now };

    private static string CanceledBecause(Guid requirement, TaskState state) =>
        $"requirement {requirement} {(state == TaskState.Failed ? "failed" : "was canceled")}";

    /// <summary>A cycle among the request's tasks, as the ids along it; null when there is none.</summary>
    private static List<Guid>? FindCycle(IReadOnlyList<TaskDefinition> definitions, Dictionary<Guid, int> index)
    {
        var state = new Dictionary<Guid, int>(); // 1: on the current path, 2: done
        var path = new List<Guid>();
        List<Guid>? Visit(Guid id)
        {
            state[id] = 1;
            path.Add(id);
            foreach (var next in definitions[index[id]].Requires ?? [])
            {
                if (!index.ContainsKey(next)) continue;
                if (state.GetValueOrDefault(next) == 1) return path[path.IndexOf(next)..];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[id] = 2;
            return null;
        }
        foreach (var definition in definitions)
        {
            if (state.GetValueOrDefault(definition.Id) == 0 && Visit(definition.Id) is { } cycle) return cycle;
        }
        return null;
    }
}
