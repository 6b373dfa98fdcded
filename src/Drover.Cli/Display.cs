using System.Globalization;
using Drover.Json;
using Drover.Model;
using Drover.Text;

namespace Drover.Cli;

/// <summary>How the CLI shows values in tables and reports.</summary>
internal static class Display
{
    public static string Time(DateTimeOffset? time) =>
        time?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "";

    /// <summary>What the task runs, as a command line a user could paste.</summary>
    public static string What(TaskRecord task) =>
        task.Handler is { } handler ? $"handler {handler}"
        : task.Shell is not null ? task.Command?.FirstOrDefault() ?? ""
        : string.Join(' ', (task.Command ?? []).Select(ShellWords.Quote));

    /// <summary>A byte count for people: 512 B, 3.2 GiB.</summary>
    public static string Bytes(long bytes) => Text.ByteSizes.Format(bytes);

    public static string Truncate(string text, int length) =>
        text.Length <= length ? text : text[..(length - 1)] + "…";
}
