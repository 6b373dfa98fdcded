using System.CommandLine;
using Drover.Json;
using Drover.Validation;

namespace Drover.Cli.Commands;

/// <summary><c>drover result ID</c>: how a task ended, and its output; exit 1 when it failed or was canceled.</summary>
internal static class ResultCommand
{
    private static readonly Argument<string> Id = new("id") { Description = "The task's id" };

    public static Command Create()
    {
        var command = new Command("result", "Show a task's status, exit code, worker, times and output") { Id };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = parse.GetValue(Id)!;
            if (!Ids.TryParse(text, out var id)) throw new CliException($"'{text}' is not a task id (a UUID)");
            using var client = CommonOptions.Client(parse);
            var task = await client.GetTaskAsync(id, cancellationToken) ?? throw new CliException($"No task {id}.");
            var worker = task.WorkerId is { } w ? await client.GetWorkerAsync(w, cancellationToken) : null;
            Console.WriteLine($"id:        {task.Id}");
            if (task.Name is not null) Console.WriteLine($"name:      {task.Name}");
            Console.WriteLine($"batch:     {task.Batch}");
            Console.WriteLine($"command:   {Display.What(task)}");
            Console.WriteLine($"status:    {Enums.Name(task.Status)}");
            if (task.StatusMessage is not null || task.Progress is not null)
                Console.WriteLine($"message:   {task.StatusMessage}{(task.Progress is { } p ? $" ({p:P0})" : "")}".TrimEnd());
            if (task.ExitCode is { } exit) Console.WriteLine($"exit code: {exit}");
            if (task.Reason is not null) Console.WriteLine($"reason:    {task.Reason}");
            if (task.Error is not null && task.Error != task.Reason) Console.WriteLine($"error:     {task.Error}");
            Console.WriteLine($"attempts:  {task.Attempts}");
            if (worker is not null || task.WorkerId is not null) Console.WriteLine($"worker:    {worker?.Name ?? ""} ({task.WorkerId})");
            Console.WriteLine($"submitted: {Display.Time(task.Submitted)}");
            if (task.Started is not null) Console.WriteLine($"started:   {Display.Time(task.Started)}");
            if (task.Completed is not null) Console.WriteLine($"completed: {Display.Time(task.Completed)}");
            if (task.Started is { } s && task.Completed is { } c) Console.WriteLine($"duration:  {Display.Duration(c - s)}");
            if (task.Container is not null) Console.WriteLine($"container: {task.Container}");
            if (task.Transfer is { } t)
            {
                Console.WriteLine($"phase:     {Enums.Name(t.Phase)}");
                if (t.BytesIn is { } bytesIn) Console.WriteLine($"staged:    {Display.Bytes(bytesIn)} in {t.StagingSeconds ?? 0:0.###} s");
                if (t.BytesOut is { } bytesOut) Console.WriteLine($"uploaded:  {Display.Bytes(bytesOut)} in {t.UploadSeconds ?? 0:0.###} s");
            }
            if (task.CachedFrom is { } earlier) Console.WriteLine($"cached:    outputs reused from {earlier}, not run");
            if (task.Result is { } result) Console.WriteLine($"result:    {result.GetRawText()}");
            Section("stdout", task.Stdout, task.StdoutBytes);
            Section("stderr", task.Stderr, task.StderrBytes);
            // A task that failed or was canceled is a failure for scripts too.
            return task.Status is Model.TaskState.Failed or Model.TaskState.Canceled ? 1 : 0;
        });
        return command;
    }

    private static void Section(string name, string? text, long? totalBytes)
    {
        if (string.IsNullOrEmpty(text)) return;
        var kept = System.Text.Encoding.UTF8.GetByteCount(text);
        var note = totalBytes is { } total && total > kept ? $" (last {kept} of {total} bytes)" : "";
        Console.WriteLine($"--- {name}{note} ---");
        Console.Write(text);
        if (!text.EndsWith('\n')) Console.WriteLine();
    }
}
