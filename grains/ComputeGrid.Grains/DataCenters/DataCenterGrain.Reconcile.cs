using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Jobs;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.DataCenters;

/// <summary>The data center's reconciliation: its reservations against the jobs, its loan slices against the loans (each side's record is the truth).</summary>
internal sealed partial class DataCenterGrain
{
    /// <summary>
    /// One reconciliation pass over the jobs holding capacity here, each asked where it stands (its record is the truth):
    /// executions lost with a silo are restarted; a job that ended is told to finish its exit again; a reservation whose
    /// job holds no capacity here is released once it has disagreed for <see cref="ComputeGridOptions.ReconcilePasses"/>
    /// passes in a row and nobody reserved it again meanwhile. Idempotent, so it can run any number of times.
    /// </summary>
    public Task ReconcileNowAsync() => ReconcileAsync(CancellationToken.None);

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        if (!Exists)
        {
            return;
        }

        var held = Book.HeldJobs();
        foreach (var gone in _suspects.Keys.Except(held, StringComparer.Ordinal).ToList())
        {
            _suspects.Remove(gone);
        }

        var turn = _rotation.Next(held, options.Value.ReconcileBatch).Where(Book.Holds).ToList();
        var snapshots = await JobReads.ReadAsync(GrainFactory, turn, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken);
        foreach (var (jobId, snapshot) in snapshots)
        {
            var job = GrainFactory.GetGrain<IJobGrain>(jobId);
            switch (Reconciliation.JudgeReservation(Id, snapshot?.State, snapshot?.Placement?.DataCenterId))
            {
                case ReservationVerdict.KeepAndRun:
                    _suspects.Remove(jobId);
                    // A command's hand-over repeated tells the job again how it ended, if it may not have heard.
                    await StartAsync(jobId, snapshot!.Spec, snapshot.StartedAt, cancellationToken);
                    break;
                case ReservationVerdict.FinishExit:
                    await job.DriveAsync();
                    break;
                case ReservationVerdict.EndedElsewhere:
                    // Its exit releases where it ran, never here: this reservation goes by the suspect rule (released
                    // once the job confirms in storage that it holds nothing here).
                    await job.DriveAsync();
                    if (Reconciliation.Persisted(_suspects, jobId, options.Value.ReconcilePasses))
                    {
                        await ReleaseOrphanAsync(jobId, snapshot, cancellationToken);
                    }

                    break;
                case ReservationVerdict.Suspect when Reconciliation.Persisted(_suspects, jobId, options.Value.ReconcilePasses):
                    await ReleaseOrphanAsync(jobId, snapshot, cancellationToken);
                    break;
            }
        }

        await ReconcileSlicesAsync(cancellationToken);
    }

    /// <summary>
    /// Asks each loan with a slice here where it stands (the loan grain is the truth) and brings a slice that disagreed for
    /// <see cref="ComputeGridOptions.ReconcilePasses"/> passes in a row in line: a lost OpenLoan or CloseLoan, or a loan that
    /// its grain does not know, cannot keep capacity forever.
    /// </summary>
    private async Task ReconcileSlicesAsync(CancellationToken cancellationToken)
    {
        foreach (var gone in _sliceSuspects.Keys.Where(k => !Book.Slices.ContainsKey(k)).ToList())
        {
            _sliceSuspects.Remove(gone);
        }

        foreach (var loanId in Book.Slices.Keys.ToList())
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

            if (!Book.Disagrees(loanId, truth))
            {
                _sliceSuspects.Remove(loanId);
                continue;
            }

            if (!Reconciliation.Persisted(_sliceSuspects, loanId, options.Value.ReconcilePasses) || Book.SettleWithLoan(loanId, truth) is not { } decision)
            {
                continue;
            }

            _sliceSuspects.Remove(loanId);
            LogSliceSettled(logger, Id, loanId, truth);
            await Commit.CommitAsync();
            await CarryOutAsync(decision.Intents, TimeSpan.Zero, Footprint.Zero, "the loan no longer takes placements");
        }
    }

    private async Task ReleaseOrphanAsync(string jobId, JobSnapshot? snapshot, CancellationToken cancellationToken)
    {
        if (await GrainFactory.GetGrain<IRegionGrain>(Book.PlacedBy(jobId)).HoldsPlacementAsync(jobId, Id))
        {
            // Its region placed it here and the job has not recorded it yet (slow, or cut short by a crash): the region's
            // own reconciliation settles that first.
            return;
        }

        if (await JobReads.IsSettlingAsync(GrainFactory, jobId, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken) is not false)
        {
            // The job is about to record a placement (or did not answer): judge it again from the start.
            _suspects.Remove(jobId);
            return;
        }

        if (await JobReads.DisownsAsync(GrainFactory, jobId, Id, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken) is not true)
        {
            // The snapshot was stale: the job recorded a placement here since it was read, or storage holds one that the
            // activation answering for the job never read (its write failed and it goes). Judge it again from the start.
            _suspects.Remove(jobId);
            return;
        }

        if (!_suspects.ContainsKey(jobId))
        {
            // Reserved again while this pass asked around (the grain is reentrant): whoever reserved it records it.
            return;
        }

        LogOrphanReleased(logger, Id, jobId, snapshot?.State, snapshot?.Placement?.DataCenterId);
        executor.Stop(jobId);
        if (Record.HasAgents && Book.Holds(jobId))
        {
            await Agents.ReleaseAsync(jobId, cancellationToken);
        }

        // Not while it was reserved again during the agent's release (an await): the new holder runs it again.
        if (_suspects.Remove(jobId) && Book.Release(jobId, Footprint.Zero) is { } intents)
        {
            await Commit.CommitAsync();
            await CarryOutAsync(intents, TimeSpan.Zero, Footprint.Zero, string.Empty);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} released the reservation of job {JobId}: the job is {State} at {PlacedAt}")]
    private static partial void LogOrphanReleased(ILogger logger, string dataCenterId, string jobId, JobState? state, string? placedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data center {DataCenterId} brought its slice of loan {LoanId} in line with the loan ({State}; null: the loan never opened)")]
    private static partial void LogSliceSettled(ILogger logger, string dataCenterId, string loanId, LoanState? state);
}
