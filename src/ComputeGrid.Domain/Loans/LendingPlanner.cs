using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Loans;

/// <summary>A lender's proposal for one capacity request: the slices to offer, or why none.</summary>
/// <param name="Slices">What to hold and offer, one slice per data center; empty when refused.</param>
/// <param name="Refusal">Why nothing is offered; null when <paramref name="Slices"/> has any.</param>
public sealed record LendingProposal(IReadOnlyList<LoanSlice> Slices, string? Refusal);

/// <summary>
/// The lending decisions of a region, beside <see cref="OfferRanking"/> (the borrower's choice among offers): what to
/// offer a peer that asks, which offers are worth accepting at all, and when a borrowed loan goes back early.
/// </summary>
public static class LendingPlanner
{
    /// <summary>
    /// What a hub offers a peer that asks for <paramref name="asked"/>: only spare capacity beyond what its own waiting jobs
    /// need (<paramref name="ownNeed"/>), within its lending limit, at its Online data centers within the requested
    /// latency. Sites that have the GPU models asked for come first, then the greenest, then by id; each gives what it has
    /// free until the amount is covered.
    /// </summary>
    public static LendingProposal Propose(
        string lenderHub,
        string borrowerHub,
        ResourceVector asked,
        double? maxLatencyMs,
        HubQuota quota,
        NationalTopology topology,
        IEnumerable<CandidateState> view,
        ResourceVector lentNow,
        ResourceVector ownNeed,
        int waitingJobs)
    {
        var own = view.Where(v => v.Spec.HubId == lenderHub && v.Status == DataCenterStatus.Online).ToList();
        var nominal = topology.DataCentersOf(lenderHub).Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));
        var spare = own.Aggregate(ResourceVector.Zero, (sum, v) => sum.Plus(QuotaMath.ClipAtZero(v.Free)));
        var remaining = QuotaMath.Lendable(quota, nominal, lentNow, QuotaMath.ClipAtZero(spare.Minus(ownNeed)), asked);
        if (QuotaMath.IsUseless(remaining))
        {
            return new LendingProposal([], QuotaMath.IsUseless(QuotaMath.LendingRoom(quota, nominal, lentNow))
                ? "our lending limit is reached"
                : $"no spare capacity beyond what our {waitingJobs} waiting jobs need");
        }

        var proposed = new List<LoanSlice>();
        var sites = own
            .Select(v => (State: v, Latency: topology.LatencyMs(borrowerHub, v.Spec)))
            .Where(s => maxLatencyMs is not { } bound || s.Latency <= bound)
            .OrderByDescending(s => asked.Gpus.Keys.Count(m => s.State.Free.GpusOf(m) > 0))
            .ThenBy(s => s.State.Spec.Energy.EffectiveKgCo2PerItKwh)
            .ThenBy(s => s.State.Spec.Id, StringComparer.Ordinal);
        foreach (var (site, latency) in sites)
        {
            var take = QuotaMath.Min(remaining, QuotaMath.ClipAtZero(site.Free));
            if (QuotaMath.IsUseless(take))
            {
                continue;
            }

            proposed.Add(new LoanSlice(site.Spec.Id, take, site.Spec.Energy.EffectiveKgCo2PerItKwh, latency));
            remaining = QuotaMath.ClipAtZero(remaining.Minus(take));
            if (QuotaMath.IsUseless(remaining))
            {
                break;
            }
        }

        return proposed.Count == 0 ? new LendingProposal([], "no spare capacity within the requested latency") : new LendingProposal(proposed, null);
    }

    /// <summary>An offer is useful when at least one of the waiting jobs it was asked for fits in one of its slices.</summary>
    public static bool IsUseful(LoanTerms offer, IEnumerable<ResourceRequest> waiting) =>
        offer.Slices.Any(s => waiting.Any(s.Amount.Fits));

    /// <summary>
    /// A borrowed loan goes back early when nothing runs on it and (while it still takes placements) no waiting job could
    /// use it; a recalled one goes back as soon as nothing runs on it.
    /// </summary>
    public static bool ShouldReturn(LoanState state, LoanTerms terms, bool inUse, IEnumerable<JobSpec> waiting) =>
        state is LoanState.Active or LoanState.Recalling
        && !inUse
        && !(state == LoanState.Active && waiting.Any(q => terms.Slices.Any(s => s.Amount.Fits(q.Resources) && q.Allows(terms.Lender))));
}
