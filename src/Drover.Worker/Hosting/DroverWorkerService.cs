using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Worker;

/// <summary>A Drover worker inside any .NET host: it registers, leases and runs until the host stops (then hands back what it runs).</summary>
internal sealed class DroverWorkerService(WorkerOptions options, ILoggerFactory logging) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new WorkerAgent(options, logging.CreateLogger("Drover.Worker")).RunAsync(stoppingToken);
}
