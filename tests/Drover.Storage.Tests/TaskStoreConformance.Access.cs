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
