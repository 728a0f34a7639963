using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Placement in batches: one turn judges every submission of a batch, reserves each own data center's share with one call
/// (one write there), tries what those refused one job at a time as before, and writes the placements and queue entries
/// of the whole batch once, before anyone is answered.
/// </summary>
internal sealed partial class RegionGrain
{
    public async Task<IReadOnlyList<PlaceResult>> PlaceBatchAsync(IReadOnlyList<PlaceAsk> asks, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("place", asks.Count == 1 ? asks[0].JobId : null, asks.Count == 1 ? asks[0].Spec.Tenant : null, HubId);
        var results = new PlaceResult?[asks.Count];
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var toPlace = new List<int>();
        var retried = new List<int>();
        for (var i = 0; i < asks.Count; i++)
        {
            var (jobId, spec) = (asks[i].JobId, asks[i].Spec);
            if (!first.TryAdd(jobId, i))
            {
                // The same submission twice in one batch (concurrent retries): it gets the first one's answer.
                continue;
            }

            results[i] = await RefusalAsync(spec, cancellationToken);
            if (results[i] is not null)
            {
                continue;
            }

            if (_placed.ContainsKey(jobId))
            {
                retried.Add(i);
            }
            else if (_queue.ContainsKey(jobId))
            {
                results[i] = new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
            }
            else
            {
                toPlace.Add(i);
            }
        }

        if (retried.Count > 0)
        {
            await AnswerRetriedAsync(asks, retried, results, toPlace, cancellationToken);
            toPlace.Sort();
        }

        var placed = new Dictionary<int, JobPlacement>();
        var wanting = new Dictionary<int, string>();
        var oneByOne = new List<int>();
        var waitingForGreenest = new Dictionary<int, (ScoredCandidate Ideal, PredictiveChoice Choice)>();
        var byDataCenter = new Dictionary<string, List<(int Index, ScoredCandidate Candidate, PlacementShortlist Plan)>>(StringComparer.Ordinal);
        var pass = SubmissionPass();
        var behind = false;
        foreach (var i in toPlace)
        {
            var spec = asks[i].Spec;
            if (YieldsToPreemption(asks[i].JobId, spec.Priority))
            {
                // Room a preemption made is held for the job it was made for: this one queues.
                continue;
            }

            if (WaitsBehind(spec.Priority))
            {
                // Strict priority: it queues behind the waiting jobs of its priority or higher.
                behind = true;
                continue;
            }

            var plan = Shortlist(spec);
            var wants = spec.Reservation is null ? WantsLoanFrom(spec, plan) : null;
            if (spec.Reservation is not null)
            {
                // Inside its advance reservation only (TryPlaceAsync), never at the ranking's first choice.
                oneByOne.Add(i);
            }
            else if (PredictiveChoiceFor(asks[i].JobId, spec, clock.Now, plan, wants) is ({ } ideal, { Waits: true } choice))
            {
                // GreenestPredictive: it queues to wait for its greenest data center (a queue pass tries it again).
                waitingForGreenest[i] = (ideal, choice);
            }
            else if (wants is { } hub)
            {
                wanting[i] = hub;
            }
            else if (plan.Ranked is [{ } best, ..] && best.HubId == HubId && View.FreeAt(best.DataCenterId) is { } free && pass.MayStart(best.DataCenterId, spec.Resources, spec.RunTime))
            {
                // Count the batch's earlier jobs against our view (and a protected head's spare), so they spread as they would one after another.
                View.See(best.DataCenterId, free.Minus(spec.Resources));
                pass.Started(best.DataCenterId, spec.Resources, spec.RunTime);
                (byDataCenter.TryGetValue(best.DataCenterId, out var list) ? list : byDataCenter[best.DataCenterId] = []).Add((i, best, plan));
            }
            else
            {
                oneByOne.Add(i);
            }
        }

        await Task.WhenAll(byDataCenter.Select(async group =>
        {
            var answers = await GrainFactory.GetGrain<IDataCenterGrain>(group.Key).ReserveBatchAsync(
                HubId,
                [.. group.Value.Select(g => AskFor(asks[g.Index].JobId, asks[g.Index].Spec))],
                cancellationToken);
            var energy = Topology.DataCenters[group.Key].Energy;
            for (var k = 0; k < group.Value.Count; k++)
            {
                var (index, candidate, plan) = group.Value[k];
                if (answers[k].Holds)
                {
                    placed[index] = new JobPlacement(candidate.DataCenterId, candidate.HubId, plan.ReasonFor(candidate), candidate.LatencyMs, candidate.Estimate, energy);
                }
                else
                {
                    oneByOne.Add(index);
                }
            }

            if (answers.Count > 0)
            {
                View.See(group.Key, answers[^1].Free, answers[^1].Status);
            }
        }));

        // What the batch could not place at its first choice tries every ranked data center (and loans) in turn, in order.
        oneByOne.Sort();
        foreach (var i in oneByOne)
        {
            var spec = asks[i].Spec;
            var plan = Shortlist(spec);
            if (await TryPlaceAsync(asks[i].JobId, spec, plan, pass, cancellationToken) is { } placement)
            {
                placed[i] = placement;
            }
        }

        KeepShadow(pass);

        var queued = new List<(int Index, WaitingJob Entry)>();
        foreach (var i in toPlace)
        {
            var (jobId, spec) = (asks[i].JobId, asks[i].Spec);
            var wants = wanting.GetValueOrDefault(i);
            var waits = waitingForGreenest.TryGetValue(i, out var greenest);
            Loans.Arrived(spec, waits ? greenest.Ideal.HubId : wants, placed.GetValueOrDefault(i), clock.Now);
            if (placed.TryGetValue(i, out var placement))
            {
                Book.Place(jobId, spec, placement, clock.Now);
                results[i] = new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
            }
            else
            {
                var entry = Book.Enqueue(jobId, spec, clock.Now, wants);
                queued.Add((i, entry));
                results[i] = waits ? new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], WaitingForGreenest(greenest.Ideal, greenest.Choice))
                    : wants is { } hub
                    ? new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], $"its best place ({spec.Policy}) is in {hub}: waiting in {HubId}'s queue while {HubId} borrows capacity there")
                    : new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], await WaitingForAsync(jobId, spec, cancellationToken));
            }
        }

        // Nobody is answered before the batch's placements and queue entries are durable.
        await WritePlacementsAsync(cancellationToken);
        for (var i = 0; i < asks.Count; i++)
        {
            results[i] ??= results[first[asks[i].JobId]];
        }

        if (queued.Count > 0)
        {
            LogBatchQueued(logger, queued.Count, HubId, _queue.Count);
            UpdateRetryTimer();
            if (behind)
            {
                // Behind whom it waits is the whole queue's order: a queue pass decides when it starts.
                DrainSoon();
            }

            foreach (var ask in queued.Where(q => wanting.ContainsKey(q.Index)).GroupBy(q => wanting[q.Index], StringComparer.Ordinal))
            {
                var jobs = ask.Select(q => q.Entry).ToList();
                await AskAsync([ask.Key], jobs, jobs.Count == 1 ? $"the best place for {jobs[0].JobId} ({jobs[0].Spec.Policy}) is in {ask.Key}" : $"the best place for {jobs.Count} waiting jobs is in {ask.Key}", cancellationToken);
            }

            // Our own capacity may be out on loan: recall it now rather than at the next queue pass.
            // (Not for an advance reservation's job: it waits for its window.)
            if (queued.Where(q => !wanting.ContainsKey(q.Index) && !waitingForGreenest.ContainsKey(q.Index) && q.Entry.Spec.Reservation is null).Select(q => q.Entry).ToList() is { Count: > 0 } stuck)
            {
                ProtectWaiting(stuck);
                await ReclaimAsync(stuck, cancellationToken);
                if (stuck.Exists(j => j.Spec.Preemption != PreemptionPolicy.Never))
                {
                    // Whether it may preempt depends on its place in the whole queue's order: a queue pass decides.
                    DrainSoon();
                }
            }
        }

        return [.. results.Select(r => r!)];
    }

    /// <summary>
    /// Judges one submission before it is placed: a refusal (invalid against the pool, never fits, no agent), or null when
    /// the pool can take it.
    /// </summary>
    private async Task<PlaceResult?> RefusalAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        if (!IsHub)
        {
            return Rejected(SubmitRefusal.Invalid, [new ValidationError("originHub", $"unknown hub {ValidationError.Quote(spec.OriginHub)}; known hubs: {string.Join(", ", catalog.Seed.Hubs.Keys.Order())}")]);
        }

        var errors = JobSpecRules.Validate(spec, Topology);
        var never = errors.Count == 0 ? View.WhyNeverFits(spec) ?? View.WhyNoAgent(spec) : null;
        if ((errors.Count > 0 || never is not null) && await RefreshDirectoryAsync(cancellationToken))
        {
            // Our copy of the directory was behind (a data center registered a moment ago): judge again on the new one.
            errors = JobSpecRules.Validate(spec, Topology);
            never = errors.Count == 0 ? View.WhyNeverFits(spec) ?? View.WhyNoAgent(spec) : null;
        }

        return errors.Count > 0 ? Rejected(SubmitRefusal.Invalid, errors)
            : never is not null ? Rejected(SubmitRefusal.NeverFits, [never])
            : null;
    }

    /// <summary>
    /// Retried submissions of jobs placed already: the job records the placement next, so each data center must still hold
    /// it (reconciliation may have released it while the job was unknown). Reserving again is idempotent and tells the data
    /// center's reconciliation to count afresh. All at once: one batch per data center for own capacity, loans in parallel,
    /// so that a retried batch (its first answer lost to a timeout) costs a round trip per data center, not one per job,
    /// and cannot take longer than the batch it repeats. A placement that lapsed is forgotten and placed again.
    /// </summary>
    private async Task AnswerRetriedAsync(IReadOnlyList<PlaceAsk> asks, List<int> retried, PlaceResult?[] results, List<int> toPlace, CancellationToken cancellationToken)
    {
        var held = new Dictionary<int, ReservationResult>();
        var own = retried.Where(i => _placed[asks[i].JobId].Placement.LoanId is null).GroupBy(i => _placed[asks[i].JobId].Placement.DataCenterId, StringComparer.Ordinal);
        var onLoan = retried.Where(i => _placed[asks[i].JobId].Placement.LoanId is not null).ToList();
        await Task.WhenAll(
            Task.WhenAll(own.Select(async group =>
            {
                var indexes = group.ToList();
                var answers = await GrainFactory.GetGrain<IDataCenterGrain>(group.Key).ReserveBatchAsync(
                    HubId,
                    [.. indexes.Select(i => AskFor(asks[i].JobId, asks[i].Spec))],
                    cancellationToken);
                for (var k = 0; k < indexes.Count; k++)
                {
                    held[indexes[k]] = answers[k];
                }
            })),
            Task.WhenAll(onLoan.Select(async i => held[i] = await ReserveAgainAsync(asks[i].JobId, asks[i].Spec, _placed[asks[i].JobId].Placement, cancellationToken))));

        foreach (var i in retried)
        {
            var jobId = asks[i].JobId;
            var placement = _placed[jobId].Placement;
            if (held[i].Holds)
            {
                results[i] = new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
                continue;
            }

            LogPlacementLapsed(logger, HubId, jobId, placement.DataCenterId, held[i].Outcome);
            Book.Unplace(jobId);
            Book.RecordChanged();
            if (_queue.ContainsKey(jobId))
            {
                results[i] = new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
            }
            else
            {
                toPlace.Add(i);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} jobs queued in {HubId} ({QueueLength} waiting)")]
    private static partial void LogBatchQueued(ILogger logger, int count, string hubId, int queueLength);
}
