using Microsoft.Extensions.DependencyInjection;

namespace Drover.Client;

/// <summary>Where a client connects, for <see cref="ServiceCollectionExtensions.AddDroverClient"/>.</summary>
public sealed class DroverClientSettings
{
    public Uri? Server { get; set; }
    public string? Token { get; set; }
    /// <summary>Resilient by default; <see cref="DroverClientOptions.FailFast"/> for one request per call.</summary>
    public DroverClientOptions Options { get; set; } = new();
}

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="DroverClient"/> for the application (resilient unless told otherwise),
    /// made when first asked for and disposed with the container, which lets its outbox stop cleanly.
    /// </summary>
    public static IServiceCollection AddDroverClient(this IServiceCollection services, Action<DroverClientSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton(_ =>
        {
            var settings = new DroverClientSettings();
            configure(settings);
            if (settings.Server is null) throw new InvalidOperationException("AddDroverClient: set Server (the Drover server's URL)");
            if (string.IsNullOrEmpty(settings.Token)) throw new InvalidOperationException("AddDroverClient: set Token (the admin token)");
            return new DroverClient(settings.Server, settings.Token, settings.Options);
        });
        return services;
    }
}
