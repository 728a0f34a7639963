using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// Publishes durable steps (<see cref="PublishAsync"/>) and keeps the job's tenant told: its row after every durable step and the runs to book (<see cref="TenantOutbox"/>).
/// What the tenant has not confirmed is sent again by a timer that keeps this activation alive until it is, and once more
/// when the activation goes; a row is never lost to one dropped message or to a tenant whose write failed.
/// </summary>
internal sealed partial class JobGrain
{
    /// <summary>The first retry of an unconfirmed row or booking (give or take a fifth); each further one waits twice as long, up to <see cref="TenantRetryLimit"/>.</summary>
    private static readonly TimeSpan TenantRetryFirst = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan TenantRetryLimit = TimeSpan.FromSeconds(60);

    private readonly TenantOutbox _tenant = new();
    private IGrainTimer? _tenantRetry;
    private Task? _tenantSending;
    private TimeSpan _tenantBackoff = TenantRetryFirst;
    private bool _deactivating;

    /// <summary>
    /// Tells the tenant, the dependents, the gang, the array and the watchers of durable steps. An acceptance waits for
    /// the tenant's listing at most <see cref="ComputeGridOptions.TenantListingWait"/> (jobs submitted in turn are listed
    /// in turn); later rows go without waiting. Either way the row reaches the tenant (<see cref="TellTenantAsync"/>).
    /// </summary>
    private async Task PublishAsync(IReadOnlyList<JobStep> steps)
    {
        var spec = Record.Spec!;
        var row = Row();
        NudgeDependents(steps);
        NotifyGang(spec, steps);
        _tenant.Post(row);
        await TellTenantAsync(steps.Any(s => s.Sequence == 1) ? options.Value.TenantListingWait : TimeSpan.Zero);
        await JobPublisher.PublishAsync(GrainFactory, this.GetStreamProvider(GridStreams.Provider), logger, spec, row, [.. steps.Select(JobRecord.EventOf)], _watchers.Count > 0);
    }

    private JobSummary Row()
    {
        var spec = Record.Spec!;
        return new JobSummary(JobId, spec.Tenant, Record.State, spec.OriginHub, Record.Placement?.DataCenterId, Record.SubmittedAt, 0, Record.History.Count);
    }

    /// <summary>
    /// Sends the tenant what it has not confirmed, unless a send is already in flight (which sends what was posted
    /// meanwhile when it is answered), and waits at most <paramref name="wait"/> (zero: not at all). Whatever is still
    /// unconfirmed after a failed send is sent again by the retry timer; the caller goes on either way.
    /// </summary>
    private async Task TellTenantAsync(TimeSpan wait)
    {
        if (_tenantSending is not { IsCompleted: false })
        {
            _tenantSending = SendToTenantAsync();
        }

        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await _tenantSending.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
            // Still in flight: it finishes (or arms the retry) on its own.
        }
    }

    /// <summary>One send at a time per job, so a slow tenant is not sent the same row again while it is still writing it.</summary>
    private async Task SendToTenantAsync()
    {
        var tenant = GrainFactory.GetGrain<ITenantGrain>(Record.Spec!.Tenant);
        while (_tenant.Pending)
        {
            if (await _tenant.SendAsync(tenant.UpdateAsync) is { } fault)
            {
                LogTenantUnconfirmed(logger, JobId, Record.Spec!.Tenant, fault);
                if (!_deactivating)
                {
                    // Jittered, so the jobs of a tenant that failed together do not all come back at once.
                    var due = _tenantBackoff * (0.8 + (0.4 * Random.Shared.NextDouble()));
                    _tenantRetry ??= this.RegisterGrainTimer(RetryTenantAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true, Interleave = true });
                }

                return;
            }
        }

        _tenantRetry?.Dispose();
        _tenantRetry = null;
        _tenantBackoff = TenantRetryFirst;
        if (!_deactivating)
        {
            RestWhileWaiting();
        }
    }

    private Task RetryTenantAsync(CancellationToken cancellationToken)
    {
        _tenantRetry?.Dispose();
        _tenantRetry = null;
        _tenantBackoff = TimeSpan.FromTicks(Math.Min(_tenantBackoff.Ticks * 2, TenantRetryLimit.Ticks));
        return TellTenantAsync(TimeSpan.Zero);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivating = true;
        _tenantRetry?.Dispose();
        if (_tenant.Pending)
        {
            // Last chance for what the tenant has not confirmed (an explicit deactivation does not wait for the timer).
            await TellTenantAsync(options.Value.TenantListingWait);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tenant {Tenant} has not confirmed job {JobId}'s row or booking; it is sent again")]
    private static partial void LogTenantUnconfirmed(ILogger logger, string jobId, string tenant, Exception exception);
}
