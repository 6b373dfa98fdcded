using Microsoft.Extensions.Hosting;

namespace Drover.Server.Hosting;

/// <summary>
/// The server's host lifetime: it stops when its caller says (<see cref="DroverServer.StopAsync"/>),
/// never on a signal of its own. The default console lifetime stopped the server on SIGTERM at once,
/// while <c>drover up</c> was still letting its workers hand their running tasks back through it;
/// the CLI turns signals into an orderly stop (workers first, then the server) itself.
/// </summary>
internal sealed class CallerLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
