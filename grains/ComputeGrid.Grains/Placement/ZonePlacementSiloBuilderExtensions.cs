using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ComputeGrid.Grains.Placement;

/// <summary>Registers zone placement on a silo.</summary>
public static class ZonePlacementSiloBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ZonePlacementStrategy"/> with its director (transient, so no strategy instance is shared between
    /// grain types), the zone resolver, and the rebalancer that moves activations home (options section <c>ZonePlacement</c>).
    /// </summary>
    public static ISiloBuilder AddZonePlacement(this ISiloBuilder builder)
    {
        // Zones travel as silo metadata; a host that did not call UseSiloMetadata gets an empty set (no zone: any silo).
        if (!builder.Services.Any(d => d.ServiceType == typeof(ISiloMetadataCache)))
        {
            builder.UseSiloMetadata(new Dictionary<string, string>());
        }

        builder.Services.AddOptions<ZonePlacementOptions>().BindConfiguration(ZonePlacementOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ZonePlacementOptions>, ZonePlacementOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ZoneResolver>();
        builder.Services.AddPlacementDirector<ZonePlacementStrategy, ZonePlacementDirector>(ServiceLifetime.Transient);
        builder.Services.AddSingleton<ZoneRebalancer>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<ZoneRebalancer>());

        // Membership changes act at once: reconciliation on a death, rebalancing when a silo becomes active.
        builder.Services.AddSingleton<Hosting.MembershipReactor>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<Hosting.MembershipReactor>());
        return builder;
    }
}
