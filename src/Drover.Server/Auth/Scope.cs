using System.Security.Claims;
using Drover.Model;
using Drover.Query;

namespace Drover.Server.Auth;

/// <summary>
/// The tasks a caller may see and act on: those whose group is one of <see cref="Groups"/> (when
/// given) and whose batch is one of <see cref="Batches"/> (when given). The admin token, the worker
/// token and unscoped named tokens see everything.
/// </summary>
public sealed record Scope(IReadOnlyList<string>? Groups, IReadOnlyList<string>? Batches)
{
    public static Scope Everything { get; } = new(null, null);

    public bool IsEverything => Groups is null && Batches is null;

    public bool Contains(string? group, string batch) =>
        (Groups is null || (group is not null && Groups.Contains(group, StringComparer.Ordinal)))
        && (Batches is null || Batches.Contains(batch, StringComparer.Ordinal));

    public bool Contains(TaskRecord task) => Contains(task.Group, task.Batch);

    /// <summary>The caller's filter and its scope together: what it asks, never more than it may see.</summary>
    public Filter Restrict(Filter filter)
    {
        if (IsEverything) return filter;
        var parts = new List<Filter> { filter };
        if (Groups is not null) parts.Add(new InFilter(TaskFields.Get("group"), [.. Groups], Negated: false));
        if (Batches is not null) parts.Add(new InFilter(TaskFields.Get("batch"), [.. Batches], Negated: false));
        return new AndFilter(parts);
    }

    public static Scope Of(ClaimsPrincipal user)
    {
        if (user.IsInRole(Roles.Admin)) return Everything;
        var groups = user.FindAll(Roles.GroupClaim).Select(c => c.Value).ToList();
        var batches = user.FindAll(Roles.BatchClaim).Select(c => c.Value).ToList();
        return groups.Count == 0 && batches.Count == 0 ? Everything : new Scope(groups.Count == 0 ? null : groups, batches.Count == 0 ? null : batches);
    }
}
