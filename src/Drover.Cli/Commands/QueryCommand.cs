using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Json;

namespace Drover.Cli.Commands;

/// <summary><c>drover query FILTER</c>: the task database, with MongoDB-style filters.</summary>
internal static class QueryCommand
{
    private static readonly Argument<string> Filter = new("filter") { Description = "A MongoDB-style filter, e.g. '{\"status\": \"failed\"}'", DefaultValueFactory = _ => "{}" };
    private static readonly Option<string?> Keys = new("--keys") { Description = "Fields to show, comma-separated (the id always comes)" };
    private static readonly Option<string?> Sort = new("--sort") { Description = "Sort keys, comma-separated; -field for descending, e.g. -submitted" };
    private static readonly Option<int> Limit = new("--limit", "-n") { Description = "At most this many", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> Skip = new("--skip") { Description = "Skip this many first" };
    private static readonly Option<bool> Count = new("--count") { Description = "Only count the matching tasks" };
    private static readonly Option<bool> Json = new("--json") { Description = "Print the answer as JSON" };

    private static readonly List<string> DefaultKeys = ["name", "batch", "status", "exit_code", "submitted", "completed"];

    public static Command Create()
    {
        var command = new Command("query", "Query tasks with a MongoDB-style filter") { Filter, Keys, Sort, Limit, Skip, Count, Json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keys = Split(parse.GetValue(Keys));
            var body = new JsonObject { ["filter"] = ParseJson(parse.GetValue(Filter)!, "the filter") };
            if (parse.GetValue(Count)) body["count"] = true;
            else
            {
                body["keys"] = new JsonArray([.. (keys ?? DefaultKeys).Select(k => JsonValue.Create(k))]);
                if (Split(parse.GetValue(Sort)) is { } sort) body["sort"] = new JsonArray([.. sort.Select(k => JsonValue.Create(k))]);
                body["limit"] = parse.GetValue(Limit);
                if (parse.GetValue(Skip) is > 0 and var skip) body["skip"] = skip;
            }
            using var client = CommonOptions.Client(parse);
            var answer = await client.QueryAsync(JsonSerializer.SerializeToElement(body), cancellationToken);
            if (parse.GetValue(Json) || parse.GetValue(Count))
            {
                Console.WriteLine(parse.GetValue(Count) && !parse.GetValue(Json) ? answer.GetProperty("count").ToString() : answer.ToString());
                return 0;
            }
            var columns = new[] { "id" }.Concat((keys ?? DefaultKeys).Where(k => k != "id")).ToList();
            var table = new TextTable([.. columns.Select(c => c.ToUpperInvariant())]);
            foreach (var row in answer.EnumerateArray())
                table.Add([.. columns.Select(c => row.TryGetProperty(c, out var v) ? Cell(c, v) : "")]);
            table.Write(Console.Out);
            return 0;
        });
        return command;
    }

    /// <summary>A JSON argument, or a clear error saying which one is not JSON.</summary>
    public static JsonNode ParseJson(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text) ?? throw new CliException($"{what} must be a JSON object, not null");
        }
        catch (JsonException ex)
        {
            throw new CliException($"{what} is not valid JSON ({ex.Message.Split(" Path:")[0]}): {text}");
        }
    }

    private static List<string>? Split(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string Cell(string key, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when key is "submitted" or "assigned" or "started" or "completed" && value.TryGetDateTimeOffset(out var time) => Display.Time(time),
        JsonValueKind.String => Display.Truncate(value.GetString()!.ReplaceLineEndings(" "), 60),
        _ => Display.Truncate(value.GetRawText(), 60),
    };
}
