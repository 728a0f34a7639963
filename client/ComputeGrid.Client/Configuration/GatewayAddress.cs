using System.Globalization;
using System.Net;

namespace ComputeGrid.Client.Configuration;

/// <summary>An Orleans gateway as the options spell it: <c>host:port</c>, the host a name or an IP address.</summary>
internal static class GatewayAddress
{
    /// <summary>The development silo's gateway, used when no gateway is configured.</summary>
    public const string Development = "127.0.0.1:30000";

    public static bool TryParse(string? gateway, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = gateway?.LastIndexOf(':') ?? -1;
        if (gateway is null || colon <= 0 || !int.TryParse(gateway.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }

        host = gateway[..colon].Trim('[', ']');
        return host.Length > 0;
    }

    /// <summary>The endpoint of a gateway <see cref="TryParse"/> accepted; a host name is resolved now (its first address).</summary>
    public static IPEndPoint Resolve(string gateway)
    {
        if (!TryParse(gateway, out var host, out var port))
        {
            throw new FormatException($"'{gateway}' is not host:port");
        }

        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
        return new IPEndPoint(address, port);
    }

    /// <summary>The gateways a client of <paramref name="options"/> tries, as configured (the development silo's when none is).</summary>
    public static IReadOnlyList<string> Of(ComputeGridClientOptions options) =>
        options.Gateways.Count > 0 ? [.. options.Gateways] : [Development];
}
