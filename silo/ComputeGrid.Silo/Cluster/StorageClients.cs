using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Orleans.Runtime.Providers;

namespace ComputeGrid.Silo.Cluster;

/// <summary>
/// The silo's Azure Storage clients, each with a bounded retry: a few quick retries, a short longest back-off and a
/// network timeout of seconds, so a storage outage fails calls fast and the pool serves again soon after storage answers
/// (the Azure SDK's defaults wait up to a minute between retries and 100 s for an answer).
/// </summary>
internal sealed class StorageClients(SiloHostOptions host)
{
    private readonly string _connection = host.AzureStorageConnectionString!;

    public TableServiceClient Tables()
    {
        var options = new TableClientOptions();
        Bound(options.Retry);
        return new TableServiceClient(_connection, options);
    }

    public BlobServiceClient Blobs()
    {
        var options = new BlobClientOptions();
        Bound(options.Retry);
        return new BlobServiceClient(_connection, options);
    }

    public QueueServiceClient Queues()
    {
        var options = new QueueClientOptions();
        Bound(options.Retry);
        return new QueueServiceClient(_connection, options);
    }

    private void Bound(RetryOptions retry)
    {
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = host.StorageRetries;
        retry.Delay = TimeSpan.FromMilliseconds(Math.Min(200, host.StorageRetryMaxDelay.TotalMilliseconds));
        retry.MaxDelay = host.StorageRetryMaxDelay;
        retry.NetworkTimeout = host.StorageNetworkTimeout;
    }
}

/// <summary>
/// How long a stream's queue reader pauses after failed reads: doubling from 100 ms up to <paramref name="longest"/>,
/// so streams deliver again within about <paramref name="longest"/> of the queues answering.
/// </summary>
internal sealed class StreamReadBackoff(TimeSpan longest) : IQueueReaderBackoffProvider
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);

    public TimeSpan Next(int attempt)
    {
        var doubled = First.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt, 0, 16));
        return TimeSpan.FromMilliseconds(Math.Min(doubled, longest.TotalMilliseconds) * (0.75 + (Random.Shared.NextDouble() / 4)));
    }
}
