using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.IntegrationTests.Infrastructure;

/// <summary>
/// A misbehaving server inside the test process: a TCP proxy in front of a real Drover server that
/// passes traffic through, refuses connections, answers every request 503, or stalls (accepts and
/// never answers); changing mode drops the connections open, WebSockets included.
/// </summary>
public sealed class ChaosProxy : IAsyncDisposable
{
    public enum Mode { Pass, Refuse, Unavailable, Stall }

    private readonly int _target;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;
    private Task _accepting = Task.CompletedTask;
    private Mode _mode = Mode.Pass;

    public ChaosProxy(int targetPort)
    {
        _target = targetPort;
        Port = FreePort.Next();
        Listen();
    }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>Applies to new connections; the ones open are dropped.</summary>
    public async Task SetAsync(Mode mode)
    {
        lock (_gate) _mode = mode;
        DropConnections();
        if (mode == Mode.Refuse)
        {
            _listener?.Stop();
            await _accepting;
            _listener = null;
        }
        else if (_listener is null)
        {
            Listen();
        }
    }

    public void DropConnections()
    {
        List<TcpClient> open;
        lock (_gate)
        {
            open = [.. _open];
            _open.Clear();
        }
        foreach (var client in open)
        {
            try
            {
                if (client.Client is { } socket) socket.LingerState = new LingerOption(true, 0); // a reset, as when a server dies
            }
            catch (ObjectDisposedException)
            {
            }
            client.Dispose();
        }
    }

    private void Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _listener = listener;
        _accepting = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return;
            }
            Mode mode;
            lock (_gate)
            {
                mode = _mode;
                _open.Add(client);
            }
            _ = mode switch
            {
                Mode.Pass => PipeAsync(client),
                Mode.Unavailable => AnswerUnavailableAsync(client),
                _ => Task.CompletedTask, // Stall: hold it, say nothing
            };
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _target);
            lock (_gate) _open.Add(server);
            var up = client.GetStream().CopyToAsync(server.GetStream());
            var down = server.GetStream().CopyToAsync(client.GetStream());
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(client);
                _open.Remove(server);
            }
            client.Dispose();
        }
    }

    private static async Task AnswerUnavailableAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var head = new StringBuilder();
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0) return;
                head.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            await stream.WriteAsync("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener?.Stop();
        await _accepting;
        DropConnections();
        _stop.Dispose();
    }
}
