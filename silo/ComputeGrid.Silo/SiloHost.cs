using ComputeGrid.Client;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Hosting;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Placement;
using ComputeGrid.Silo.Cluster;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ComputeGrid.Silo;

/// <summary>Builds the ComputeGrid silo web host: Orleans silo, dashboard, health endpoint, the co-hosted SDK and the REST gateway.</summary>
public static class SiloHost
{
    /// <summary>The OpenTelemetry <c>service.name</c> of the silo host.</summary>
    public const string ServiceName = "computegrid-silo";

    /// <summary>Loads and validates the topology named by configuration; throws <see cref="TopologyException"/> naming the problem.</summary>
    public static NationalTopology LoadTopology(IConfiguration configuration)
    {
        var path = configuration.GetSection(ComputeGridOptions.Section)[nameof(ComputeGridOptions.TopologyPath)] ?? new ComputeGridOptions().TopologyPath;
        return TopologyLoader.Load(Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path));
    }

    /// <summary>Configures the host's services and the silo.</summary>
    public static void Configure(WebApplicationBuilder builder, NationalTopology topology)
    {
        builder.Services.AddOptions<SiloHostOptions>().BindConfiguration(SiloHostOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SiloHostOptions>, SiloHostOptionsValidator>();
        var host = builder.Configuration.GetSection(SiloHostOptions.Section).Get<SiloHostOptions>() ?? new SiloHostOptions();

        // The management listener joins the public URLs (ASPNETCORE_URLS, --urls or the default); Map keeps each
        // endpoint to its own listener.
        var urls = builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey)?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        builder.WebHost.UseUrls([.. urls, host.ManagementUrl]);
        builder.UseOrleans(silo =>
        {
            silo.UseGridCluster(host);
            silo.UseSiloMetadata(new Dictionary<string, string> { [ZoneRules.MetadataKey] = host.Zone });
            silo.AddDashboard();
            // W3C trace context rides on every grain call (and stream message); spans are recorded only with Tracing:OtlpEndpoint.
            silo.AddActivityPropagation();
            silo.AddComputeGrid(topology);
        });
        // SIGTERM drains: the host waits this long for Orleans to finish in-flight calls and hand its grains over.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = host.DrainTimeout);
        builder.Services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = host.ClusterId;
            o.ServiceId = host.ServiceId;
        });
        // The gateway checks each API key's permission to submit commands, so its client may pass them on.
        // A call the silo breaks because its target silo died is tried again at once (the grain is activated elsewhere),
        // so a REST caller does not see the fault; a call that times out is tried once more after a short pause.
        builder.Services.AddComputeGridClientOverCluster(allowCommands: true, new ComputeGridRetryOptions
        {
            MaxAttempts = 3,
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(1),
            AttemptTimeout = host.ResponseTimeout + TimeSpan.FromSeconds(1),
            Deadline = (host.ResponseTimeout * 2) + TimeSpan.FromSeconds(5),
        });
        builder.Services.AddComputeGridGateway();
        builder.Services.AddSingleton(topology);
        builder.Services.AddHealthChecks().AddCheck<PoolHealthCheck>("pool");
        // service.name (and namespace) identify the silo in every backend; Prometheus shows them on target_info.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName: ServiceName, serviceNamespace: "computegrid", serviceVersion: typeof(SiloHost).Assembly.GetName().Version?.ToString()))
            // Besides ComputeGrid's own: the .NET runtime (CPU, GC, memory, thread pool), Orleans (activations, messaging) and
            // ASP.NET Core's requests by status code, for the Grafana dashboard and alert rules in deploy/.
            .WithMetrics(m => m.AddMeter(GridMetrics.MeterName, "System.Runtime", "Microsoft.Orleans", "Microsoft.AspNetCore.Hosting").AddPrometheusExporter());
        builder.Services.AddComputeGridTracing(builder.Configuration, ServiceName);
    }

    /// <summary>
    /// Maps the endpoints. On the public URLs: the REST gateway (<c>/v1</c>, <c>/openapi/v1.json</c>, <c>/docs</c>,
    /// <c>/ops</c>), <c>/health</c>, and <c>/</c> redirecting to <c>/docs</c>. On the management listener only
    /// (<see cref="SiloHostOptions.ManagementUrl"/>): Prometheus metrics at <c>/metrics</c>, the Orleans dashboard at
    /// <c>/dashboard/</c> (<c>/</c> redirects there) and <c>/health</c>. Anything else answers 404 on the other listener.
    /// </summary>
    public static void Map(WebApplication app)
    {
        var managementPort = app.Services.GetRequiredService<IOptions<SiloHostOptions>>().Value.ManagementPort;
        app.UseComputeGridGateway();
        app.Use((context, next) => ServedOn.Allows(context, managementPort) ? next(context) : NotHereAsync(context));
        app.MapComputeGridGateway();
        app.MapHealthChecks("/health").WithMetadata(ServedOn.Both);
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(ServedOn.ManagementOnly);
        app.MapOrleansDashboard(routePrefix: "/dashboard").WithMetadata(ServedOn.ManagementOnly);
        app.MapGet("/", (HttpContext context) => Results.Redirect(context.Connection.LocalPort == managementPort ? "/dashboard/" : "/docs"))
            .WithMetadata(ServedOn.Both)
            .ExcludeFromDescription();
    }

    private static Task NotHereAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}

/// <summary>Which of the silo's listeners an endpoint answers on; endpoints without it are public only.</summary>
/// <param name="Public">On the public URLs.</param>
/// <param name="Management">On the management listener.</param>
internal sealed record ServedOn(bool Public, bool Management)
{
    /// <summary>The management listener only: metrics and the dashboard.</summary>
    public static ServedOn ManagementOnly { get; } = new(false, true);

    /// <summary>Both: health and the root redirect.</summary>
    public static ServedOn Both { get; } = new(true, true);

    /// <summary>
    /// True when the request's endpoint answers on the listener the request came in on. The listener is told by the
    /// local port of the connection, never by the Host header, which the client chooses.
    /// </summary>
    public static bool Allows(HttpContext context, int managementPort)
    {
        var served = context.GetEndpoint()?.Metadata.GetMetadata<ServedOn>() ?? new ServedOn(true, false);
        return context.Connection.LocalPort == managementPort ? served.Management : served.Public;
    }
}
