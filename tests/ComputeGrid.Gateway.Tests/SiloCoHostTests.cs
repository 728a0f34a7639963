using System.Net;
using System.Net.Sockets;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Gateway.Tests;

/// <summary>The development default: the silo host of the one run command serves the gateway with the documented keys.</summary>
public sealed class SiloCoHostTests
{
    private const string DevPartnerKey = "cg-dev-partner-acme";
    private const string DevOperatorKey = "cg-dev-operator";

    [Fact]
    public async Task The_silo_host_serves_the_gateway_with_the_documented_development_keys()
    {
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Silo:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = $"cohost-{Guid.NewGuid():n}",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        SiloHost.Configure(web, SiloHost.LoadTopology(web.Configuration));
        await using var app = web.Build();
        SiloHost.Map(app);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var partner = new HttpClient { BaseAddress = new Uri(address) };
            partner.DefaultRequestHeaders.Add("X-API-Key", DevPartnerKey);
            using var operators = new HttpClient { BaseAddress = new Uri(address) };
            operators.DefaultRequestHeaders.Add("X-API-Key", DevOperatorKey);

            await Eventually.TrueAsync(async () => (await partner.GetAsync("/v1/hubs")).StatusCode == HttpStatusCode.OK, "the co-hosted gateway answers");
            using var tenant = await partner.GetAsync("/v1/tenant");
            using var forbidden = await partner.PostAsync("/v1/data-centers/guian/drain", content: null);
            using var unknown = await operators.PostAsync("/v1/data-centers/no-such-dc/drain", content: null);
            using var document = await partner.GetAsync("/openapi/v1.json");
            using var health = await partner.GetAsync("/health");

            Assert.Equal("acme", (await tenant.JsonAsync()).GetProperty("tenant").GetString());
            await forbidden.AssertProblemAsync(403, "X-API-Key");
            await unknown.AssertProblemAsync(404, "dataCenterId");
            Assert.Equal(HttpStatusCode.OK, document.StatusCode);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
