using ComputeGrid.Domain.Topology;
using Orleans.Placement;

namespace ComputeGrid.Grains.Placement;

/// <summary>
/// Places an activation on a silo of its own zone (east or west) while one is alive, else on any silo. The grain's key
/// names a hub (RegionGrain) or a data center (DataCenterGrain); <see cref="ZoneResolver"/> turns it into a zone.
/// </summary>
public sealed class ZonePlacementStrategy : PlacementStrategy;

/// <summary>Marks a grain class whose string key is a hub id or a data-center id for <see cref="ZonePlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ZonePlacementAttribute() : PlacementAttribute(new ZonePlacementStrategy());

/// <summary>The zone rules, free of Orleans so they can be tested by table.</summary>
public static class ZoneRules
{
    /// <summary>The silo metadata key that carries a silo's zone (<c>east</c> or <c>west</c>).</summary>
    public const string MetadataKey = "zone";

    /// <summary>The metadata value of a zone: <c>east</c> or <c>west</c>.</summary>
    public static string Name(Zone zone) => zone == Zone.East ? "east" : "west";

    /// <summary>
    /// Picks the silo for an activation wanted in <paramref name="wanted"/> (null: unknown zone). Among the silos of the
    /// wanted zone, the local silo when it is one of them (no extra hop), else one at random; with no silo of that zone
    /// (or no known zone), the local silo when compatible, else any at random.
    /// </summary>
    public static T Choose<T>(IReadOnlyList<T> compatible, Func<T, string?> zoneOf, string? wanted, T local, Random random)
        where T : notnull
    {
        if (compatible.Count == 0)
        {
            throw new InvalidOperationException("No compatible silo to place the activation on.");
        }

        var inZone = wanted is null ? [] : compatible.Where(s => zoneOf(s) == wanted).ToList();
        var pool = inZone.Count > 0 ? inZone : compatible;
        return pool.Contains(local) ? local : pool[random.Next(pool.Count)];
    }
}
