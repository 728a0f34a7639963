using System.Collections.Concurrent;
using ComputeGrid.Contracts;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Placement;

/// <summary>
/// The zone a hub id or data-center id belongs to: hubs and seeded data centers from the topology file, data centers
/// registered at run time from the pool's directory (asked once per unknown id and remembered; a data center never
/// changes hub).
/// </summary>
internal sealed class ZoneResolver(TopologyCatalog catalog, IGrainFactory grains)
{
    private static readonly TimeSpan DirectoryLimit = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, string> _registeredHubs = new(StringComparer.Ordinal);

    /// <summary>The zone's metadata name (<c>east</c>/<c>west</c>), or null when the key is unknown or the directory did not answer in 2 s.</summary>
    public async ValueTask<string?> ZoneOfAsync(string key, CancellationToken cancellationToken)
    {
        if (HubOf(key) is { } hub)
        {
            return Zone(hub);
        }

        try
        {
            var directory = await grains.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken).WaitAsync(DirectoryLimit, cancellationToken);
            foreach (var entry in directory.DataCenters)
            {
                _registeredHubs.TryAdd(entry.Spec.Id, entry.Spec.HubId);
            }
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or OperationCanceledException)
        {
            // Placement must not wait on a pool that is itself moving; the rebalancer corrects the choice later.
            return null;
        }

        return HubOf(key) is { } registered ? Zone(registered) : null;
    }

    private string? HubOf(string key) =>
        catalog.Seed.Hubs.ContainsKey(key) ? key
        : catalog.Seed.DataCenters.TryGetValue(key, out var seeded) ? seeded.HubId
        : _registeredHubs.GetValueOrDefault(key);

    private string? Zone(string hubId) =>
        catalog.Seed.Hubs.TryGetValue(hubId, out var hub) ? ZoneRules.Name(hub.Zone) : null;
}
