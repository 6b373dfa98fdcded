using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Drover.Tracker;

namespace Drover.Cli.Commands;

/// <summary><c>drover tracker show PATH</c> and <c>drover tracker export PATH --json</c>: a tracker file (Drover.Tracker) from outside the program that writes it.</summary>
internal static class TrackerCommands
{
    private static readonly Argument<string> PathArgument = new("path") { Description = "The tracker file" };
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var show = new Command("show", "Counts and a sample of a tracker file's entries") { PathArgument };
        var sample = new Option<int>("--sample", "-n") { Description = "How many entries to show", DefaultValueFactory = _ => 10 };
        show.Options.Add(sample);
        show.SetAction(parse =>
        {
            var path = Existing(parse.GetValue(PathArgument)!);
            using var pod = PersistentDictionary.Open<JsonElement>(path);
            using var tracker = ProgressTracker.Open(path);
            var counts = tracker.Counts();
            Console.WriteLine(path);
            Console.WriteLine($"dictionary: {pod.Count.ToString(CultureInfo.InvariantCulture)} entries");
            foreach (var (key, value) in pod.Take(parse.GetValue(sample)))
                Console.WriteLine($"  {key} = {Display.Truncate(value.GetRawText(), 100)}");
            Console.WriteLine($"progress: {counts.Total} keys, {counts.Done} done ({(counts.FractionDone * 100).ToString("0.0", CultureInfo.InvariantCulture)}%), " +
                $"{counts.Remaining} remaining, {counts.Tried} tried, {counts.Aborted} aborted");
            foreach (var entry in tracker.Entries(parse.GetValue(sample)))
                Console.WriteLine($"  {entry.Key}  {(entry.Done ? "done" : entry.Aborted ? "aborted" : "to do")}, {entry.Tries} tries{(entry.Data is { } data ? "  " + Display.Truncate(data.GetRawText(), 80) : "")}");
            return 0;
        });

        var export = new Command("export", "Every entry of a tracker file as JSON (stdout)") { PathArgument };
        var json = new Option<bool>("--json") { Description = "As one JSON document (the format)" };
        export.Options.Add(json);
        export.SetAction(parse =>
        {
            var path = Existing(parse.GetValue(PathArgument)!);
            using var pod = PersistentDictionary.Open<JsonElement>(path);
            using var tracker = ProgressTracker.Open(path);
            var document = new
            {
                entries = pod.ToDictionary(e => e.Key, e => e.Value),
                progress = tracker.Entries().Select(e => new { key = e.Key, done = e.Done, tries = e.Tries, aborted = e.Aborted, data = e.Data }),
            };
            Console.WriteLine(JsonSerializer.Serialize(document, Indented));
            return 0;
        });

        return new Command("tracker", "Look into a Drover.Tracker file (a persistent dictionary and progress tracker)") { show, export };
    }

    private static string Existing(string path) =>
        File.Exists(path) ? path : throw new CliException($"{path}: no such file (a tracker file is made by the program that opens it)");
}
