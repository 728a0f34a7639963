using ComputeGrid.Contracts;
using ComputeGrid.Grains.Placement;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Hosting;

/// <summary>
/// Makes recovery event-driven: on every membership change it acts at once instead of waiting for periodic timers. When
/// a silo is declared dead, each region and data center hosted on this silo runs a reconciliation pass now (work the dead
/// silo held, such as an execution, a placement write or a job activation, is driven on). When a silo becomes active,
/// this silo's zone rebalancing pass runs now, so regions and data centers move back to a returning zone. Each silo acts
/// only on its own activations, so nothing is done twice.
/// </summary>
internal sealed partial class MembershipReactor(
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IGrainFactory grains,
    ZoneRebalancer rebalancer,
    ILogger<MembershipReactor> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private static readonly TimeSpan SoonestFirstPass = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    /// <summary>When an activation's first reconciliation pass runs: soon, not a whole interval after it activated.</summary>
    public static TimeSpan FirstPass(TimeSpan interval) => interval < SoonestFirstPass ? interval : SoonestFirstPass;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(MembershipReactor),
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

    public void Dispose() => _stopping.Dispose();

    /// <summary>Asks every region and data center activation on this silo to reconcile now; returns how many were asked.</summary>
    public async Task<int> ReconcileLocalAsync(CancellationToken cancellationToken)
    {
        var region = grains.GetGrain<IRegionGrain>("type").GetGrainId().Type;
        var dataCenter = grains.GetGrain<IDataCenterGrain>("type").GetGrainId().Type;
        var activations = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics(null, [silo.SiloAddress], cancellationToken);
        var asked = 0;
        foreach (var id in activations.Select(a => a.GrainId).Distinct())
        {
            var key = id.Key.ToString()!;
            if (id.Type == region)
            {
                await grains.GetGrain<IRegionGrain>(key).ReconcileNowAsync();
                asked++;
            }
            else if (id.Type == dataCenter)
            {
                await grains.GetGrain<IDataCenterGrain>(key).ReconcileNowAsync();
                asked++;
            }
        }

        return asked;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var previous = membership.CurrentSnapshot;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var changes = snapshot.CreateUpdate(previous).Changes.Where(c => !c.SiloAddress.Equals(silo.SiloAddress)).ToList();
                previous = snapshot;
                try
                {
                    var died = changes.Where(c => c.Status == SiloStatus.Dead).Select(c => c.SiloAddress).ToList();
                    if (died.Count > 0)
                    {
                        var asked = await ReconcileLocalAsync(cancellationToken);
                        LogReconciling(logger, died, asked);
                    }

                    if (changes.Any(c => c.Status == SiloStatus.Active))
                    {
                        await rebalancer.RebalanceOnceAsync(cancellationToken);
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // The periodic passes still run; only the silo's stop ends this loop.
                    LogFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silos} declared dead: {Count} regions and data centers here reconcile now")]
    private static partial void LogReconciling(ILogger logger, IReadOnlyList<SiloAddress> silos, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reacting to a membership change failed; the periodic passes cover it")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
