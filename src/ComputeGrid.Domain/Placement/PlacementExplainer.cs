using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Placement;

/// <summary>Room the origin region holds on a peer's data center under an open borrowed loan.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="DataCenterId">The data center of the slice.</param>
/// <param name="Room">What of the slice is not used by the borrower's jobs now.</param>
public sealed record LoanRoom(string LoanId, string Lender, string DataCenterId, ResourceVector Room);

/// <summary>What the origin region knows of a job when it explains it.</summary>
/// <param name="State">The job's state now.</param>
/// <param name="PlacedAt">The data center where it holds capacity, if it does.</param>
/// <param name="QueuePosition">Its place in the region's queue (1 = tried first), if it waits there.</param>
/// <param name="QueueLength">How many jobs wait in the region's queue.</param>
/// <param name="LoanId">The loan it holds capacity on, if it runs on a peer's data center under a loan.</param>
public sealed record ExplainedJob(JobState State, string? PlacedAt, int? QueuePosition, int QueueLength, string? LoanId = null);

/// <summary>
/// A job's placement as its origin region sees it now: the plan over the region's own view of the pool (status, free
/// capacity as last seen, agents), how the region could reach each feasible data center, and one sentence that agrees with
/// the job's state.
/// </summary>
/// <param name="Plan">Feasible data centers best first, the others with the constraint that rules them out.</param>
/// <param name="Routes">For each feasible data center, how the origin reaches it: its own capacity, an open loan with room, or a loan it would need.</param>
/// <param name="Summary">Why the job is where it is, in a sentence.</param>
public sealed record PlacementExplanation(PlacementPlan Plan, IReadOnlyDictionary<string, string> Routes, string Summary);

/// <summary>Explains a job with the same engine, view, loans and agent rules its region places with.</summary>
public static class PlacementExplainer
{
    /// <summary>
    /// Explains <paramref name="spec"/> for its origin <paramref name="hubId"/>. A job that holds capacity is judged with its
    /// own reservation given back, so its own data center is not ruled out by its own use.
    /// </summary>
    public static PlacementExplanation Explain(
        JobSpec spec,
        ExplainedJob job,
        string hubId,
        NationalTopology topology,
        IEnumerable<CandidateState> view,
        IReadOnlyList<LoanRoom> loans)
    {
        var holds = job.State.HoldsCapacity();
        var candidates = view.Select(c => job.PlacedAt == c.Spec.Id && holds ? c with { Free = c.Free.Plus(spec.Resources) } : c);

        // Its own use of its loan's slice is given back too, so the loan it runs on is its route.
        loans = [.. loans.Select(l => holds && l.LoanId == job.LoanId && l.DataCenterId == job.PlacedAt ? l with { Room = l.Room.Plus(spec.Resources) } : l)];
        var plan = PlacementEngine.Plan(spec, topology, candidates);
        var routes = plan.Ranked.ToDictionary(r => r.DataCenterId, r => RouteOf(r, spec, hubId, loans), StringComparer.Ordinal);
        return new PlacementExplanation(plan, routes, Summarise(spec, job, hubId, plan, routes, loans));
    }

    private static string RouteOf(ScoredCandidate candidate, JobSpec spec, string hubId, IReadOnlyList<LoanRoom> loans)
    {
        if (candidate.HubId == hubId)
        {
            return $"own capacity of {hubId}";
        }

        return loans.FirstOrDefault(l => l.DataCenterId == candidate.DataCenterId && l.Room.Fits(spec.Resources)) is { } loan
            ? $"loan {loan.LoanId} from {loan.Lender}"
            : $"needs a loan from {candidate.HubId}";
    }

    private static bool Usable(ScoredCandidate candidate, string hubId, IReadOnlyList<LoanRoom> loans, JobSpec spec) =>
        candidate.HubId == hubId || loans.Any(l => l.DataCenterId == candidate.DataCenterId && l.Room.Fits(spec.Resources));

    private static string Summarise(JobSpec spec, ExplainedJob job, string hubId, PlacementPlan plan, Dictionary<string, string> routes, IReadOnlyList<LoanRoom> loans)
    {
        var total = plan.Ranked.Count + plan.Excluded.Count;
        var feasible = $"{plan.Ranked.Count} of {total} data centers feasible";
        if (job.State.HoldsCapacity() && job.PlacedAt is { } at)
        {
            var rank = plan.Ranked.Select((r, i) => (r, i)).FirstOrDefault(x => x.r.DataCenterId == at);
            if (rank.r is not null)
            {
                return $"{job.State} in {at} ({routes[at]}), ranked {rank.i + 1} under {spec.Policy} now; {feasible}";
            }

            var why = plan.Excluded.FirstOrDefault(x => x.DataCenterId == at);
            return why is null
                ? $"{job.State} in {at}, which {hubId}'s view of the pool no longer lists; {feasible}"
                : $"{job.State} in {at}, placed before {why.Constraint} ruled it out now ({why.Detail}); {feasible}";
        }

        if (job.State == JobState.Queued)
        {
            var position = job.QueuePosition is { } p ? $"position {p} of {job.QueueLength} in {hubId}'s queue" : $"waiting for {hubId}'s queue";
            if (plan.Ranked.Count == 0)
            {
                var byConstraint = plan.Excluded.GroupBy(x => x.Constraint).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
                var cap = spec.MaxPriceCny is { } max && plan.Excluded.Any(x => x.Constraint == "price")
                    ? $"; its maxPriceCny {Market.Money.Cny(max)} rules out {plan.Excluded.Count(x => x.Constraint == "price")}"
                    : string.Empty;
                return $"Queued, {position}: no data center is feasible now ({string.Join(", ", byConstraint)}){cap}";
            }

            var best = plan.Ranked[0];
            if (!Usable(best, hubId, loans, spec))
            {
                return $"Queued, {position}: its best place {best.DataCenterId} is in {best.HubId}, which {hubId} can use only under a loan; {feasible}";
            }

            return $"Queued, {position}: {best.DataCenterId} ({routes[best.DataCenterId]}) has room as {hubId} last saw it, so the next queue pass tries it there; {feasible}";
        }

        if (job.State == JobState.Pending)
        {
            return $"Pending: {hubId} is placing it; {feasible}";
        }

        return $"{job.State}{(job.PlacedAt is null ? string.Empty : $" in {job.PlacedAt}")}: it holds no capacity; {feasible} for a job of its shape now";
    }
}
