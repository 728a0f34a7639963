using System.Diagnostics;
using System.Globalization;
using System.Net;
using ComputeGrid.Client;
using ComputeGrid.Gateway.Security;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ComputeGrid.Gateway.Tests;

/// <summary>
/// The two ways the gateway is served: co-hosted in the silo of the one run command (with the documented development
/// keys), and standalone (src/ComputeGrid.Gateway.Host, its own process) as an Orleans client of that silo.
/// </summary>
public sealed class HostingTests(DevelopmentSilo silo) : IClassFixture<DevelopmentSilo>
{
    private const string DevPartnerKey = "cg-dev-partner-acme";
    private const string DevOperatorKey = "cg-dev-operator";

    [Fact]
    public async Task The_silo_host_serves_the_gateway_with_the_documented_development_keys()
    {
        using var partner = new HttpClient { BaseAddress = silo.BaseAddress };
        partner.DefaultRequestHeaders.Add(ApiKeys.Header, DevPartnerKey);
        using var operators = new HttpClient { BaseAddress = silo.BaseAddress };
        operators.DefaultRequestHeaders.Add(ApiKeys.Header, DevOperatorKey);

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

    [Fact]
    public async Task The_standalone_host_serves_the_api_and_the_ops_page_as_an_orleans_client_of_the_cluster()
    {
        var port = Loopback.FreePort();
        const string key = "standalone-test-key";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            HostAssembly(),
            "--environment", "Production",
            "--urls", $"http://127.0.0.1:{port}",
            $"--ComputeGridClient:Gateways:0={silo.OrleansGateway}",
            $"--ComputeGridClient:ClusterId={silo.ClusterId}",
            $"--ComputeGridClient:ServiceId={silo.ServiceId}",
            "--Gateway:ApiKeys:0:Name=standalone",
            "--Gateway:ApiKeys:0:Tenant=standalone",
            $"--Gateway:ApiKeys:0:Sha256={ApiKeyHash.Of(key)}",
            "--Logging:LogLevel:Default=Warning",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var host = Process.Start(start)!;
        var output = Task.WhenAll(host.StandardOutput.ReadToEndAsync(), host.StandardError.ReadToEndAsync());
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add(ApiKeys.Header, key);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!await AnswersAsync(http))
            {
                if (host.HasExited || DateTime.UtcNow > deadline)
                {
                    Stop(host);
                    Assert.Fail($"the standalone host did not answer: {string.Concat(await output)}");
                }

                await Task.Delay(100);
            }

            var idempotencyKey = Bodies.NewKey("standalone");

            using var submitted = await http.SubmitAsync(Bodies.Job(), idempotencyKey);
            using var read = await http.GetAsync($"/v1/jobs/standalone.{idempotencyKey}");
            using var opsPage = await http.GetAsync("/ops");
            using var opsScript = await http.GetAsync("/ops/ops.js");

            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
            Assert.Equal("standalone", (await read.JsonAsync()).GetProperty("tenant").GetString());
            Assert.Equal("standalone", (await silo.Grid.GetJobAsync($"standalone.{idempotencyKey}")).Spec.Tenant);
            Assert.Equal(HttpStatusCode.OK, opsPage.StatusCode);
            Assert.Contains("/v1/ops/federation", await opsPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, opsScript.StatusCode);
        }
        finally
        {
            Stop(host);
            await host.WaitForExitAsync();
            await output;
        }
    }

    private static void Stop(Process host)
    {
        if (!host.HasExited)
        {
            host.Kill(entireProcessTree: true);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/v1/pool");
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The host's build output beside this test assembly's: same configuration and target framework.</summary>
    private static string HostAssembly()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (bin.Name, bin.Parent!.Name);
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ComputeGrid.sln")))
        {
            root = root.Parent;
        }

        var path = Path.Combine(root!.FullName, "src", "ComputeGrid.Gateway.Host", "bin", configuration, framework, "ComputeGrid.Gateway.Host.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build src/ComputeGrid.Gateway.Host");
        return path;
    }
}

/// <summary>The silo of the one run command (its appsettings.json, topology and development keys) on free ports.</summary>
public class DevelopmentSilo : IAsyncLifetime
{
    private readonly int _gatewayPort = Loopback.FreePort();
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public string OrleansGateway => $"127.0.0.1:{_gatewayPort}";

    public string ClusterId { get; } = $"hosting-{Guid.NewGuid():n}";

    public string ServiceId => "computegrid";

    public IComputeGridClient Grid => _app!.Services.GetRequiredService<IComputeGridClient>();

    /// <summary>Settings a derived fixture adds to the development configuration (more keys, for example).</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Silo:SiloPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Silo:ManagementPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = ClusterId,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        web.Configuration.AddInMemoryCollection(ExtraSettings);
        SiloHost.Configure(web, SiloHost.LoadTopology(web.Configuration));
        _app = web.Build();
        SiloHost.Map(_app);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await Eventually.TrueAsync(async () => (await Grid.Admin.GetDirectoryAsync()).DataCenters.Count > 0, "the development pool is seeded");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
