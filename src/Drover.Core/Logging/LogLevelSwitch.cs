using Microsoft.Extensions.Logging;

namespace Drover.Logging;

/// <summary>
/// The log level a process runs at, changed while it runs (<c>drover admin loglevel</c>). Drover's own
/// categories log at the level; the libraries' (ASP.NET Core, HttpClient) at it or at Warning, whichever
/// is higher, as their debug output would drown Drover's.
/// </summary>
public sealed class LogLevelSwitch(LogLevel level)
{
    private volatile int _level = (int)level;

    public LogLevel Level
    {
        get => (LogLevel)_level;
        set => _level = (int)value;
    }

    /// <summary>The filter to add to a logging builder (with its minimum level at Trace, so this decides).</summary>
    public bool Allows(string? category, LogLevel level) =>
        category is not null && category.StartsWith("Drover", StringComparison.Ordinal)
            ? level >= Level
            : level >= (LogLevel)Math.Max(_level, (int)LogLevel.Warning);

    /// <summary>The names a level is given by: trace, debug, information (or info), warning (or warn), error, critical, none.</summary>
    public const string Names = "trace, debug, information, warning, error, critical or none";

    public static bool TryRead(string? text, out LogLevel level)
    {
        level = text?.Trim().ToLowerInvariant() switch
        {
            "info" => LogLevel.Information,
            "warn" => LogLevel.Warning,
            { } name when Enum.TryParse<LogLevel>(name, ignoreCase: true, out var parsed) && !int.TryParse(name, out _) => parsed,
            _ => (LogLevel)(-1),
        };
        return Enum.IsDefined(level);
    }

    public static string Name(LogLevel level) => level.ToString().ToLowerInvariant();
}
