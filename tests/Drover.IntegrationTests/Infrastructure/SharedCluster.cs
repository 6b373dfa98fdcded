namespace Drover.IntegrationTests.Infrastructure;

/// <summary>One server with two workers, shared by the test classes of the "cluster" collection.</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public DroverCluster Cluster { get; } = new();

    public async ValueTask InitializeAsync()
    {
        await Cluster.StartServerAsync();
        await Task.WhenAll(Cluster.StartWorkerAsync(concurrency: 4), Cluster.StartWorkerAsync(concurrency: 4));
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

[CollectionDefinition("cluster")]
public sealed class ClusterCollection : ICollectionFixture<SharedCluster>;
