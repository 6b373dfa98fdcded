using System.Text.Json;
using Drover.Query;
using Drover.Validation;

namespace Drover.Core.Tests;

public sealed class QueryRequestTests
{
    private static (QueryRequest? Request, Dictionary<string, string[]> Errors) Parse(string json)
    {
        var errors = new FieldErrors();
        using var document = JsonDocument.Parse(json);
        return (QueryRequest.Parse(document.RootElement, errors), errors.ToDictionary());
    }

    [Theory]
    [InlineData("""{"filter": {"completed": {"$gte": "not a time"}}}""", "filter.completed.$gte")]
    [InlineData("""{"filter": {"nope": 1}}""", "filter.nope")]
    [InlineData("""{"filter": {"status": {"$foo": 1}}}""", "filter.status.$foo")]
    [InlineData("""{"filter": {"status": {"$in": "queued"}}}""", "filter.status.$in")]
    [InlineData("""{"filter": {"status": "sleeping"}}""", "filter.status")]
    [InlineData("""{"filter": {"priority": "high"}}""", "filter.priority")]
    [InlineData("""{"filter": {"priority": 1.5}}""", "filter.priority")]
    [InlineData("""{"filter": {"priority": {"$gt": null}}}""", "filter.priority.$gt")]
    [InlineData("""{"filter": {"priority": {"$regex": "1"}}}""", "filter.priority.$regex")]
    [InlineData("""{"filter": {"name": {"$regex": "("}}}""", "filter.name.$regex")]
    [InlineData("""{"filter": {"name": {"$regex": "a", "$options": "g"}}}""", "filter.name.$options")]
    [InlineData("""{"filter": {"name": {"$exists": 1}}}""", "filter.name.$exists")]
    [InlineData("""{"filter": {"name": {"$eq": "a", "b": 1}}}""", "filter.name.b")]
    [InlineData("""{"filter": {"$or": []}}""", "filter.$or")]
    [InlineData("""{"filter": {"$or": [{"name": "a"}, {"worker_id": "x"}]}}""", "filter.$or[1].worker_id")]
    [InlineData("""{"filter": {"$where": "1 = 1"}}""", "filter.$where")]
    [InlineData("""{"filter": {"status": {"$in": ["queued", 3]}}}""", "filter.status.$in[1]")]
    [InlineData("""{"filter": []}""", "filter")]
    [InlineData("""{"filter": {}, "limit": 0}""", "limit")]
    [InlineData("""{"filter": {}, "limit": 10001}""", "limit")]
    [InlineData("""{"filter": {}, "skip": -1}""", "skip")]
    [InlineData("""{"filter": {}, "keys": ["name", "password"]}""", "keys[1]")]
    [InlineData("""{"filter": {}, "keys": ["seq"]}""", "keys[0]")]
    [InlineData("""{"filter": {}, "keys": ["id", "signals"]}""", "keys[1]")]
    [InlineData("""{"filter": {}, "sort": ["-nope"]}""", "sort[0]")]
    [InlineData("""{"filter": {}, "count": "yes"}""", "count")]
    [InlineData("""{"filter": {}, "select": 1}""", "select")]
    [InlineData("""{"filter": {"name; DROP TABLE tasks": 1}}""", "filter.name; DROP TABLE tasks")]
    public void A_bad_query_is_refused_naming_the_path(string json, string path)
    {
        var (request, errors) = Parse(json);
        Assert.Null(request);
        Assert.Contains(path, errors.Keys);
    }

    [Fact]
    public void A_good_query_is_read_whole()
    {
        var (request, errors) = Parse("""{"filter": {"status": "failed"}, "keys": ["name", "stdout"], "sort": ["-submitted", "name"], "skip": 5, "limit": 20}""");
        Assert.Empty(errors);
        Assert.Equal(20, request!.Query.Limit);
        Assert.Equal(5, request.Query.Skip);
        Assert.True(request.Query.IncludeLargeFields);
        Assert.Equal(["submitted", "name"], request.Query.Sort.Select(s => s.Field.Name));
        Assert.True(request.Query.Sort[0].Descending);
        var compare = Assert.IsType<CompareFilter>(request.Query.Filter);
        Assert.Equal("failed", compare.Value);
    }

    [Fact]
    public void Times_compare_as_times_whatever_their_offset()
    {
        var (request, _) = Parse("""{"filter": {"completed": {"$gte": "2026-11-21T13:00:00+01:00"}}}""");
        var compare = Assert.IsType<CompareFilter>(request!.Query.Filter);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero), compare.Value);
    }
}

public sealed class SqlFilterTests
{
    [Theory]
    [InlineData("^job-42", "job-42")]
    [InlineData("^job-4?", "job-")]
    [InlineData("^job-4*x", "job-")]
    [InlineData("^job-4+x", "job-4")]
    [InlineData("^a\\.b", "a")]
    [InlineData("^[ab]c", "")]
    [InlineData("job", "")]
    [InlineData("^a|^b", "")]
    [InlineData("^", "")]
    public void An_anchored_pattern_yields_the_literal_every_match_starts_with(string pattern, string prefix) =>
        Assert.Equal(prefix, Drover.Query.SqlFilter.LiteralPrefix(pattern));
}
