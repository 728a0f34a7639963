using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Gangs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Gangs: one queue entry for all of a gang's members, placed all or nothing on this hub's own data centers
/// (<see cref="GangPlanner"/> decides where), each member reserved under its own job id with one call per data center.
/// An attempt that does not get every member releases what it got before it ends (<see cref="GangReservation"/>), so a
/// waiting gang never holds part of its capacity and gangs cannot deadlock each other. Gangs do not borrow: a loan
/// holds capacity on a peer's hub, and a gang's members stay in one hub.
/// </summary>
internal sealed partial class RegionGrain
{
    public async Task<GangPlaceResult> PlaceGangAsync(string gangId, JobSpec wholeSpec, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("place gang", gangId, wholeSpec.Tenant, HubId);
        if (wholeSpec.Gang is not { Member: null } gang)
        {
            return GangRejected(SubmitRefusal.Invalid, [new ValidationError("gang", "is required")]);
        }

        if (await RefusalAsync(wholeSpec, cancellationToken) is { } refused)
        {
            return GangRejected(refused.Refusal, refused.Errors);
        }

        if (WhyGangNeverFits(wholeSpec) is { } never)
        {
            return GangRejected(SubmitRefusal.NeverFits, [never]);
        }

        var memberIds = Enumerable.Range(0, gang.Members).Select(i => GangRules.MemberId(gangId, i, gang.Attempt)).ToList();
        if (memberIds.TrueForAll(_placed.ContainsKey))
        {
            // A retry of a placement made already: the same placements.
            var held = memberIds.Select(id => _placed[id].Placement).ToList();
            return new GangPlaceResult(PlaceOutcome.Placed, held, SubmitRefusal.None, [], Describe(held));
        }

        if (_queue.TryGetValue(gangId, out var waiting))
        {
            if (waiting.Spec.Gang?.Attempt == gang.Attempt)
            {
                return GangQueued(gang);
            }

            // An entry of an earlier attempt (a restart whose first answer was lost): this attempt replaces it.
            Book.Dequeue(gangId);
        }

        var behind = WaitsBehind(wholeSpec.Priority);
        var pass = SubmissionPass();
        if (!behind && !YieldsToPreemption(gangId, wholeSpec.Priority) && await TryPlaceGangAsync(gangId, wholeSpec, pass, cancellationToken) is { } placements)
        {
            KeepShadow(pass);
            for (var i = 0; i < placements.Count; i++)
            {
                Book.Place(memberIds[i], MemberSpec(wholeSpec, i), placements[i], clock.Now);
            }

            await WritePlacementsAsync(cancellationToken);
            var where = Describe(placements);
            LogGangPlaced(logger, HubId, gangId, where);
            return new GangPlaceResult(PlaceOutcome.Placed, placements, SubmitRefusal.None, [], where);
        }

        var queued = Book.Enqueue(gangId, wholeSpec, clock.Now);
        await WritePlacementsAsync(cancellationToken);
        UpdateRetryTimer();
        ProtectWaiting([queued]);
        if (wholeSpec.Preemption != PreemptionPolicy.Never || behind)
        {
            DrainSoon();
        }

        return GangQueued(gang);
    }

    /// <summary>
    /// One attempt at placing a whole gang: plan over our own data centers, reserve every member (one call per data
    /// center), and unless every one is held, release in this attempt what was reserved. The placements by member, or null.
    /// </summary>
    private async Task<List<JobPlacement>?> TryPlaceGangAsync(string gangId, JobSpec wholeSpec, QueuePass pass, CancellationToken cancellationToken)
    {
        var gang = wholeSpec.Gang!;
        var one = wholeSpec with { Gang = null };
        var ranked = PlacementEngine.Plan(one, Topology, View.DataCenters.Where(d => d.Spec.HubId == HubId)).Ranked;
        // The room each data center has for it now, less what a protected head needs there (backfill).
        var sites = ranked.Select(c => new GangSite(c.DataCenterId, c.HubId, c.LatencyMs, pass.Room(c.DataCenterId, View.FreeAt(c.DataCenterId) ?? ResourceVector.Zero, one.RunTime))).ToList();
        if (GangPlanner.Plan(one.Resources, gang.Members, one.LatencyClass, sites) is not { } plan)
        {
            return null;
        }

        var assigned = GangPlanner.Assign(plan);
        var answers = new List<MemberReservation>();
        var unanswered = new List<MemberReservation>();
        await Task.WhenAll(assigned.GroupBy(a => a.Share.DataCenterId, StringComparer.Ordinal).Select(async share =>
        {
            var members = share.Select(a => GangRules.MemberId(gangId, a.Member, gang.Attempt)).ToList();
            try
            {
                var results = await GrainFactory.GetGrain<IDataCenterGrain>(share.Key).ReserveBatchAsync(
                    HubId, [.. members.Select(m => AskFor(m, one))], cancellationToken);
                answers.AddRange(members.Select((m, k) => new MemberReservation(m, share.Key, results[k].Holds)));
                if (results.Count > 0)
                {
                    View.See(share.Key, results[^1].Free, results[^1].Status);
                }
            }
            catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
            {
                // No answer: it may hold them all the same. Not placed, and released with the rest.
                answers.AddRange(members.Select(m => new MemberReservation(m, share.Key, false)));
                unanswered.AddRange(members.Select(m => new MemberReservation(m, share.Key, true)));
            }
        }));

        var outcome = GangReservation.Settle(answers);
        if (!outcome.Placed)
        {
            var release = outcome.Release.Concat(unanswered).ToList();
            LogGangRefusedPart(logger, HubId, gangId, release.Count, gang.Members);
            await Task.WhenAll(release.Select(r => GrainFactory.GetGrain<IDataCenterGrain>(r.DataCenterId).ReleaseAsync(r.MemberId, default, TimeSpan.Zero, cancellationToken)));
            return null;
        }

        foreach (var member in assigned)
        {
            pass.Started(member.Share.DataCenterId, one.Resources, one.RunTime);
        }

        var byDc = ranked.ToDictionary(c => c.DataCenterId, StringComparer.Ordinal);
        var plans = PlacementShortlist.Of(new PlacementPlan(one.Policy, ranked, []), ranked.Count);
        return [.. assigned.Select(a =>
        {
            var candidate = byDc[a.Share.DataCenterId];
            var reason = $"member {a.Member} of gang {gangId}: {plan.Describe()}; {plans.ReasonFor(candidate)}";
            return new JobPlacement(candidate.DataCenterId, candidate.HubId, reason, candidate.LatencyMs, candidate.Estimate, Topology.DataCenters[candidate.DataCenterId].Energy);
        })];
    }

    /// <summary>A queued gang placed by a queue pass: its members' placements are recorded (written with the pass), and the gang told once they are durable.</summary>
    private async Task<bool> TryPlaceQueuedGangAsync(WaitingJob queued, List<(string GangId, int Attempt, List<JobPlacement> Placements)> drained, QueuePass pass, CancellationToken cancellationToken)
    {
        if (await TryPlaceGangAsync(queued.JobId, queued.Spec, pass, cancellationToken) is not { } placements)
        {
            return false;
        }

        var gang = queued.Spec.Gang!;
        Book.PlaceGangFromQueue(queued.JobId, placements.Select((p, i) => (GangRules.MemberId(queued.JobId, i, gang.Attempt), MemberSpec(queued.Spec, i), p)), clock.Now);
        drained.Add((queued.JobId, gang.Attempt, placements));
        var where = Describe(placements);
        LogGangPlaced(logger, HubId, queued.JobId, where);
        return true;
    }

    /// <summary>Tells the gangs a queue pass placed, once their placements are durable (one-way: a gang may be waiting on this region).</summary>
    private async Task TellPlacedGangsAsync(List<(string GangId, int Attempt, List<JobPlacement> Placements)> drained, CancellationToken cancellationToken)
    {
        if (drained.Count == 0)
        {
            return;
        }

        await WritePlacementsAsync(cancellationToken);
        foreach (var (gangId, attempt, placements) in drained)
        {
            await GrainFactory.GetGrain<IGangGrain>(gangId).OnPlacedAsync(attempt, placements);
        }
    }

    /// <summary>Why a gang could never be placed whole here, even with every data center empty; null when it could.</summary>
    private ValidationError? WhyGangNeverFits(JobSpec wholeSpec)
    {
        var gang = wholeSpec.Gang!;
        var one = wholeSpec with { Gang = null };
        var empty = View.DataCenters.Where(d => d.Spec.HubId == HubId).Select(d => d with { Free = d.Spec.Capacity });
        var ranked = PlacementEngine.Plan(one, Topology, empty).Ranked;
        var sites = ranked.Select(c => new GangSite(c.DataCenterId, c.HubId, c.LatencyMs, Topology.DataCenters[c.DataCenterId].Capacity)).ToList();
        if (GangPlanner.Plan(one.Resources, gang.Members, one.LatencyClass, sites) is not null)
        {
            return null;
        }

        var most = sites.Where(s => s.LatencyMs <= (one.LatencyClass.BoundMs() ?? double.PositiveInfinity)).Sum(s => GangPlanner.MembersFitting(s.Room, one.Resources, gang.Members));
        return new ValidationError("gang.members", $"{gang.Members} members of {one.Resources} can never be placed together: the data centers of hub {HubId} within its latency class hold at most {most} when empty");
    }

    private static JobSpec MemberSpec(JobSpec wholeSpec, int index) =>
        GangRules.MemberSpec(wholeSpec with { Gang = null }, wholeSpec.Gang!.GangId, wholeSpec.Gang.Members, index, wholeSpec.Gang.Attempt);

    private static string Describe(IReadOnlyList<JobPlacement> placements) =>
        new GangPlan([.. placements.GroupBy(p => p.DataCenterId, StringComparer.Ordinal).Select(g => new GangShare(g.Key, g.First().HubId, g.Count()))]).Describe();

    private GangPlaceResult GangQueued(JobGang gang) =>
        new(PlaceOutcome.Queued, [], SubmitRefusal.None, [], $"no data center of {HubId}, nor any set of them, has room for all {gang.Members} members now; the gang waits whole in {HubId}'s queue, holding nothing");

    private static GangPlaceResult GangRejected(SubmitRefusal refusal, IReadOnlyList<ValidationError> errors) => new(PlaceOutcome.Rejected, [], refusal, errors, string.Empty);

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId}: gang {GangId} placed: {Where}")]
    private static partial void LogGangPlaced(ILogger logger, string hubId, string gangId, string where);

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId}: gang {GangId} got only part of its {Members} members; released the {Released} reserved in this attempt")]
    private static partial void LogGangRefusedPart(ILogger logger, string hubId, string gangId, int released, int members);
}
