using System.Net;
using System.Net.Sockets;

namespace Drover.Tests.Shared;

/// <summary>
/// Ports for servers the tests start on a port they choose (a server that must come back on the same
/// port after a restart, a PostgreSQL cluster). Taken below Linux's ephemeral range (32768–60999), from
/// which every outgoing connection draws its source port: a port found free there could be some
/// connection's before the server binds it (with four test classes at once, it was). A process-wide
/// cursor from a random start hands each port out once here, and each is checked free when handed out.
/// </summary>
internal static class FreePort
{
    private const int First = 20000;
    private const int Count = 32768 - First;
    private static int _cursor = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _cursor) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: the next one.
            }
        }
        throw new InvalidOperationException($"no free port on 127.0.0.1 between {First} and {First + Count - 1}");
    }
}
