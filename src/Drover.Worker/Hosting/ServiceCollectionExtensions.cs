using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Worker;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Runs a Drover worker in this host, with .NET handlers:
    /// <c>services.AddDroverWorker(o => { o.Server = ...; o.Token = ...; o.Handle&lt;ResizeArgs, ResizeResult&gt;("resize", async (args, ctx) => ...); })</c>.
    /// Handlers get the host's services through their context.
    /// </summary>
    public static IServiceCollection AddDroverWorker(this IServiceCollection services, Action<WorkerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton<IHostedService>(provider =>
        {
            var options = new WorkerOptions { Services = provider };
            configure(options);
            options.Validate();
            return new DroverWorkerService(options, provider.GetRequiredService<ILoggerFactory>());
        });
        return services;
    }
}
