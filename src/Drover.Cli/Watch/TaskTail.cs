using Drover.Client;
using Drover.Model;

namespace Drover.Cli.Watch;

/// <summary>
/// <c>drover watch ID</c>: prints what a task has written so far, then its output as it comes,
/// stdout to stdout and stderr to stderr, until the task ends. Exits 0 when it succeeded.
/// </summary>
internal static class TaskTail
{
    public static async Task<int> RunAsync(DroverClient client, Guid id, CancellationToken cancellationToken)
    {
        // Follow first, then read: whatever changes after the read is on the stream.
        await using var stream = await client.FollowAsync(new EventFollow { Tasks = [id] }, cancellationToken);
        var task = await client.GetTaskAsync(id, cancellationToken) ?? throw new CliException($"there is no task {id}");
        var stdout = new OutputCursor();
        var stderr = new OutputCursor();
        var execution = ShowKept(task, stdout, stderr);
        while (!TaskStateRules.IsEnded(task.Status))
        {
            switch (await stream.ReadAsync(cancellationToken))
            {
                case null:
                    throw new CliException("the server closed the event stream");
                case TaskOutput output when output.Task == id:
                    if (output.Execution != execution)
                    {
                        // Another attempt began: its output starts from nothing.
                        if (execution is not null) Console.Error.WriteLine($"--- drover: a new attempt of {id} ---");
                        execution = output.Execution;
                        stdout.Reset(0);
                        stderr.Reset(0);
                    }
                    if (output.Skipped) Console.Error.WriteLine("--- drover: some output was skipped (this terminal fell behind) ---");
                    Write(Console.Out, stdout.Next(output.Stdout, output.StdoutBytes));
                    Write(Console.Error, stderr.Next(output.Stderr, output.StderrBytes));
                    break;
                case TasksChanged changed when changed.Tasks.FirstOrDefault(t => t.Id == id) is { } latest:
                    task = latest;
                    break;
                case Resync:
                    // Changes were dropped: read the record again (its output tail is shown from where we are).
                    task = await client.GetTaskAsync(id, cancellationToken) ?? throw new CliException($"task {id} was deleted");
                    if (task.ExecutionId == execution)
                    {
                        Write(Console.Out, stdout.Next(task.Stdout, task.StdoutBytes));
                        Write(Console.Error, stderr.Next(task.Stderr, task.StderrBytes));
                    }
                    break;
            }
        }
        await Console.Out.FlushAsync(cancellationToken);
        Console.Error.WriteLine($"drover: {id} {Json.Enums.Name(task.Status)}{(task.ExitCode is { } code ? $" (exit {code})" : "")}");
        return task.Status == TaskState.Succeeded ? 0 : 1;
    }

    /// <summary>Shows the output the server kept; returns the execution it belongs to.</summary>
    private static Guid? ShowKept(TaskRecord task, OutputCursor stdout, OutputCursor stderr)
    {
        Write(Console.Out, task.Stdout);
        Write(Console.Error, task.Stderr);
        stdout.Reset(task.StdoutBytes ?? 0);
        stderr.Reset(task.StderrBytes ?? 0);
        return task.ExecutionId;
    }

    private static void Write(TextWriter writer, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        writer.Write(text);
        writer.Flush();
    }
}
