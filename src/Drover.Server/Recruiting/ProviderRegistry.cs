using Drover.Model;
using Drover.Server.Hosting;

namespace Drover.Server.Recruiting;

/// <summary>The providers this server can recruit through: <c>local</c> (when it knows how to start a worker) and those of the providers file.</summary>
public sealed class ProviderRegistry
{
    private readonly Dictionary<string, IWorkerProvider> _providers = new(StringComparer.Ordinal);

    public ProviderRegistry(DroverServerOptions options)
    {
        if (options.WorkerCommand is { Count: > 0 } command)
            Add(new LocalProvider(command, options.MaxLocalWorkers, options.DataDirectory, options.CaFile));
        if (options.ProvidersFile is { } path)
        {
            foreach (var settings in ProvidersFile.Load(path).Providers) Add(new CommandProvider(settings));
        }
    }

    public void Add(IWorkerProvider provider) => _providers[provider.Name] = provider;

    public IWorkerProvider? Find(string name) => _providers.GetValueOrDefault(name);

    public IEnumerable<string> Names => _providers.Keys;

    public IReadOnlyList<Flavor> Flavors => [.. _providers.Values.SelectMany(p => p.Flavors)];
}
