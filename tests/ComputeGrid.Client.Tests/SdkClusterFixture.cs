using ComputeGrid.Contracts;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace ComputeGrid.Client.Tests;

/// <summary>
/// One in-process silo (memory storage and streams, the national topology, a fake federation clock, activity propagation)
/// whose own cluster client passes every grain call through <see cref="Faults"/>, so tests can break calls on purpose.
/// </summary>
public sealed class SdkClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    /// <summary>The federation's clock.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Faults the cluster client injects into the calls a test names.</summary>
    public FaultInjector Faults { get; } = new();

    /// <summary>The default topology file.</summary>
    public NationalTopology Topology { get; } = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster not deployed.");

    /// <summary>The SDK over the cluster client, without retries: to look behind the client under test.</summary>
    public IComputeGridClient Grid { get; private set; } = null!;

    /// <summary>The silo's Orleans gateway, as <c>host:port</c>.</summary>
    public string OrleansGateway => $"{Cluster.Silos[0].GatewayAddress!.Endpoint.Address}:{Cluster.Silos[0].GatewayAddress!.Endpoint.Port}";

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
            silo.AddActivityPropagation();
            silo.AddComputeGrid(Topology);
            // The offer window closes as soon as every asked peer answered; the long window only covers cold activations
            // on shared cores (the packaging and connection tests build and start hosts meanwhile).
            silo.Services.Configure<LoanOptions>(o =>
            {
                o.OfferWindow = TimeSpan.FromSeconds(10);
                o.TickInterval = TimeSpan.FromMilliseconds(50);
            });
        });
        builder.ConfigureClient(client =>
        {
            client.AddMemoryStreams(GridStreams.Provider);
            client.AddActivityPropagation();
            client.AddOutgoingGrainCallFilter(Faults);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        Grid = new ComputeGridClient(_cluster.Client);
        await Eventually.TrueAsync(async () => (await Grid.Admin.GetDirectoryAsync()).DataCenters.Count >= Topology.DataCenters.Count, "the pool is seeded");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Registers a small data center with its own GPU model, so a test owns all of its capacity.</summary>
    public async Task<DataCenterSpec> RegisterPrivateDataCenterAsync(string id, string hub, string gpuModel, int gpus)
    {
        var spec = new DataCenterSpec(id, $"Test {id}", hub, Topology.Hubs[hub].Location, ResourceVector.Of(64_000, 262_144, [new(gpuModel, gpus)]), new EnergyProfile(1.2, 0.5, 0.8, 0.4));
        await Grid.Admin.RegisterDataCenterAsync(spec);
        return spec;
    }
}

[CollectionDefinition(Name)]
public sealed class SdkCollection : ICollectionFixture<SdkClusterFixture>
{
    public const string Name = "sdk cluster";
}
