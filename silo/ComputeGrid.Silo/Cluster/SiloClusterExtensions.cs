using System.Net;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Cluster;
using ComputeGrid.Grains.Hosting;
using Orleans.Configuration;

namespace ComputeGrid.Silo.Cluster;

/// <summary>Configures clustering, grain storage, streams and reminders for the chosen <see cref="StorageKind"/>.</summary>
internal static class SiloClusterExtensions
{
    /// <summary>Adds the providers of <see cref="SiloHostOptions.Storage"/> to the silo.</summary>
    public static ISiloBuilder UseGridCluster(this ISiloBuilder silo, SiloHostOptions host)
    {
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = host.ResponseTimeout);
        return host.Storage == StorageKind.AzureStorage ? silo.UseAzureStorageCluster(host) : silo.UseMemoryCluster(host);
    }

    private static ISiloBuilder UseMemoryCluster(this ISiloBuilder silo, SiloHostOptions host)
    {
        silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort, serviceId: host.ServiceId, clusterId: host.ClusterId);
        silo.AddMemoryGrainStorage(GridStorage.Name);
        silo.AddMemoryGrainStorage(GridStorage.PubSub);
        silo.AddMemoryStreams(GridStreams.Provider);
        silo.UseInMemoryReminderService();
        return silo;
    }

    private static ISiloBuilder UseAzureStorageCluster(this ISiloBuilder silo, SiloHostOptions host)
    {
        var storage = new StorageClients(host);
        var tables = storage.Tables();
        silo.ConfigureEndpoints(ResolveAdvertised(host.AdvertisedHost), host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: true);
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = host.ProbeTimeout;
            o.NumMissedProbesLimit = host.MissedProbesLimit;
            o.TableRefreshTimeout = host.MembershipRefreshInterval;
        });
        silo.UseAzureStorageClustering(o =>
        {
            o.TableName = ClusterStorageNames.MembershipTable;
            o.TableServiceClient = tables;
        });

        // Grain state in blobs: a tenant's job index and a region's queue grow with the work, and a table entity stops at
        // 1 MiB. Both providers write with the stored ETag, so a stale twin activation's write fails instead of overwriting.
        silo.AddAzureBlobGrainStorage(GridStorage.Name, o =>
        {
            o.ContainerName = ClusterStorageNames.GrainStateContainer;
            o.BlobServiceClient = storage.Blobs();
        });

        // Pub-sub state is one small row per stream: a table answers those point reads faster than blobs.
        silo.AddAzureTableGrainStorage(GridStorage.PubSub, o =>
        {
            o.TableName = ClusterStorageNames.PubSubTable;
            o.TableServiceClient = tables;
        });
        // Offers travel on Azure queues, polled by the silos: on a loaded cluster one can take a few seconds, and an offer
        // arriving after the borrower's window closed is declined, the silent lender backed off for AskBackoff. The
        // window closes early anyway once every asked peer answered, so a longer default costs nothing when queues are
        // quick. Registered before ComputeGrid binds its options, so ComputeGrid:Loans:OfferWindow still overrides it.
        silo.Services.Configure<LoanOptions>(o => o.OfferWindow = LoanOptions.QueueStreamsOfferWindow);
        silo.AddAzureQueueStreams(GridStreams.Provider, (SiloAzureQueueStreamConfigurator b) =>
        {
            b.ConfigureAzureQueue(queue => queue.Configure(o =>
            {
                o.QueueNames = [.. GridQueues.Names(host.ServiceId)];
                o.QueueServiceClient = storage.Queues();
            }));

            // Orleans pauses a queue reader 10-20 s after failed reads, so streams lagged storage's return by that much.
            b.ConfigureBackoffProvider((_, _) => new StreamReadBackoff(host.StreamReadBackoff));
        });
        silo.UseAzureTableReminderService(o =>
        {
            o.TableName = ClusterStorageNames.ReminderTable;
            o.TableServiceClient = tables;
        });
        return silo;
    }

    private static IPAddress ResolveAdvertised(string host) =>
        IPAddress.TryParse(host, out var ip)
            ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new InvalidOperationException($"Silo:AdvertisedHost '{host}' has no IPv4 address", new ArgumentException(host));
}
