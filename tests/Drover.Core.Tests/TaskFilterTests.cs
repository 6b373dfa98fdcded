using Drover.Client;
using Drover.Query;

namespace Drover.Core.Tests;

public sealed class TaskFilterTests
{
    [Fact]
    public void Builds_the_json_filter_the_server_parses()
    {
        var since = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);
        var filter = TaskFilter.And(
            TaskFilter.In("status", "failed", "canceled"),
            TaskFilter.Gte("completed", since),
            TaskFilter.Or(TaskFilter.Regex("name", "^align"), TaskFilter.Eq("group", null)));
        Assert.Equal("""{"$and":[{"status":{"$in":["failed","canceled"]}},{"completed":{"$gte":"2026-11-22T00:00:00.0000000Z"}},{"$or":[{"name":{"$regex":"^align"}},{"group":{"$eq":null}}]}]}""",
            filter.ToString());
        var errors = new Validation.FieldErrors();
        Assert.NotNull(FilterParser.Parse(filter.ToJson(), errors, "filter"));
        Assert.True(errors.IsEmpty);
    }
}
