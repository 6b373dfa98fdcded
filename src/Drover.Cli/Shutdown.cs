using System.Runtime.InteropServices;

namespace Drover.Cli;

/// <summary>Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation, so that stopping is clean rather than abrupt.</summary>
internal sealed class Shutdown : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration[] _registrations;

    public Shutdown()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Token => _stopping.Token;

    /// <summary>The signal that asked us to stop, if one did.</summary>
    public PosixSignal? Signal { get; private set; }

    /// <summary>Stops as SIGTERM would (standard input closed under a worker of <c>drover up</c>).</summary>
    public void Request()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        Signal ??= context.Signal;
        _stopping.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _stopping.Dispose();
    }
}
