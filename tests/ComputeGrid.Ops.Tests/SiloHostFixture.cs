using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ComputeGrid.Gateway.Security;
using ComputeGrid.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Ops.Tests;

/// <summary>
/// The real silo host (silo, gateway, /metrics) as <see cref="SiloHost"/> builds it, on free loopback ports, with the
/// development operator key, a partner key of tenant <c>ops</c>, the system clock and a fast metrics poll.
/// </summary>
public class SiloHostFixture : IAsyncLifetime
{
    /// <summary>The development operator key (docs/api.md), the CLI's default.</summary>
    public const string OperatorKey = "cg-dev-operator";

    /// <summary>The test partner key; its tenant is <c>ops</c>.</summary>
    public const string PartnerKey = "test-key-ops";

    private readonly int _managementPort = Loopback.FreePort();
    private WebApplication? _app;

    /// <summary>Settings a derived fixture adds to (or overrides in) the host's configuration.</summary>
    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

    /// <summary>The host's services (the SDK, the silo's).</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The host is not started.");

    /// <summary>The host's address, for example <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The management listener (metrics, dashboard), on loopback.</summary>
    public Uri ManagementAddress => new($"http://127.0.0.1:{_managementPort}/");

    public virtual async Task InitializeAsync()
    {
        // Development: the CLI's default key is the development operator key, which no other environment accepts.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Silo:SiloPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = Loopback.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = $"ops-tests-{Guid.NewGuid():n}",
            ["Silo:ServiceId"] = "ops-tests",
            ["Silo:ManagementPort"] = _managementPort.ToString(CultureInfo.InvariantCulture),
            ["Metrics:PollInterval"] = "00:00:00.200",
            ["Trends:SampleInterval"] = "00:00:01",
            ["Gateway:ApiKeys:operator:Tenant"] = "operators",
            ["Gateway:ApiKeys:operator:Role"] = nameof(GatewayRole.Operator),
            ["Gateway:ApiKeys:operator:Sha256"] = ApiKeyHash.Of(OperatorKey),
            ["Gateway:ApiKeys:ops-partner:Tenant"] = "ops",
            ["Gateway:ApiKeys:ops-partner:Role"] = nameof(GatewayRole.Partner),
            ["Gateway:ApiKeys:ops-partner:Sha256"] = ApiKeyHash.Of(PartnerKey),
            ["Gateway:RateLimit:PermitLimit"] = "100000",
        });
        builder.Configuration.AddInMemoryCollection(ExtraSettings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        SiloHost.Configure(builder, SiloHost.LoadTopology(builder.Configuration));
        _app = builder.Build();
        SiloHost.Map(_app);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = Client(OperatorKey);
        await Eventually.TrueAsync(
            async () => (await http.GetAsync(new Uri("v1/pool", UriKind.Relative))).StatusCode == HttpStatusCode.OK
                && (await http.GetFromJsonAsync<JsonElement>(new Uri("v1/pool", UriKind.Relative))).GetProperty("dataCenters").GetInt32() >= 10,
            "the pool is seeded");
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>An HTTP client of the host sending <paramref name="apiKey"/>.</summary>
    public HttpClient Client(string apiKey)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add(ApiKeys.Header, apiKey);
        return http;
    }

    /// <summary>Submits a job as the partner and returns its JSON.</summary>
    public async Task<JsonElement> SubmitAsync(object body)
    {
        using var http = Client(PartnerKey);
        using var response = await http.PostAsJsonAsync(new Uri("v1/jobs", UriKind.Relative), body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json;
    }

    /// <summary>The job's state now.</summary>
    public async Task<string> StateOfAsync(string jobId)
    {
        using var http = Client(PartnerKey);
        return (await http.GetFromJsonAsync<JsonElement>(new Uri($"v1/jobs/{jobId}", UriKind.Relative))).GetProperty("state").GetString()!;
    }
}

[CollectionDefinition(Name)]
public sealed class SiloHostCollection : ICollectionFixture<SiloHostFixture>
{
    public const string Name = "silo-host";
}
