using System.Diagnostics;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Placement;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>The end of a queue pass: the jobs it placed are told together.</summary>
internal sealed partial class RegionGrain
{
    /// <summary>How long one queue pass goes on reserving before it lets the calls waiting for this region in; a pass after them goes on.</summary>
    private static readonly TimeSpan PassBudget = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a queue pass asked for by a capacity notice waits for the notices behind it: a timer tick due at once could
    /// run between two queued notices, and a pass then ran per notice.
    /// </summary>
    private static readonly TimeSpan DrainCoalesce = TimeSpan.FromMilliseconds(50);

    private IGrainTimer? _drainSoon;

    private IGrainTimer? _releasesSoon;
    private bool _releasedFromLoan;

    /// <summary>
    /// Writes the releases that arrive before it once, after the calls already waiting for this region, then returns the
    /// loans they left unused. A write per ended job (each a storage round trip, in turn) was most of a loaded region's
    /// work in a chaos run of thousands of short jobs. Nobody waits for it: a crash before it leaves placed records of
    /// ended jobs, which reconciliation drops.
    /// </summary>
    private void WriteReleasesSoon(bool fromLoan)
    {
        _releasedFromLoan |= fromLoan;
        _releasesSoon ??= this.RegisterGrainTimer(async _ =>
        {
            _releasesSoon?.Dispose();
            _releasesSoon = null;
            var fromLoans = _releasedFromLoan;
            _releasedFromLoan = false;
            await WritePlacementsAsync(CancellationToken.None);
            if (fromLoans)
            {
                await CarryOutAsync(Loans.ReturnsDue(), CancellationToken.None);
            }
        }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// True once the pass begun at <paramref name="startedAt"/> has spent its budget. Each job of a pass reserves at its data
    /// center in turn (a storage round trip there); a pass over hundreds of waiting jobs kept a loaded region from every
    /// other call for a minute, and the calls that waited timed out.
    /// </summary>
    private static bool PassSpent(long startedAt) => Stopwatch.GetElapsedTime(startedAt) > PassBudget;

    /// <summary>
    /// One queue pass after the calls already waiting for this region, for all the capacity notices that arrive before it.
    /// Every job that ends tells every hub; a pass per notice (a scan of up to <c>QueueScanLimit</c> entries, with calls
    /// to data centers) queued thousands of passes behind each other in a chaos run of thousands of short jobs, and the
    /// regions answered no other call for minutes. The timer's tick is a message like the notices, so it runs after them.
    /// </summary>
    private void DrainSoon() =>
        _drainSoon ??= this.RegisterGrainTimer(_ =>
        {
            _drainSoon?.Dispose();
            _drainSoon = null;

            // Not the timer's token: disposing the timer cancels it.
            return DrainQueueAsync(CancellationToken.None);
        }, DrainCoalesce, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Writes the placements a queue pass made (one write), then tells their jobs all at once. A job's assignment waits on
    /// its own storage, its tenant and its event stream, seconds each when storage is loaded; one after another they added
    /// up to minutes in this non-reentrant turn (a chaos run's region answered no call for its whole recovery limit while
    /// it handed 213 waiting jobs to a new loan). A job that refuses (cancelled while we reserved) gives its capacity
    /// straight back; one that does not answer keeps its placement, which reconciliation assigns again (the job is Queued).
    /// </summary>
    private async Task AssignDrainedAsync(List<(string JobId, JobPlacement Placement)> drained, CancellationToken cancellationToken)
    {
        if (drained.Count == 0)
        {
            return;
        }

        await WritePlacementsAsync(cancellationToken);
        var accepted = await Task.WhenAll(drained.Select(async d =>
        {
            try
            {
                return await GrainFactory.GetGrain<IJobGrain>(d.JobId).AssignAsync(d.Placement, cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
            {
                LogAssignFailed(logger, HubId, d.JobId, e);
                return true;
            }
        }));

        var refused = drained.Where((_, i) => !accepted[i]).ToList();
        if (refused.Count == 0)
        {
            return;
        }

        foreach (var (jobId, _) in refused)
        {
            Book.Release(jobId);
        }

        _changes = null;

        await WritePlacementsAsync(cancellationToken);
        await Task.WhenAll(refused.Select(r =>
            GrainFactory.GetGrain<IDataCenterGrain>(r.Placement.DataCenterId).ReleaseAsync(r.JobId, default, TimeSpan.Zero, cancellationToken)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{HubId} placed queued job {JobId} but could not tell it; reconciliation assigns it again")]
    private static partial void LogAssignFailed(ILogger logger, string hubId, string jobId, Exception exception);
}
