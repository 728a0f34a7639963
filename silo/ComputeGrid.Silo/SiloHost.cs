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
        builder.UseOrleans(silo =>
        {
            silo.UseGridCluster(host);
            silo.UseSiloMetadata(new Dictionary<string, string> { [ZoneRules.MetadataKey] = host.Zone });
            silo.AddDashboard();
            silo.AddComputeGrid(topology);
        });
        builder.Services.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = host.ClusterId;
            o.ServiceId = host.ServiceId;
        });
        // The gateway checks each API key's permission to submit commands, so its client may pass them on.
        builder.Services.AddComputeGridClientOverCluster(allowCommands: true);
        builder.Services.AddComputeGridGateway();
        builder.Services.AddSingleton(topology);
        builder.Services.AddHealthChecks().AddCheck<PoolHealthCheck>("pool");
        // service.name (and namespace) identify the silo in every backend; Prometheus shows them on target_info.
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName: ServiceName, serviceNamespace: "computegrid", serviceVersion: typeof(SiloHost).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m => m.AddMeter(GridMetrics.MeterName).AddPrometheusExporter());
    }

    /// <summary>Maps the endpoints: <c>/health</c>, Prometheus metrics at <c>/metrics</c>, the Orleans dashboard at <c>/dashboard</c>, and the REST gateway (<c>/v1</c>, <c>/openapi/v1.json</c>, <c>/docs</c>).</summary>
    public static void Map(WebApplication app)
    {
        app.UseComputeGridGateway();
        app.MapComputeGridGateway();
        app.MapHealthChecks("/health");
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapGet("/", () => Results.Redirect("/dashboard/"));
    }
}
