using System.Net;
using System.Net.Sockets;

namespace Drover.IntegrationTests.Infrastructure;

public static class FreePort
{
    /// <summary>A port free on 127.0.0.1 now, for a server that must come back on the same port after a restart.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
