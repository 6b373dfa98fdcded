using Drover.Contracts;
using Drover.Model;

namespace Drover.Storage.Tests;

/// <summary>Named tokens: kept by every backend, <c>--store none</c> included (they are not tasks).</summary>
public abstract partial class TaskStoreConformance
{
    private IAccessStore Access => (IAccessStore)Store;

    private TokenRecord NamedToken(string name, TokenRole role = TokenRole.Submit) => new()
    {
        Name = name, Role = role, Groups = ["alice", "lab-x"], Batches = ["nightly"], Created = Time.GetUtcNow(),
        Expires = Time.GetUtcNow().AddDays(90),
    };

    [Fact]
    public async Task Tokens_are_found_by_the_hash_of_their_secret_and_listed_by_name()
    {
        Assert.True(await Access.CreateTokenAsync(NamedToken("bob", TokenRole.Read), "hash-bob", Token));
        Assert.True(await Access.CreateTokenAsync(NamedToken("alice"), "hash-alice", Token));
        // A name is taken once; the first token is left as it was.
        Assert.False(await Access.CreateTokenAsync(NamedToken("alice", TokenRole.Admin), "hash-other", Token));

        var alice = await Access.FindTokenAsync("hash-alice", Token);
        Assert.NotNull(alice);
        Assert.Equal(Time.GetUtcNow(), alice.Created);
        Assert.Equal(Time.GetUtcNow().AddDays(90), alice.Expires);
        Assert.Null(alice.LastUsed);
        Assert.Equal(["alice", "lab-x"], alice.Groups);
        Assert.Equal(["nightly"], alice.Batches);
        Assert.Equal(TokenRole.Submit, alice.Role);
        Assert.Null(await Access.FindTokenAsync("hash-other", Token));
        Assert.Null(await Access.FindTokenAsync("alice", Token));
        Assert.Equal(["alice", "bob"], (await Access.ListTokensAsync(Token)).Select(t => t.Name));
    }

    [Fact]
    public async Task A_revoked_token_is_gone_and_touching_it_changes_nothing()
    {
        await Access.CreateTokenAsync(NamedToken("alice"), "hash-alice", Token);
        Time.Advance(TimeSpan.FromMinutes(3));
        await Access.TouchTokenAsync("alice", Time.GetUtcNow(), Token);
        Assert.Equal(Time.GetUtcNow(), (await Access.FindTokenAsync("hash-alice", Token))!.LastUsed);

        Assert.True(await Access.RevokeTokenAsync("alice", Token));
        Assert.False(await Access.RevokeTokenAsync("alice", Token));
        await Access.TouchTokenAsync("alice", Time.GetUtcNow(), Token);
        Assert.Null(await Access.FindTokenAsync("hash-alice", Token));
        Assert.Empty(await Access.ListTokensAsync(Token));
        // The name may be given again, to a new secret.
        Assert.True(await Access.CreateTokenAsync(NamedToken("alice"), "hash-alice-2", Token));
    }
}

/// <summary>The audit log: appended, and queried with the task filter language over its own fields.</summary>
public abstract partial class TaskStoreConformance
{
    private AuditRecord Entry(string action, string token = "alice", int status = 200, string? target = null) => new()
    {
        Time = Time.GetUtcNow(), Token = token, Role = "submit", Action = action, Target = target, Detail = "{\"filter\": {}}",
        Address = "127.0.0.1", Status = status,
    };

    private static Query.Filter AuditFilter(string json)
    {
        var errors = new Validation.FieldErrors();
        var filter = Query.FilterParser.Parse(System.Text.Json.JsonDocument.Parse(json).RootElement, errors, Query.AuditFields.Catalogue);
        Assert.True(errors.IsEmpty, errors.ToString());
        return filter!;
    }

    [Fact]
    public async Task The_audit_log_keeps_entries_in_order_and_answers_filters_newest_first()
    {
        var start = Time.GetUtcNow();
        await Access.AppendAuditAsync(Entry("task.cancel", target: "0193"), Token);
        Time.Advance(TimeSpan.FromMinutes(1));
        await Access.AppendAuditAsync(Entry("tasks.purge"), Token);
        Time.Advance(TimeSpan.FromMinutes(1));
        await Access.AppendAuditAsync(Entry("token.revoke", token: "admin", status: 404, target: "bob"), Token);

        var all = await Access.QueryAuditAsync(Query.Filter.All, 100, Token);
        Assert.Equal(["token.revoke", "tasks.purge", "task.cancel"], all.Select(e => e.Action));
        Assert.True(all[0].Seq > all[1].Seq && all[1].Seq > all[2].Seq);
        var first = all[2];
        Assert.Equal(("alice", "submit", "0193", "{\"filter\": {}}", "127.0.0.1", 200, start), (first.Token, first.Role, first.Target, first.Detail, first.Address, first.Status, first.Time));

        Assert.Equal(["tasks.purge"], (await Access.QueryAuditAsync(AuditFilter("{\"action\": \"tasks.purge\"}"), 100, Token)).Select(e => e.Action));
        Assert.Equal(["token.revoke", "tasks.purge"],
            (await Access.QueryAuditAsync(AuditFilter($"{{\"time\": {{\"$gt\": \"{start:O}\"}}}}"), 100, Token)).Select(e => e.Action));
        Assert.Equal(["token.revoke"], (await Access.QueryAuditAsync(AuditFilter("{\"status\": {\"$gte\": 400}, \"token\": {\"$regex\": \"^adm\"}}"), 100, Token)).Select(e => e.Action));
        Assert.Single(await Access.QueryAuditAsync(Query.Filter.All, 1, Token));
    }
}

/// <summary>Stopped and lost workers do not pile up: purged once last seen long enough ago (<c>--keep-workers</c>).</summary>
public abstract partial class TaskStoreConformance
{
    [Fact]
    public async Task Stopped_and_lost_workers_last_seen_long_ago_are_purged_and_others_kept()
    {
        var stopped = await WorkerAsync();
        await Store.ReportAsync(stopped, new WorkerReport { State = WorkerState.Stopped }, Token);
        // Lost with a lease: the lease expires with it, so it holds nothing once lost.
        var lost = await WorkerAsync();
        await Store.CreateAsync([Task("purge-workers")], Token);
        Assert.Single(await Store.LeaseAsync(lost, 1, Token));
        var running = await WorkerAsync();

        Time.Advance(TimeSpan.FromMinutes(10));
        await Store.ReportAsync(running, new WorkerReport(), Token);
        await Store.ExpireLeasesAsync(Token);
        Assert.Equal(WorkerState.Lost, (await Store.GetWorkerAsync(lost, Token))!.Status);
        Assert.Equal(0, await Store.PurgeWorkersAsync(Time.GetUtcNow() - TimeSpan.FromHours(1), Token));
        Assert.Equal(2, await Store.PurgeWorkersAsync(Time.GetUtcNow() - TimeSpan.FromMinutes(1), Token));
        Assert.Equal([running], (await Store.ListWorkersAsync(Token)).Select(w => w.Id));
        Assert.Null(await Store.GetWorkerAsync(stopped, Token));
        // A purged worker that speaks again is told to register again.
        await Assert.ThrowsAsync<UnknownWorkerException>(() => Store.ReportAsync(lost, new WorkerReport(), Token));
        Assert.Equal(0, await Store.PurgeWorkersAsync(Time.GetUtcNow(), Token));
    }
}
