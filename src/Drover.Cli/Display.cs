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

    /// <summary>A duration for people: 0.12 s, 1.2 s, 42 s, 3 m 04 s, 2 h 05 m, 3 d 04 h.</summary>
    public static string Duration(TimeSpan value)
    {
        value = value.Duration();
        var seconds = value.TotalSeconds;
        return seconds switch
        {
            < 1 => $"{seconds.ToString("0.00", CultureInfo.InvariantCulture)} s",
            < 10 => $"{seconds.ToString("0.0", CultureInfo.InvariantCulture)} s",
            < 60 => $"{(int)seconds} s",
            < 3600 => $"{value.Minutes} m {value.Seconds:00} s",
            < 86400 => $"{value.Hours} h {value.Minutes:00} m",
            _ => $"{value.Days} d {value.Hours:00} h",
        };
    }

    public static string Truncate(string text, int length) =>
        text.Length <= length ? text : text[..(length - 1)] + "…";
}
