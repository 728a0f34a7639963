using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Orleans.Storage;
using ComputeGrid.Client;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Cluster;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.TestingHost;

namespace ComputeGrid.Benchmarks.Harness;

/// <summary>Where the benchmark silo keeps grain state.</summary>
/// <param name="AzureConnectionString">
/// Null for Orleans memory storage; else Azure Storage at this connection string, as cluster mode uses it (grain state in
/// blobs, pub-sub state in a table).
/// </param>
public sealed record StorageMode(string? AzureConnectionString)
{
    /// <summary>Orleans memory grain storage, as the development silo uses.</summary>
    public static readonly StorageMode Memory = new((string?)null);

    /// <summary>How the mode is named in tables.</summary>
    public override string ToString() => AzureConnectionString is null ? "memory" : "azure-storage";
}

/// <summary>
/// A one-silo in-process cluster with ComputeGrid on it, reached through a real Orleans client over loopback (the path
/// the SDK takes). Jobs run for an hour on the system clock, longer than any run, so a placed job keeps its capacity and
/// a run measures placement alone. (A FakeTimeProvider, as the grain tests use, keeps every timer in one locked list;
/// with tens of thousands of running jobs that list, not ComputeGrid, would dominate the profile.)
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(2);
    private readonly InProcessTestCluster _cluster;

    private const string InnerStorage = "grid-inner";

    private BenchCluster(InProcessTestCluster cluster, WriteCounter writes)
    {
        _cluster = cluster;
        Writes = writes;
        Grid = new ComputeGridClient(cluster.Client);
    }

    /// <summary>The grid storage's writes by grain type since the silo started.</summary>
    public WriteCounter Writes { get; }

    /// <summary>The Orleans client the SDK and the floor both use.</summary>
    public IClusterClient Client => _cluster.Client;

    /// <summary>The SDK over that client.</summary>
    public IComputeGridClient Grid { get; }

    /// <summary>Starts a silo with <paramref name="topology"/>, waits until the pool lists all of its data centers.</summary>
    public static async Task<BenchCluster> StartAsync(NationalTopology topology, StorageMode storage, bool loans = true)
    {
        var writes = new WriteCounter();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            silo.UseSiloMetadata(new Dictionary<string, string> { ["zone"] = "east" });
            if (storage.AzureConnectionString is { } connection)
            {
                silo.AddAzureBlobGrainStorage(InnerStorage, o =>
                {
                    o.ContainerName = ClusterStorageNames.GrainStateContainer;
                    o.BlobServiceClient = new BlobServiceClient(connection);
                });
                silo.AddAzureTableGrainStorage(GridStorage.PubSub, o =>
                {
                    o.TableName = ClusterStorageNames.PubSubTable;
                    o.TableServiceClient = new TableServiceClient(connection);
                });
            }
            else
            {
                silo.AddMemoryGrainStorage(InnerStorage);
                silo.AddMemoryGrainStorage(GridStorage.PubSub);
            }

            silo.Services.AddKeyedSingleton<IGrainStorage>(
                GridStorage.Name,
                (services, _) => new CountingGrainStorage(services.GetRequiredKeyedService<IGrainStorage>(InnerStorage), writes));

            silo.AddMemoryStreams(GridStreams.Provider);
            silo.Services.AddSingleton(new GridClock(TimeProvider.System));
            silo.UseInMemoryReminderService();
            silo.AddComputeGrid(topology);
            silo.Services.Configure<LoanOptions>(o => o.Enabled = loans);
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        });
        builder.ConfigureClient(client =>
        {
            client.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
            client.AddMemoryStreams(GridStreams.Provider);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        var bench = new BenchCluster(cluster, writes);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while ((await bench.Grid.Admin.GetDirectoryAsync()).DataCenters.Count < topology.DataCenters.Count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The pool was not seeded within 5 minutes.");
            }

            await Task.Delay(50);
        }

        return bench;
    }

    /// <summary>Stops the silo and the client.</summary>
    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }
}

/// <summary>The topologies the scenarios run on.</summary>
public static class BenchTopology
{
    /// <summary>The default national topology (8 hubs, 10 data centers), as shipped with the silo.</summary>
    public static NationalTopology National() =>
        TopologyLoader.Load(Path.Combine(AppContext.BaseDirectory, "Topology", "national.json"));

    /// <summary>The national topology with every data center's capacity multiplied by <paramref name="factor"/>, so a run's jobs all fit.</summary>
    public static NationalTopology NationalScaled(int factor)
    {
        var seed = National();
        return new NationalTopology(seed.Hubs.Values, seed.DataCenters.Values.Select(d => d with { Capacity = Scale(d.Capacity, factor) }), seed.Power, seed.Latency, seed.TransferCnyPerGiB, seed.Assumptions);
    }

    /// <summary>
    /// The national hubs with <paramref name="count"/> generated data centers spread round-robin over them, each a copy of its
    /// hub's first national data center (energy profile) a little further from the hub, with capacity × <paramref name="factor"/>.
    /// </summary>
    public static NationalTopology Generated(int count, int factor)
    {
        var seed = National();
        var hubs = seed.Hubs.Keys.Order(StringComparer.Ordinal).ToList();
        var model = hubs.ToDictionary(h => h, h => seed.DataCentersOf(h).OrderBy(d => d.Id, StringComparer.Ordinal).First(), StringComparer.Ordinal);
        var dataCenters = Enumerable.Range(0, count).Select(i =>
        {
            var hub = hubs[i % hubs.Count];
            var template = model[hub];
            var step = i / hubs.Count;
            return template with
            {
                Id = $"{hub}-g{i:D5}",
                Name = $"{template.Name} generated {i}",
                Location = new GeoPoint(template.Location.Lat + (step % 100 * 0.001), template.Location.Lon + (step / 100 * 0.001)),
                Capacity = Scale(template.Capacity, factor),
            };
        });
        return new NationalTopology(seed.Hubs.Values, dataCenters, seed.Power, seed.Latency, seed.TransferCnyPerGiB, seed.Assumptions);
    }

    private static ResourceVector Scale(ResourceVector capacity, int factor) =>
        ResourceVector.Of(capacity.CpuMillicores * factor, capacity.MemoryMiB * factor, capacity.Gpus.Select(g => KeyValuePair.Create(g.Key, g.Value * factor)));
}
