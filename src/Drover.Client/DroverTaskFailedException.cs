using Drover.Json;
using Drover.Model;

namespace Drover.Client;

/// <summary>A task whose result was asked for ended without succeeding; carries its final record.</summary>
public sealed class DroverTaskFailedException(TaskRecord task)
    : Exception($"task {task.Id} ended {Enums.Name(task.Status)}{(task.ExitCode is { } code ? $" (exit {code})" : "")}{((task.Error ?? task.Reason) is { } why ? $": {why}" : "")}")
{
    public TaskRecord Task { get; } = task;
}
