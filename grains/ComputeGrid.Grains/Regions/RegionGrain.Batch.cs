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
        for (var i = 0; i < asks.Count; i++)
        {
            var (jobId, spec) = (asks[i].JobId, asks[i].Spec);
            if (!first.TryAdd(jobId, i))
            {
                // The same submission twice in one batch (concurrent retries): it gets the first one's answer.
                continue;
            }

            results[i] = await JudgeAsync(jobId, spec, cancellationToken);
            if (results[i] is null)
            {
                toPlace.Add(i);
            }
        }

        var placed = new Dictionary<int, JobPlacement>();
        var wanting = new Dictionary<int, string>();
        var oneByOne = new List<int>();
        var byDataCenter = new Dictionary<string, List<(int Index, ScoredCandidate Candidate, PlacementShortlist Plan)>>(StringComparer.Ordinal);
        foreach (var i in toPlace)
        {
            var spec = asks[i].Spec;
            var plan = Shortlist(spec);
            if (WantsLoanFrom(spec, plan) is { } hub)
            {
                wanting[i] = hub;
            }
            else if (plan.Ranked is [{ } best, ..] && best.HubId == HubId && _view.TryGetValue(best.DataCenterId, out var seen))
            {
                // Count the batch's earlier jobs against our view, so they spread as they would one after another.
                See(seen with { Free = seen.Free.Minus(spec.Resources) });
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
                [.. group.Value.Select(g => new ReservationAsk(asks[g.Index].JobId, asks[g.Index].Spec.Resources, asks[g.Index].Spec.Priority))],
                cancellationToken);
            var energy = _topology.DataCenters[group.Key].Energy;
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

            if (_view.TryGetValue(group.Key, out var seen) && answers.Count > 0)
            {
                See(seen with { Free = answers[^1].Free, Status = answers[^1].Status });
            }
        }));

        // What the batch could not place at its first choice tries every ranked data center (and loans) in turn, in order.
        oneByOne.Sort();
        foreach (var i in oneByOne)
        {
            var spec = asks[i].Spec;
            var plan = Shortlist(spec);
            if (await TryPlaceAsync(asks[i].JobId, spec, plan, cancellationToken) is { } placement)
            {
                placed[i] = placement;
            }
        }

        var queued = new List<(int Index, WaitingJob Entry)>();
        foreach (var i in toPlace)
        {
            var (jobId, spec) = (asks[i].JobId, asks[i].Spec);
            if (placed.TryGetValue(i, out var placement))
            {
                Book.Place(jobId, spec, placement);
                results[i] = new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
            }
            else
            {
                var entry = Book.Enqueue(jobId, spec, clock.Now);
                queued.Add((i, entry));
                results[i] = wanting.TryGetValue(i, out var hub)
                    ? new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], $"its best place ({spec.Policy}) is in {hub}: waiting in {HubId}'s queue while {HubId} borrows capacity there")
                    : new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
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
            foreach (var ask in queued.Where(q => wanting.ContainsKey(q.Index)).GroupBy(q => wanting[q.Index], StringComparer.Ordinal))
            {
                var jobs = ask.Select(q => q.Entry).ToList();
                await AskAsync([ask.Key], jobs, jobs.Count == 1 ? $"the best place for {jobs[0].JobId} ({jobs[0].Spec.Policy}) is in {ask.Key}" : $"the best place for {jobs.Count} waiting jobs is in {ask.Key}", cancellationToken);
            }

            // Our own capacity may be out on loan: recall it now rather than at the next queue pass.
            if (queued.Where(q => !wanting.ContainsKey(q.Index)).Select(q => q.Entry).ToList() is { Count: > 0 } stuck)
            {
                await ReclaimAsync(stuck, cancellationToken);
            }
        }

        return [.. results.Select(r => r!)];
    }

    /// <summary>
    /// Judges one submission before it is placed: a refusal (invalid against the pool, never fits, no agent), the answer
    /// to a retry of a job placed or queued already, or null when it is to be placed now.
    /// </summary>
    private async Task<PlaceResult?> JudgeAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        if (!IsHub)
        {
            return Rejected(SubmitRefusal.Invalid, [new ValidationError("originHub", $"unknown hub {ValidationError.Quote(spec.OriginHub)}; known hubs: {string.Join(", ", catalog.Seed.Hubs.Keys.Order())}")]);
        }

        var errors = JobSpecRules.Validate(spec, _topology);
        var never = errors.Count == 0 ? WhyNeverFits(spec) ?? WhyNoAgent(spec) : null;
        if ((errors.Count > 0 || never is not null) && await RefreshDirectoryAsync(cancellationToken))
        {
            // Our copy of the directory was behind (a data center registered a moment ago): judge again on the new one.
            errors = JobSpecRules.Validate(spec, _topology);
            never = errors.Count == 0 ? WhyNeverFits(spec) ?? WhyNoAgent(spec) : null;
        }

        if (errors.Count > 0)
        {
            return Rejected(SubmitRefusal.Invalid, errors);
        }

        if (never is not null)
        {
            return Rejected(SubmitRefusal.NeverFits, [never]);
        }

        if (_placed.TryGetValue(jobId, out var placedBefore))
        {
            // A retried submission: the job records this placement next, so make sure its data center still holds it
            // (reconciliation may have released it while the job was unknown). Reserving again is idempotent, and tells
            // the data center's reconciliation to count afresh.
            var placement = placedBefore.Placement;
            var held = await ReserveAgainAsync(jobId, spec, placement, cancellationToken);
            if (held.Holds)
            {
                return new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
            }

            LogPlacementLapsed(logger, HubId, jobId, placement.DataCenterId, held.Outcome);
            Book.Unplace(jobId);
            Book.RecordChanged();
        }

        return _queue.ContainsKey(jobId) ? new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []) : null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} jobs queued in {HubId} ({QueueLength} waiting)")]
    private static partial void LogBatchQueued(ILogger logger, int count, string hubId, int queueLength);
}
