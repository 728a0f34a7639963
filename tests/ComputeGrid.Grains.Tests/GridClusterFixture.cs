using System.Collections.Concurrent;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Execution;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Storage;
using Orleans.TestingHost;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// One 2-silo in-process cluster (silo 0 east, silo 1 west) shared by the grain tests: memory storage, memory streams,
/// the national topology, and a fake federation clock the tests advance.
/// </summary>
public sealed class GridClusterFixture : IAsyncLifetime
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);
    private const string InnerStorage = "grid-memory";
    private InProcessTestCluster? _cluster;

    /// <summary>The federation's clock; advancing it finishes simulated jobs.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Jobs whose id starts with "hold-" stay Scheduled until released here.</summary>
    public ExecutorGate Gate { get; } = new();

    /// <summary>Counts the grid storage's writes by grain and fails the writes a test asks it to.</summary>
    public StorageFaults Faults { get; } = new();

    /// <summary>The default topology file.</summary>
    public NationalTopology Topology { get; } = TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("Cluster not deployed.");

    public IComputeGridClient Grid { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        var index = 0;
        builder.ConfigureSilo((options, silo) =>
        {
            var zone = Interlocked.Increment(ref index) == 1 ? "east" : "west";
            silo.UseSiloMetadata(new Dictionary<string, string> { ["zone"] = zone });
            silo.AddMemoryGrainStorage(InnerStorage);
            silo.Services.AddSingleton(Faults);
            silo.Services.AddKeyedSingleton<IGrainStorage>(
                GridStorage.Name,
                (services, _) => new FaultingGrainStorage(services.GetRequiredKeyedService<IGrainStorage>(InnerStorage), services.GetRequiredService<StorageFaults>()));
            silo.AddMemoryGrainStorage(GridStorage.PubSub);
            silo.AddMemoryStreams(GridStreams.Provider);
            silo.Services.AddSingleton(new GridClock(Time));
            silo.Services.AddSingleton(Gate);
            silo.Services.AddSingleton<SimulatedExecutor>();
            silo.Services.AddSingleton<IJobExecutor, HoldingExecutor>();
            silo.UseInMemoryReminderService();
            silo.AddComputeGrid(Topology);

            // Offer windows close as soon as every asked peer answered; the long window only covers cold activations
            // on shared cores. Loans check their deadlines often, so tests that advance the clock see them act quickly.
            // Reconciliation passes every second here, so the tests that break records see them repaired in seconds.
            silo.Services.Configure<ComputeGridOptions>(o =>
            {
                o.ReconcileInterval = TimeSpan.FromSeconds(1);
                o.PreemptionNotice = TimeSpan.FromMilliseconds(300);
            });
            silo.Services.Configure<LoanOptions>(o =>
            {
                o.OfferWindow = TimeSpan.FromSeconds(10);
                o.TickInterval = TimeSpan.FromMilliseconds(50);
            });

            // 1,000 submissions queue behind one region grain on 2 shared cores; the region's hot path is issue #6's
            // work, so calls may wait longer than Orleans' 30 s default here without anything being wrong.
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        });
        builder.ConfigureClient(client =>
        {
            client.AddMemoryStreams(GridStreams.Provider);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
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

    /// <summary>Waits until the job holds capacity (placed at once, or after a loan was negotiated) and returns it.</summary>
    public async Task<Contracts.Jobs.JobSnapshot> PlacedAsync(string jobId)
    {
        await Eventually.TrueAsync(
            async () => (await Grid.GetJobAsync(jobId)).State is Domain.Jobs.JobState.Scheduled or Domain.Jobs.JobState.Running,
            $"job {jobId} is placed",
            describe: async () =>
            {
                var job = await Grid.GetJobAsync(jobId);
                var loans = await Grid.ListLoansAsync(job.Spec.OriginHub, limit: 10);
                return string.Join(" | ", job.History.Select(e => $"{e.State}: {e.Detail}"))
                    + " || loans: " + string.Join(" | ", loans.Loans.Select(l => $"{l.LoanId} {l.State} {l.Amount}"));
            });
        return await Grid.GetJobAsync(jobId);
    }

    /// <summary>Registers a small test data center with its own GPU model, so a test owns all of its capacity.</summary>
    public async Task<DataCenterSpec> RegisterPrivateDataCenterAsync(string id, string hub, string gpuModel, int gpus, long cores = 64)
    {
        var spec = new DataCenterSpec(
            id,
            $"Test {id}",
            hub,
            Topology.Hubs[hub].Location,
            ResourceVector.Of(cores * 1000, cores * 4096, [new(gpuModel, gpus)]),
            new EnergyProfile(1.2, 0.5, 0.8, 0.4));
        await Grid.Admin.RegisterDataCenterAsync(spec);
        return spec;
    }
}

/// <summary>The simulated executor, except that jobs whose id starts with "hold-" stay Scheduled until the test releases them.</summary>
internal sealed class HoldingExecutor : IJobExecutor
{
    public const string HoldPrefix = "hold-";
    private readonly SimulatedExecutor inner;
    private readonly ExecutorGate gate;

    public HoldingExecutor(SimulatedExecutor inner, ExecutorGate gate)
    {
        this.inner = inner;
        this.gate = gate;
        gate.Executors.Add(inner);
    }

    public void Start(string dataCenterId, string jobId, TimeSpan runTime)
    {
        if (jobId.StartsWith(HoldPrefix, StringComparison.Ordinal))
        {
            gate.Held[jobId] = dataCenterId;
            return;
        }

        inner.Start(dataCenterId, jobId, runTime);
    }

    public void Stop(string jobId)
    {
        gate.Held.TryRemove(jobId, out _);
        inner.Stop(jobId);
    }
}

/// <summary>Jobs the holding executor keeps in Scheduled, by id, with their data center.</summary>
public sealed class ExecutorGate
{
    public ConcurrentDictionary<string, string> Held { get; } = new(StringComparer.Ordinal);

    /// <summary>Every silo's simulated executor: a test stops a job in all of them to lose its execution as a crashed silo would.</summary>
    internal ConcurrentBag<SimulatedExecutor> Executors { get; } = [];
}

[CollectionDefinition(Name)]
public sealed class GridCollection : ICollectionFixture<GridClusterFixture>
{
    public const string Name = "grid cluster";
}
