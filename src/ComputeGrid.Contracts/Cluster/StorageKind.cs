namespace ComputeGrid.Contracts.Cluster;

/// <summary>Where the cluster keeps its membership, grain state, streams and reminders; silos and SDK clients of one cluster must agree.</summary>
public enum StorageKind
{
    /// <summary>In memory: one silo, localhost clustering, memory streams; the development default. State is lost when the process stops.</summary>
    Memory,

    /// <summary>Azure Storage (or Azurite): Azure Table clustering and reminders, Azure Blob grain state, Azure Queue streams.</summary>
    AzureStorage,
}

/// <summary>
/// The Azure Storage queues behind stream provider <see cref="GridStreams.Provider"/>. Silos and clients derive the same
/// names from the service id, so they need no list in configuration; changing <see cref="Count"/> moves streams to other
/// queues, so drain the queues before changing it.
/// </summary>
public static class GridQueues
{
    /// <summary>Number of queues; each is pulled by one silo at a time, so this bounds how many silos share the stream load.</summary>
    public const int Count = 8;

    /// <summary>The queue names: <c>{serviceId}-grid-0</c> .. <c>{serviceId}-grid-7</c> (a-z, 0-9 and '-', as Azure queues require).</summary>
    public static IReadOnlyList<string> Names(string serviceId) =>
        [.. Enumerable.Range(0, Count).Select(i => $"{serviceId}-{GridStreams.Provider}-{i}")];
}
