using System.Net;
using System.Net.Sockets;

namespace ComputeGrid.Tests.Shared;

/// <summary>Loopback ports for the hosts a test starts. Linked into each test project from tests/Shared.</summary>
public static class Loopback
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; nothing holds it after this returns).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
