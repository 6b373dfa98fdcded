using System.Text.Json;
using Drover.Query;
using Drover.Validation;

namespace Drover.Storage.Tests;

/// <summary>Queries: every backend gives the same answer to the same query over the same tasks.</summary>
public abstract partial class TaskDatabaseConformance
{
    /// <summary>
    /// Six tasks, one second apart from 12:00:00: alpha (x, priority 0, succeeded at :10), beta (x, 5,
    /// failed with exit 3 at :20), gamma (y, 2, running), Delta (y, 1, queued), no name (z, 0,
    /// queued), a.b (x, -1, succeeded at :30).
    /// </summary>
    private async Task<Dictionary<Guid, string>> SeedAsync()
    {
        var seeds = new (string? Name, string Batch, int Priority)[]
        {
            ("alpha", "x", 0), ("beta", "x", 5), ("gamma", "y", 2), ("Delta", "y", 1), (null, "z", 0), ("a.b", "x", -1),
        };
        var names = new Dictionary<Guid, string>();
        var start = Time.GetUtcNow();
        foreach (var (name, batch, priority) in seeds)
        {
            var definition = Task(batch, priority) with { Name = name };
            await Store.CreateAsync([definition], Token);
            names[definition.Id] = name ?? "(none)";
            Time.Advance(TimeSpan.FromSeconds(1));
        }
        var x = await WorkerAsync("x");
        var leasedX = (await Store.LeaseAsync(x, 3, Token)).ToDictionary(l => names[l.TaskId]);
        Assert.Equal(["a.b", "alpha", "beta"], leasedX.Keys.Order(StringComparer.Ordinal));
        await AtAsync(start.AddSeconds(10), () => ReportAsync(x, Finished(leasedX["alpha"], 0)));
        await AtAsync(start.AddSeconds(20), () => ReportAsync(x, Finished(leasedX["beta"], 3)));
        await AtAsync(start.AddSeconds(30), () => ReportAsync(x, Finished(leasedX["a.b"], 0)));
        var y = await WorkerAsync("y");
        var gamma = Assert.Single(await Store.LeaseAsync(y, 1, Token));
        await ReportAsync(y, Started(gamma));
        return names;
    }

    private async Task AtAsync(DateTimeOffset when, Func<Task> action)
    {
        Time.Advance(when - Time.GetUtcNow());
        await action();
    }

    private static QueryRequest Parse(string json)
    {
        var errors = new FieldErrors();
        using var document = JsonDocument.Parse(json);
        var parsed = QueryRequest.Parse(document.RootElement, errors);
        Assert.True(errors.IsEmpty, errors.ToString());
        return parsed!;
    }

    public static TheoryData<string, string> Filters => new()
    {
        { "{}", "alpha beta gamma Delta (none) a.b" },
        { """{"status": "succeeded"}""", "alpha a.b" },
        { """{"status": {"$in": ["queued", "running"]}}""", "gamma Delta (none)" },
        { """{"completed": null}""", "gamma Delta (none)" },
        { """{"completed": {"$exists": true}}""", "alpha beta a.b" },
        { """{"exit_code": {"$ne": 0}}""", "beta gamma Delta (none)" },
        { """{"exit_code": {"$gt": 0}}""", "beta" },
        { """{"priority": {"$gte": 1, "$lt": 5}}""", "gamma Delta" },
        { """{"$or": [{"batch": "z"}, {"priority": 5}]}""", "beta (none)" },
        { """{"$and": [{"batch": "x"}, {"status": "succeeded"}]}""", "alpha a.b" },
        { """{"name": {"$regex": "^[a-d]"}}""", "alpha beta a.b" },
        { """{"name": {"$regex": "^d", "$options": "i"}}""", "Delta" },
        { """{"name": {"$regex": "a\\.b"}}""", "a.b" },
        { """{"name": {"$regex": "^al"}}""", "alpha" },
        { """{"name": {"$regex": "^a\\.b$"}}""", "a.b" },
        { """{"name": {"$regex": "^gammas?"}}""", "gamma" },
        { """{"name": {"$regex": "^Del|^bet"}}""", "beta Delta" },
        { """{"name": null}""", "(none)" },
        { """{"name": {"$nin": ["alpha", "beta"]}}""", "gamma Delta (none) a.b" },
        { """{"name": {"$in": ["alpha", null]}}""", "alpha (none)" },
        { """{"name": {"$in": []}}""", "" },
        { """{"priority": {"$not": {"$gt": 0}}}""", "alpha (none) a.b" },
        { """{"$not": {"batch": "x"}}""", "gamma Delta (none)" },
        { """{"$nor": [{"batch": "x"}, {"batch": "y"}]}""", "(none)" },
        { """{"completed": {"$gte": "2026-11-21T12:00:15Z", "$lte": "2026-11-21T12:00:30Z"}}""", "beta a.b" },
        { """{"completed": {"$gt": "2026-11-21T13:00:15+01:00"}}""", "beta a.b" },
        { """{"submitted": {"$lt": "2026-11-21T12:00:02Z"}}""", "alpha beta" },
        { """{"worker_id": {"$exists": true}}""", "alpha beta gamma a.b" },
        { """{"name": {"$gt": "a.b"}}""", "alpha beta gamma" },
        { """{"status": {"$nin": ["queued"]}, "batch": {"$ne": "x"}}""", "gamma" },
        { """{"name": "x'; DROP TABLE tasks; --"}""", "" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task A_filter_selects_the_same_tasks_in_every_backend(string filter, string expected)
    {
        var names = await SeedAsync();
        var query = Parse($$"""{"filter": {{filter}}}""");
        var found = await Store.QueryTasksAsync(query.Query, Token);
        Assert.Equal(expected, string.Join(' ', found.Select(t => names[t.Id])));
        Assert.Equal(found.Count, await Store.CountTasksAsync(query.Query.Filter, Token));
    }

    [Theory]
    [InlineData("""{"sort": ["-priority"]}""", "beta gamma Delta (none) alpha a.b")]
    [InlineData("""{"sort": "name"}""", "(none) Delta a.b alpha beta gamma")]
    [InlineData("""{"sort": ["-completed"]}""", "a.b beta alpha (none) Delta gamma")]
    [InlineData("""{"sort": ["batch", "-priority"], "skip": 1, "limit": 3}""", "alpha a.b gamma")]
    [InlineData("""{"filter": {"batch": "x"}, "sort": ["-submitted"], "limit": 2}""", "a.b beta")]
    public async Task Sort_skip_and_limit_page_the_same_way_in_every_backend(string query, string expected)
    {
        var names = await SeedAsync();
        var found = await Store.QueryTasksAsync(Parse(query).Query, Token);
        Assert.Equal(expected, string.Join(' ', found.Select(t => names[t.Id])));
    }

    [Fact]
    public async Task Queried_records_carry_large_fields_only_when_asked()
    {
        await SeedAsync();
        var filter = """{"filter": {"name": "alpha"}""";
        var plain = Assert.Single(await Store.QueryTasksAsync(Parse(filter + "}").Query, Token));
        Assert.Null(plain.Stdout);
        Assert.Equal(0, plain.ExitCode);
        var full = Assert.Single(await Store.QueryTasksAsync(Parse(filter + """, "keys": ["stdout"]}""").Query, Token));
        Assert.Equal("out", full.Stdout);
    }

    /// <summary>A query of just this filter (built by concatenation: the lists are long).</summary>
    private static TaskQuery Where(string filter) => Parse("{\"filter\": " + filter + "}").Query;

    [Fact]
    public async Task Filters_with_tens_of_thousands_of_values_and_thousands_of_terms_are_answered()
    {
        var names = await SeedAsync();
        var alpha = names.Single(n => n.Value == "alpha").Key;
        var ids = string.Join(", ", Enumerable.Range(0, 40_000).Select(_ => $"\"{Guid.CreateVersion7()}\"").Append($"\"{alpha}\""));
        Assert.Equal(alpha, Assert.Single(await Store.QueryTasksAsync(Where("{\"id\": {\"$in\": [" + ids + "]}}"), Token)).Id);
        Assert.Equal(5, await Store.CountTasksAsync(Where("{\"id\": {\"$nin\": [" + ids + "]}}").Filter, Token));

        var priorities = string.Join(", ", Enumerable.Range(100, 1_000).Append(5));
        Assert.Equal("beta", names[Assert.Single(await Store.QueryTasksAsync(Where("{\"priority\": {\"$in\": [" + priorities + "]}}"), Token)).Id]);
        var times = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"\"2026-11-21T13:{i % 60:00}:00Z\"").Append("\"2026-11-21T12:00:10Z\""));
        Assert.Equal("alpha", names[Assert.Single(await Store.QueryTasksAsync(Where("{\"completed\": {\"$in\": [" + times + "]}}"), Token)).Id]);
        var states = string.Join(", ", Enumerable.Repeat("\"failed\"", 10));
        Assert.Equal("beta", names[Assert.Single(await Store.QueryTasksAsync(Where("{\"status\": {\"$in\": [" + states + "]}}"), Token)).Id]);

        var terms = string.Join(", ", Enumerable.Range(0, 1_500).Select(i => "{\"name\": \"n" + i + "\"}").Append("{\"name\": \"gamma\"}"));
        Assert.Equal("gamma", names[Assert.Single(await Store.QueryTasksAsync(Where("{\"$or\": [" + terms + "]}"), Token)).Id]);
        var all = string.Join(", ", Enumerable.Range(0, 1_500).Select(i => "{\"name\": {\"$ne\": \"n" + i + "\"}}"));
        Assert.Equal(6, await Store.CountTasksAsync(Where("{\"$and\": [" + all + "]}").Filter, Token));
    }

    [Fact]
    public async Task A_catastrophic_regex_is_answered_in_linear_time()
    {
        var definition = Task() with { Name = new string('a', 5_000) + "!" };
        await Store.CreateAsync([definition], Token);
        Assert.Equal(0, await Store.CountTasksAsync(Where("""{"name": {"$regex": "^(a+)+$"}}""").Filter, Token));
        Assert.Equal(1, await Store.CountTasksAsync(Where("""{"name": {"$regex": "^(a+)+!$"}}""").Filter, Token));
    }
}
