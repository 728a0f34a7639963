using ComputeGrid.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Core.Internal;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace ComputeGrid.Grains.Placement;

/// <summary>How zone placement moves activations back (section <c>ZonePlacement</c>).</summary>
public sealed class ZonePlacementOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ZonePlacement";

    /// <summary>
    /// How often each silo looks for region and data-center activations it hosts outside their zone and moves them home
    /// when a silo of their zone is alive; default 10 s; 1 s..10 min.
    /// </summary>
    public TimeSpan RebalanceInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Fails start-up when <see cref="ZonePlacementOptions"/> is out of range.</summary>
internal sealed class ZonePlacementOptionsValidator : IValidateOptions<ZonePlacementOptions>
{
    public ValidateOptionsResult Validate(string? name, ZonePlacementOptions options) =>
        options.RebalanceInterval < TimeSpan.FromSeconds(1) || options.RebalanceInterval > TimeSpan.FromMinutes(10)
            ? ValidateOptionsResult.Fail($"ZonePlacement:RebalanceInterval must be between 00:00:01 and 00:10:00 (was {options.RebalanceInterval})")
            : ValidateOptionsResult.Success;
}

/// <summary>
/// Moves region and data-center activations back to their zone. Placement alone cannot: an activation placed in the other
/// zone while its own was down stays there for as long as it is used. So every silo, on a timer, lists the region and
/// data-center activations it hosts and asks each one that belongs to another zone, when a silo of that zone is active,
/// to migrate when idle; the migration places it again through <see cref="ZonePlacementDirector"/>, which now finds its
/// zone. Each silo handles only its own activations, so silos need no coordination.
/// </summary>
internal sealed partial class ZoneRebalancer(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    ISiloMetadataCache metadata,
    IClusterMembershipService membership,
    ZoneResolver zones,
    IOptions<ZonePlacementOptions> options,
    TimeProvider time,
    ILogger<ZoneRebalancer> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(ZoneRebalancer),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
                return Task.CompletedTask;
            },
            async _ =>
            {
                await _stopping.CancelAsync();
                await _loop;
            });

    /// <summary>One pass: asks every activation on this silo that belongs to another, live zone to migrate; returns how many.</summary>
    public async Task<int> RebalanceOnceAsync(CancellationToken cancellationToken)
    {
        var liveZones = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => ZoneOf(m.SiloAddress))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var here = ZoneOf(silo.SiloAddress);
        var zoned = new HashSet<GrainType> { grains.GetGrain<IRegionGrain>("type").GetGrainId().Type, grains.GetGrain<IDataCenterGrain>("type").GetGrainId().Type };
        var management = grains.GetGrain<IManagementGrain>(0);
        var moved = 0;
        var activations = await management.GetDetailedGrainStatistics(null, [silo.SiloAddress], cancellationToken);
        foreach (var activation in activations.Where(a => zoned.Contains(a.GrainId.Type)))
        {
            var key = activation.GrainId.Key.ToString()!;
            var zone = await zones.ZoneOfAsync(key, cancellationToken);
            if (zone is null || zone == here || !liveZones.Contains(zone))
            {
                continue;
            }

            await grains.GetGrain(activation.GrainId).AsReference<IGrainManagementExtension>().MigrateOnIdle(cancellationToken);
            LogMoving(logger, activation.GrainId, here, zone);
            moved++;
        }

        return moved;
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.RebalanceInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await RebalanceOnceAsync(cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Orleans' own cancellations (a message that expired while a silo died) included: only the silo's
                    // stop ends the loop.
                    LogPassFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping.
        }
    }

    private string? ZoneOf(SiloAddress address) => metadata.GetSiloMetadata(address).Metadata.GetValueOrDefault(ZoneRules.MetadataKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moving {GrainId} from zone {Here} back to its zone {Zone}")]
    private static partial void LogMoving(ILogger logger, GrainId grainId, string? here, string zone);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zone rebalancing pass failed; the next pass retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
