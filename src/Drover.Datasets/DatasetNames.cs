using System.Text.RegularExpressions;

namespace Drover.Datasets;

/// <summary>
/// Dataset and shard names become directory and file names on workers: letters, digits, <c>._-</c>,
/// not starting with a dot, at most 128 characters. Nothing else can reach a path.
/// </summary>
public static partial class DatasetNames
{
    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex Valid();

    public static bool IsValid(string? name) => name is not null && Valid().IsMatch(name);

    public const string Rule = "must be 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'";
}

/// <summary>Shard queries are tasks for a handler that only the worker holding the shard offers.</summary>
public static class ShardHandlers
{
    public const string Prefix = "drover.shard:";

    /// <summary>Distribution steps (<see cref="Contracts.StageOrder"/>) go to the same worker under this prefix.</summary>
    public const string StagePrefix = "drover.stage:";

    /// <summary>The stage handler of the worker whose shard handler this is.</summary>
    public static string StageHandlerOf(string shardHandler) => StagePrefix + shardHandler[Prefix.Length..];

    public static bool IsShardHandler(string? handler) => handler is not null && handler.StartsWith(Prefix, StringComparison.Ordinal);
}
