using System.Net.Http.Json;
using System.Text.Json;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Hosting;
using ComputeGrid.Gateway.Security;
using ComputeGrid.Grains.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace ComputeGrid.Gateway.Tests;

/// <summary>
/// A real in-process Orleans cluster (one silo, memory storage and streams, the national topology, a fake federation
/// clock) and the gateway on Kestrel on a free loopback port, as an app of the cluster's client. Keys are the tests' own.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    /// <summary>The test keys, by name: partners of tenants acme, globex, pager, bad-input, node and limited (3 requests an hour), and an operator.</summary>
    public static readonly IReadOnlyDictionary<string, (string Key, string Tenant, GatewayRole Role)> Keys = new Dictionary<string, (string, string, GatewayRole)>
    {
        ["acme"] = ("test-key-acme", "acme", GatewayRole.Partner),
        ["globex"] = ("test-key-globex", "globex", GatewayRole.Partner),
        ["pager"] = ("test-key-pager", "pager", GatewayRole.Partner),
        ["bad-input"] = ("test-key-bad-input", "bad-input", GatewayRole.Partner),
        ["node"] = ("test-key-node", "node", GatewayRole.Partner),
        ["loans"] = ("test-key-loans", "loans", GatewayRole.Partner),
        ["limited"] = ("test-key-limited", "limited", GatewayRole.Partner),
        ["market"] = ("test-key-market", "market", GatewayRole.Partner),
        ["operator"] = ("test-key-operator", "operators", GatewayRole.Operator),
    };

    /// <summary>How long the gateway trusts an issued key it looked up (Gateway:ApiKeyCacheDuration), shorter than the default to keep the tests quick.</summary>
    public static readonly TimeSpan IssuedKeyCacheDuration = TimeSpan.FromSeconds(2);

    /// <summary>The limited tenant's requests per (one-hour) window.</summary>
    public const int LimitedPermits = 3;

    private InProcessTestCluster? _cluster;
    private WebApplication? _app;

    /// <summary>The federation's clock; advancing it finishes simulated jobs.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));

    /// <summary>The default topology file.</summary>
    public NationalTopology Topology { get; } = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    /// <summary>The SDK over the cluster, to look behind the gateway.</summary>
    public IComputeGridClient Grid { get; private set; } = null!;

    /// <summary>The gateway's address, for example <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(GridStorage.Name);
            silo.AddMemoryGrainStorage(GridStorage.PubSub);
            silo.AddMemoryStreams(GridStreams.Provider);
            silo.Services.AddSingleton(new GridClock(Time));
            silo.UseInMemoryReminderService();
            silo.AddComputeGrid(Topology);
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(GridStreams.Provider));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        Grid = new ComputeGridClient(_cluster.Client);
        await Eventually.TrueAsync(async () => (await Grid.Admin.GetDirectoryAsync()).DataCenters.Count >= Topology.DataCenters.Count, "the pool is seeded");

        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.Sources.Clear();
        web.Configuration.AddInMemoryCollection(Settings());
        web.WebHost.UseUrls("http://127.0.0.1:0");
        web.Logging.ClearProviders();
        web.Services.AddSingleton(_cluster.Client);
        web.Services.AddComputeGridClientOverCluster(allowCommands: true);
        web.Services.AddComputeGridGateway();
        _app = web.Build();
        _app.UseComputeGridGateway();
        _app.MapComputeGridGateway();
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// Another gateway over the same cluster, on its own free port, with the tests' keys and <paramref name="overrides"/>
    /// (a setting that would disturb the shared gateway's other tests, a low anonymous limit for one). Dispose it.
    /// </summary>
    public async Task<WebApplication> StartGatewayAsync(IReadOnlyDictionary<string, string?> overrides)
    {
        var web = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        web.Configuration.Sources.Clear();
        web.Configuration.AddInMemoryCollection(Settings());
        web.Configuration.AddInMemoryCollection(overrides);
        web.WebHost.UseUrls("http://127.0.0.1:0");
        web.Logging.ClearProviders();
        web.Services.AddSingleton(_cluster!.Client);
        web.Services.AddComputeGridClientOverCluster(allowCommands: true);
        web.Services.AddComputeGridGateway();
        var app = web.Build();
        app.UseComputeGridGateway();
        app.MapComputeGridGateway();
        await app.StartAsync();
        return app;
    }

    /// <summary>A client sending the named test key (or none for null).</summary>
    public HttpClient Client(string? keyName)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (keyName is not null)
        {
            http.DefaultRequestHeaders.Add(ApiKeys.Header, Keys[keyName].Key);
        }

        return http;
    }

    private static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:RateLimit:PermitLimit"] = "100000",
            ["Gateway:RateLimit:Window"] = "01:00:00",
            ["Gateway:RateLimit:Tenants:limited"] = LimitedPermits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:ApiKeyCacheDuration"] = IssuedKeyCacheDuration.ToString(),
            ["Gateway:RateLimit:AnonymousPermitLimit"] = "100000",
        };
        foreach (var (name, (key, tenant, role)) in Keys)
        {
            settings[$"Gateway:ApiKeys:{name}:Tenant"] = tenant;
            settings[$"Gateway:ApiKeys:{name}:Role"] = role.ToString();
            settings[$"Gateway:ApiKeys:{name}:Sha256"] = ApiKeyHash.Of(key);
        }

        return settings;
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}

/// <summary>Reads responses the way a partner would.</summary>
public static class Http
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Asserts a problem response: status, content type, field, and a reason containing <paramref name="reasonContains"/>.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, string field, string reasonContains = "")
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.True(field == problem.GetProperty("field").GetString(), $"expected field '{field}': {text}");
        Assert.Contains(reasonContains, problem.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(problem.GetProperty("errors").GetArrayLength() >= 1);
        Assert.DoesNotContain("ComputeGrid.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return problem;
    }
}
