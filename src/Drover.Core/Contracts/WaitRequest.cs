using System.Text.Json.Serialization;
using Drover.Json;

namespace Drover.Contracts;

/// <summary><c>POST /api/tasks/wait</c>: block until every task named has ended, or until the timeout.</summary>
public sealed record WaitRequest
{
    public List<string>? Ids { get; init; }
    [JsonConverter(typeof(NullableDurationJsonConverter))]
    public TimeSpan? Timeout { get; init; }
    /// <summary>Resubmit a named task that ends failed up to this many times, and wait for the new attempt.</summary>
    public int? Retry { get; init; }
}
