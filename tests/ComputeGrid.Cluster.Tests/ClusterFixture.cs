using ComputeGrid.Client;
using ComputeGrid.Contracts.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Cluster.Tests;

/// <summary>
/// One real cluster shared by the cluster tests: a private Azurite and four silo processes (east-1, east-2, west-1,
/// west-2) in Azure Storage mode, and an SDK client connected through the membership table. Logs go to
/// <c>artifacts/cluster-tests/</c>.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly string[] East = ["east-1", "east-2"];
    public static readonly string[] West = ["west-1", "west-2"];
    public static readonly TimeSpan SiloStartLimit = TimeSpan.FromMinutes(3);
    private IHost? _client;

    public ClusterProcesses Processes { get; } = new(RepositoryRoot, Path.Combine(RepositoryRoot, "artifacts", "cluster-tests", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss")));

    public IComputeGridClient Grid => _client?.Services.GetRequiredService<IComputeGridClient>() ?? throw new InvalidOperationException("Client not started.");

    /// <summary>The repository root (the folder holding ComputeGrid.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "ComputeGrid.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("ComputeGrid.sln not found above the test's directory.");
        }
    }

    public async Task InitializeAsync()
    {
        await Processes.StartAzuriteAsync(CancellationToken.None);
        foreach (var name in East.Concat(West))
        {
            Processes.StartSilo(name, name[..4]);
        }

        await WaitAllHealthyAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddComputeGridClient(o =>
        {
            o.Storage = StorageKind.AzureStorage;
            o.AzureStorageConnectionString = Processes.ConnectionString;
            o.ClusterId = "chaos";
            o.ServiceId = "chaos";
            // A fresh cluster activates and persists everything on first use; on shared cores that can take longer than
            // the silos' own 10 s. Every call the tests make is idempotent, so a long wait is safe.
            o.ResponseTimeout = TimeSpan.FromSeconds(30);
            o.GatewayRefreshInterval = TimeSpan.FromSeconds(2);
        });
        _client = builder.Build();
        await _client.StartAsync();
    }

    /// <summary>The test's Orleans client of the cluster (the SDK's), for management calls.</summary>
    public IClusterClient Orleans => (_client ?? throw new InvalidOperationException("The cluster is not started.")).Services.GetRequiredService<IClusterClient>();

    /// <summary>Waits until every silo process answers Healthy.</summary>
    public Task WaitAllHealthyAsync() =>
        Task.WhenAll(Processes.Silos.Select(s => Processes.WaitHealthyAsync(s, SiloStartLimit, CancellationToken.None)));

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(TimeSpan.FromSeconds(5));
            _client.Dispose();
        }

        Processes.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "process cluster";
}
