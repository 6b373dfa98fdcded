using System.Globalization;
using Drover.Client;
using Drover.Model;
using Spectre.Console;
using Spectre.Console.Rendering;
using Plain = Spectre.Console.Text;

namespace Drover.Cli.Watch;

/// <summary>
/// How <c>drover watch</c> shows a board: on a terminal, a live display redrawn in place (a progress
/// bar per batch, the running tasks below); when the output is a file or pipe, one line per batch
/// each time its counts change.
/// </summary>
internal static class BoardView
{
    private const int RunningRows = 15;
    private const int BarWidth = 20;

    /// <summary>Runs <paramref name="loop"/>, which calls the action it is given to show the board.</summary>
    public static Task<T> RunAsync<T>(Func<Action<TaskBoard>, Task<T>> loop)
    {
        if (!Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
            return AnsiConsole.Live(new Plain("")).AutoClear(false).StartAsync(context => loop(board =>
            {
                context.UpdateTarget(Render(board));
                context.Refresh();
            }));
        var shown = new Dictionary<string, string>();
        return loop(board =>
        {
            foreach (var batch in board.Batches)
            {
                var line = Line(batch);
                if (shown.GetValueOrDefault(batch.Batch) == line) continue;
                shown[batch.Batch] = line;
                Console.WriteLine(line);
            }
        });
    }

    public static void Summarise(TaskBoard board)
    {
        var batches = board.Batches;
        Console.WriteLine($"all {batches.Sum(b => b.Total)} tasks ended: {batches.Sum(b => b.Succeeded)} succeeded, {batches.Sum(b => b.Failed)} failed or canceled");
    }

    internal static string Line(BatchProgress b) =>
        $"{b.Batch}: {b.Succeeded + b.Failed}/{b.Total} ended ({b.Succeeded} succeeded, {b.Failed} failed), {b.Running} running, {b.Queued} queued";

    private static IRenderable Render(TaskBoard board)
    {
        var batches = new Table().Border(TableBorder.Simple).Title("[bold]Batches[/]")
            .AddColumns("Batch", "Progress", "", "Done", "Running", "Failed", "Queued", "Total");
        foreach (var b in board.Batches)
        {
            batches.AddRow(
                new Plain(b.Batch), new Markup(Bar(b)), new Plain($"{b.Fraction * 100:0}%"),
                new Plain(b.Succeeded.ToString(CultureInfo.InvariantCulture)), new Plain(b.Running.ToString(CultureInfo.InvariantCulture)),
                new Markup(b.Failed > 0 ? $"[red]{b.Failed}[/]" : "0"), new Plain(b.Queued.ToString(CultureInfo.InvariantCulture)),
                new Plain(b.Total.ToString(CultureInfo.InvariantCulture)));
        }
        var running = board.Running;
        var tasks = new Table().Border(TableBorder.Simple).Title($"[bold]Running[/] ({running.Count})")
            .AddColumns("Task", "Batch", "Progress", "Status");
        foreach (var task in running.Take(RunningRows))
        {
            tasks.AddRow(
                // Ids are time-ordered (UUIDv7): their last characters are the ones that differ.
                new Plain(task.Name ?? task.Id.ToString()[^12..]), new Plain(task.Batch),
                new Plain(task.Progress is { } p ? $"{p * 100:0}%" : task.Status == TaskState.Paused ? "paused" : ""),
                new Plain(task.StatusMessage ?? ""));
        }
        if (running.Count > RunningRows) tasks.AddRow($"… and {running.Count - RunningRows} more", "", "", "");
        return new Rows(batches, tasks);
    }

    /// <summary>A bar: succeeded green, failed red, running yellow, waiting grey.</summary>
    private static string Bar(BatchProgress b)
    {
        if (b.Total == 0) return new string(' ', BarWidth);
        int Width(int count) => (int)Math.Round((double)count * BarWidth / b.Total);
        var succeeded = Width(b.Succeeded);
        var failed = Math.Min(BarWidth - succeeded, Width(b.Failed));
        var running = Math.Min(BarWidth - succeeded - failed, Width(b.Running));
        var queued = BarWidth - succeeded - failed - running;
        return $"[green]{new string('█', succeeded)}[/][red]{new string('█', failed)}[/][yellow]{new string('▒', running)}[/][grey]{new string('░', queued)}[/]";
    }
}
