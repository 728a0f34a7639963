using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace ComputeGrid.Grains.Placement;

/// <summary>Chooses a silo of the grain's zone while one is alive (see <see cref="ZoneRules.Choose"/>).</summary>
internal sealed class ZonePlacementDirector(ZoneResolver zones, ISiloMetadataCache metadata) : IPlacementDirector
{
    public async Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        var wanted = await zones.ZoneOfAsync(target.GrainIdentity.Key.ToString()!, CancellationToken.None);
        return ZoneRules.Choose(compatible, ZoneOf, wanted, context.LocalSilo, Random.Shared);
    }

    private string? ZoneOf(SiloAddress silo) => metadata.GetSiloMetadata(silo).Metadata.GetValueOrDefault(ZoneRules.MetadataKey);
}
