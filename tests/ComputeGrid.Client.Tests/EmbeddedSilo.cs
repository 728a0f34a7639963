using System.Globalization;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Client.Tests;

/// <summary>
/// The silo host of the README's run command, started in this process in the Development environment on free loopback
/// ports, so a client outside the process (or an SDK host in it) reaches its Orleans gateway over TCP. Dispose stops it.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private EmbeddedSilo(WebApplication app, int gatewayPort, string clusterId)
    {
        _app = app;
        OrleansGateway = $"127.0.0.1:{gatewayPort}";
        ClusterId = clusterId;
    }

    /// <summary>The Orleans gateway, as <c>host:port</c>.</summary>
    public string OrleansGateway { get; }

    public string ClusterId { get; }

    public string ServiceId => "computegrid";

    /// <summary>The silo's own SDK, to look at what a client did.</summary>
    public IComputeGridClient Grid => _app.Services.GetRequiredService<IComputeGridClient>();

    public static async Task<EmbeddedSilo> StartAsync()
    {
        var gatewayPort = Loopback.FreePort();
        var clusterId = $"sdk-{Guid.NewGuid():n}";
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Silo:SiloPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Silo:ManagementPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = clusterId,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        SiloHost.Configure(web, SiloHost.LoadTopology(web.Configuration));
        var app = web.Build();
        SiloHost.Map(app);
        await app.StartAsync();
        var silo = new EmbeddedSilo(app, gatewayPort, clusterId);
        var grid = app.Services.GetRequiredService<IComputeGridClient>();
        await Eventually.TrueAsync(async () => (await grid.Admin.GetDirectoryAsync()).DataCenters.Count > 0, "the development pool is seeded");
        return silo;
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
