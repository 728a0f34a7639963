using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Grains.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Reconciliation (architecture section 10): the region's placed jobs against the jobs (<see cref="PlacedJobAudit"/>
/// decides) and its loan records against the loans (<see cref="RegionLoanBook.Check"/> decides), a batch per pass.
/// </summary>
internal sealed partial class RegionGrain
{
    private PlacedJobAudit? _audit;

    private PlacedJobAudit Audit => _audit ??= new PlacedJobAudit(Book, options.Value.ReconcilePasses);

    public Task ReconcileNowAsync() => ReconcileAsync(CancellationToken.None);

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        // Queue entries need no pass: placing one asks the job first (AssignAsync), so an entry whose job is gone or
        // placed already is dropped then.
        var deadline = JobReads.DeadlineFor(options.Value.ReconcileInterval);
        var turn = Audit.NextTurn(options.Value.ReconcileBatch);
        var snapshots = await JobReads.ReadAsync(GrainFactory, turn, deadline, cancellationToken);
        var changed = false;
        foreach (var jobId in turn)
        {
            if (!_placed.TryGetValue(jobId, out var record) || !snapshots.TryGetValue(jobId, out var snapshot))
            {
                continue;
            }

            var step = Audit.Judge(jobId, snapshot?.State, snapshot?.Placement?.DataCenterId);
            if (step == AuditStep.Reassign)
            {
                step = Audit.Reassigned(jobId, await ReassignAsync(jobId, snapshot!.Spec, record.Placement, cancellationToken));
            }

            if (step == AuditStep.AskIfSettling)
            {
                // The job may be about to record a placement (or not answer): then it is judged again from the start.
                step = Audit.Settling(jobId, await JobReads.IsSettlingAsync(GrainFactory, jobId, deadline, cancellationToken));
            }

            if (step == AuditStep.Drop)
            {
                LogRecordDropped(logger, HubId, jobId, record.Placement.DataCenterId, snapshot?.State, snapshot?.Placement?.DataCenterId);
                changed = true;
                if (Audit.Drop(jobId, snapshot?.State, snapshot?.Spec, clock.Now))
                {
                    await GrainFactory.GetGrain<IJobGrain>(jobId).DriveAsync();
                }
            }
        }

        if (changed)
        {
            await WritePlacementsAsync(cancellationToken);
            UpdateRetryTimer();
        }

        await ReconcileLoanRecordsAsync(cancellationToken);
    }

    /// <summary>
    /// Assigns again a placement whose assignment never reached its job (the call failed after the region recorded it):
    /// first reserves it again (idempotent: kept if held, made again if released and still fitting), then tells the job
    /// (idempotent too). False when the data center no longer holds it or the job no longer wants it, or either did not
    /// answer: reconciliation then judges the record as suspect.
    /// </summary>
    private async Task<bool> ReassignAsync(string jobId, JobSpec spec, JobPlacement placement, CancellationToken cancellationToken)
    {
        try
        {
            var held = await ReserveAgainAsync(jobId, spec, placement, cancellationToken);
            if (!held.Holds || !await GrainFactory.GetGrain<IJobGrain>(jobId).AssignAsync(placement, cancellationToken))
            {
                return false;
            }

            LogReassigned(logger, HubId, jobId, placement.DataCenterId);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// One pass over the loan records, caches of the loan grains (the one source of truth per loan): a lost message (a
    /// LoanSettled, a RecallNotice) or a loan that never opened cannot leave a record open, and counted against the
    /// quotas, forever.
    /// </summary>
    private async Task ReconcileLoanRecordsAsync(CancellationToken cancellationToken)
    {
        foreach (var loanId in Loans.RecordsToCheck(options.Value.ReconcileBatch))
        {
            LoanState? truth;
            try
            {
                truth = (await GrainFactory.GetGrain<ILoanGrain>(loanId).GetAsync(cancellationToken))?.State;
            }
            catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
            {
                continue;
            }

            if (Loans.Check(loanId, truth, clock.Now) is not { } check)
            {
                continue;
            }

            if (check.Verdict == LoanRecordVerdict.Forget)
            {
                LogLoanRecordForgotten(logger, HubId, loanId, check.Cached, truth);
            }
            else if (check.Verdict == LoanRecordVerdict.Refresh)
            {
                LogLoanRecordRefreshed(logger, HubId, loanId, check.Cached, check.Next);
            }

            await CarryOutAsync(check.Then, CancellationToken.None);
        }

        await WritePlacementsAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} dropped its record of job {JobId} at {RecordedAt}: the job is {State} at {PlacedAt}")]
    private static partial void LogRecordDropped(ILogger logger, string hubId, string jobId, string? recordedAt, JobState? state, string? placedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} assigned job {JobId} to {DataCenterId} again: its first assignment never reached it")]
    private static partial void LogReassigned(ILogger logger, string hubId, string jobId, string dataCenterId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} forgot its record of loan {LoanId} ({Cached}): the loan is {Truth} (null: it never opened)")]
    private static partial void LogLoanRecordForgotten(ILogger logger, string hubId, string loanId, LoanState cached, LoanState? truth);

    [LoggerMessage(Level = LogLevel.Information, Message = "Region {HubId} refreshed its record of loan {LoanId} from {Cached} to {Truth}: the message that said so was lost")]
    private static partial void LogLoanRecordRefreshed(ILogger logger, string hubId, string loanId, LoanState cached, LoanState truth);
}
