using System.Diagnostics;
using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Placing one job at a time: a job that asks to wait again, and the queue's drain (by priority, then fair share), each
/// job over its ranked data centers and the usable loan slices, committing at the data center.
/// </summary>
internal sealed partial class RegionGrain
{
    /// <summary>Reserves a placement this region recorded once more at its data center (on its loan, if any): idempotent.</summary>
    private Task<ReservationResult> ReserveAgainAsync(string jobId, JobSpec spec, JobPlacement placement, CancellationToken cancellationToken) =>
        spec.Reservation is { } reservation
            ? GrainFactory.GetGrain<IDataCenterGrain>(placement.DataCenterId).ReserveInReservationAsync(HubId, AskFor(jobId, spec), reservation, cancellationToken)
            : GrainFactory.GetGrain<IDataCenterGrain>(placement.DataCenterId).ReserveOneAsync(HubId, AskFor(jobId, spec), placement.LoanId, cancellationToken);

    private async Task<PlaceResult> PlaceOrQueueAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        var plan = Shortlist(spec);
        var wants = WantsLoanFrom(spec, plan);
        var behind = WaitsBehind(spec.Priority);
        var pass = SubmissionPass();
        if (PredictiveChoiceFor(jobId, spec, clock.Now, plan, wants) is ({ } ideal, { Waits: true } choice))
        {
            // GreenestPredictive: it waits for its greenest data center, neither placed elsewhere nor borrowing elsewhere.
            Loans.Arrived(spec, ideal.HubId, null, clock.Now);
            Book.Enqueue(jobId, spec, clock.Now);
            await WritePlacementsAsync(cancellationToken);
            LogQueued(logger, jobId, HubId, _queue.Count);
            UpdateRetryTimer();
            return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], WaitingForGreenest(ideal, choice));
        }

        if (wants is null && !behind && !YieldsToPreemption(jobId, spec.Priority) && await TryPlaceAsync(jobId, spec, plan, pass, cancellationToken) is { } placement)
        {
            KeepShadow(pass);
            Loans.Arrived(spec, null, placement, clock.Now);
            Book.Place(jobId, spec, placement, clock.Now);
            await WritePlacementsAsync(cancellationToken);
            return new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
        }

        Loans.Arrived(spec, wants, null, clock.Now);
        var queued = Book.Enqueue(jobId, spec, clock.Now, wants);
        await WritePlacementsAsync(cancellationToken);
        LogQueued(logger, jobId, HubId, _queue.Count);
        UpdateRetryTimer();
        if (behind)
        {
            // Strict priority queued it behind the jobs before it: a queue pass decides when it may start.
            DrainSoon();
        }

        if (wants is not null)
        {
            await AskAsync([wants], [queued], $"the best place for {jobId} ({spec.Policy}) is in {wants}", cancellationToken);
            return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], $"its best place ({spec.Policy}) is in {wants}: waiting in {HubId}'s queue while {HubId} borrows capacity there");
        }

        ProtectWaiting([queued]);

        // Our own capacity may be out on loan: recall it now rather than at the next queue pass (not for an advance reservation's job, which waits for its window).
        if (spec.Reservation is null)
        {
            await ReclaimAsync([queued], cancellationToken);
        }

        return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], await WaitingForAsync(jobId, spec, cancellationToken));
    }

    private async Task DrainQueueAsync(CancellationToken cancellationToken)
    {
        if (_queue.Count == 0)
        {
            await CarryOutAsync(Loans.ReturnsDue(), cancellationToken);
            return;
        }

        var wanting = new Dictionary<string, List<WaitingJob>>(StringComparer.Ordinal);
        var stuck = new List<WaitingJob>();
        var drained = new List<(string JobId, JobPlacement Placement)>();
        var drainedGangs = new List<(string GangId, int Attempt, List<JobPlacement> Placements)>();
        var started = Stopwatch.GetTimestamp();
        var pass = NewPass();
        var cutShort = false;
        foreach (var next in QueueOrder().Take(options.Value.QueueScanLimit).ToList())
        {
            if (pass.Stopped)
            {
                // Strict priority: nothing behind a job that cannot start starts.
                break;
            }

            if (PassSpent(started))
            {
                DrainSoon();
                cutShort = true;
                break;
            }

            if (!_queue.TryGetValue(next.JobId, out var queued))
            {
                continue;
            }

            if (RegionWritePlan.Settle(queued: true, _placed.ContainsKey(queued.JobId)) is (false, true))
            {
                // Placed already, and a crash came between the two writes of its move (RegionWritePlan): the placement is
                // the newer record, and reconciliation assigns it again if the job never heard of it.
                Book.Dequeue(queued.JobId);
                await WritePlacementsAsync(cancellationToken);
                continue;
            }

            if (YieldsToPreemption(queued.JobId, queued.Spec.Priority))
            {
                // Room a preemption made is held for the job it was made for.
                continue;
            }

            if (queued.Spec.IsWholeGang)
            {
                if (!await TryPlaceQueuedGangAsync(queued, drainedGangs, pass, cancellationToken))
                {
                    stuck.Add(queued);
                    Blocked(pass, queued);
                }

                continue;
            }

            if (queued.Spec.Reservation is { } reservation)
            {
                // Placed only inside its reservation once the window is open; it never borrows, preempts or recalls.
                if (await TryPlaceInReservationAsync(queued.JobId, queued.Spec, reservation, cancellationToken) is { } reserved)
                {
                    Book.PlaceFromQueue(queued.JobId, queued.Spec, reserved);
                    drained.Add((queued.JobId, reserved));
                }
                else
                {
                    await CancelIfReservationLostAsync(queued, reservation, cancellationToken);
                }

                continue;
            }

            var plan = Shortlist(queued.Spec);
            var wants = WantsLoanFrom(queued.Spec, plan);
            if (PredictiveChoiceFor(queued.JobId, queued.Spec, queued.EnqueuedAt, plan, wants) is (_, { Waits: true }))
            {
                // GreenestPredictive: still waiting for its greenest data center, within its bound; not stuck (it asks nobody).
                continue;
            }

            if (wants is { } hub)
            {
                (wanting.TryGetValue(hub, out var list) ? list : wanting[hub] = []).Add(queued);
                continue;
            }

            if (await TryPlaceAsync(queued.JobId, queued.Spec, plan, pass, cancellationToken) is not { } placement)
            {
                stuck.Add(queued);
                Blocked(pass, queued);
                continue;
            }

            if (PlacementNotes.NotWhereAnnounced(queued.AnnouncedHub, placement.HubId, HubId, placement.LoanId is not null, Loans.IsBackedOff(queued.AnnouncedHub, clock.Now)) is { } note)
            {
                // Its Queued event named another hub: the Scheduled event (the placement's reason) says why not there.
                placement = placement with { Reason = $"{placement.Reason}; {note}" };
            }

            // Written with the pass's other placements, in RegionWritePlan's order: the placement before the queue entry's removal.
            Book.PlaceFromQueue(queued.JobId, queued.Spec, placement, clock.Now);
            drained.Add((queued.JobId, placement));
        }

        if (pass.Shadow is not null || !cutShort)
        {
            // A pass cut short before it met a head leaves the last one protected until the pass after it.
            KeepShadow(pass);
        }

        await AssignDrainedAsync(drained, cancellationToken);
        await TellPlacedGangsAsync(drainedGangs, cancellationToken);
        UpdateRetryTimer();
        foreach (var (hub, jobs) in wanting)
        {
            await AskAsync([hub], jobs, $"the best place for {jobs.Count} waiting jobs is in {hub}", cancellationToken);
        }

        // Gangs do not borrow (their members stay in one hub): a loan asked for one would go unused.
        if (Loans.UnderPressure(stuck.FindAll(j => !j.Spec.IsWholeGang), Topology, clock.Now) is { } pressure)
        {
            await AskAsync(pressure.Peers, pressure.Jobs, pressure.Reason, cancellationToken);
        }

        await ReclaimAsync(stuck, cancellationToken);
        PreemptFor(stuck);
        await CarryOutAsync(Loans.ReturnsDue(), cancellationToken);
    }

    private IEnumerable<QueuedJob> QueueOrder() => Book.QueueOrder(Discipline, Topology.TotalCapacity);

    private PlacementShortlist Shortlist(JobSpec spec) => View.Shortlist(spec, Loans.UsableSlices(clock.Now, spec.Resources), options.Value.MaxPlacementAttempts);

    /// <summary>The loan wish (<see cref="BorrowPlanner.WantsLoanFrom(JobSpec, ScoredCandidate?, ScoredCandidate?)"/>) with the pool's best place from the index.</summary>
    private string? WantsLoanFrom(JobSpec spec, PlacementShortlist plan) =>
        loanOptions.Value.Enabled && spec.Reservation is null
            ? BorrowPlanner.WantsLoanFrom(spec, View.Best(spec, hub => hub == spec.OriginHub || Loans.MayAsk(hub, clock.Now)), plan.Ranked.Count > 0 ? plan.Ranked[0] : null)
            : null;

    /// <summary>
    /// Reserves the job at its ranked data centers in turn (on a loan's slice at a peer's); with a <paramref name="pass"/>,
    /// only where its discipline lets the job start (backfill: not where it would delay the head), and the pass is told.
    /// </summary>
    private async Task<JobPlacement?> TryPlaceAsync(string jobId, JobSpec spec, PlacementShortlist plan, QueuePass? pass, CancellationToken cancellationToken)
    {
        if (spec.Reservation is { } reservation)
        {
            return await TryPlaceInReservationAsync(jobId, spec, reservation, cancellationToken);
        }

        using var activity = Telemetry.GridTracing.Start("place job", jobId, spec.Tenant, HubId);
        var placement = await TryPlaceAtAsync(jobId, spec, plan.Ranked.Where(c => pass is null || pass.MayStart(c.DataCenterId, spec.Resources, spec.RunTime)), plan, cancellationToken);
        if (placement is not null)
        {
            pass?.Started(placement.DataCenterId, spec.Resources, spec.RunTime);
        }

        return placement;
    }

    private async Task<JobPlacement?> TryPlaceAtAsync(string jobId, JobSpec spec, IEnumerable<ScoredCandidate> ranked, PlacementShortlist plan, CancellationToken cancellationToken)
    {
        foreach (var candidate in ranked.Take(options.Value.MaxPlacementAttempts))
        {
            var dataCenter = GrainFactory.GetGrain<IDataCenterGrain>(candidate.DataCenterId);
            var energy = Topology.DataCenters[candidate.DataCenterId].Energy;
            if (candidate.HubId == HubId)
            {
                var result = await dataCenter.ReserveOneAsync(HubId, AskFor(jobId, spec), null, cancellationToken);
                View.See(candidate.DataCenterId, result.Free, result.Status);
                if (result.Holds)
                {
                    return new JobPlacement(candidate.DataCenterId, candidate.HubId, plan.ReasonFor(candidate), candidate.LatencyMs, candidate.Estimate, energy);
                }

                continue;
            }

            foreach (var (loanId, lender) in Loans.LoansWithRoom(candidate.DataCenterId, spec.Resources))
            {
                var result = await dataCenter.ReserveOneAsync(HubId, AskFor(jobId, spec), loanId, cancellationToken);
                if (result.Holds)
                {
                    var reason = $"{plan.ReasonFor(candidate)}; on loan {loanId} from {lender}";
                    return new JobPlacement(candidate.DataCenterId, candidate.HubId, reason, candidate.LatencyMs, candidate.Estimate, energy, loanId);
                }

                if (result.Outcome == ReservationOutcome.NoLoan)
                {
                    // The slice closed (a recall or the end of the term we have not heard of yet): stop placing on it.
                    Loans.SliceClosed(loanId);
                }
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} queued in {HubId} ({QueueLength} waiting)")]
    private static partial void LogQueued(ILogger logger, string jobId, string hubId, int queueLength);
}
