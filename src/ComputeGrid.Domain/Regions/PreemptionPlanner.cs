using System.Globalization;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Regions;

/// <summary>One job that holds capacity in a data center of the hub and could make room for a waiting one.</summary>
/// <param name="JobId">The job.</param>
/// <param name="DataCenterId">Where it holds capacity.</param>
/// <param name="Resources">What it holds.</param>
/// <param name="Priority">Its priority.</param>
public sealed record PreemptionCandidate(string JobId, string DataCenterId, ResourceRequest Resources, int Priority);

/// <summary>A data center of the hub the waiting job could run in, but for its free capacity.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="Free">Its free capacity as last seen.</param>
public sealed record PreemptionSite(string DataCenterId, ResourceVector Free);

/// <summary>Which jobs to preempt in which data center so that a waiting job fits there.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="Victims">The jobs to preempt, lowest priority first.</param>
public sealed record PreemptionPlan(string DataCenterId, IReadOnlyList<PreemptionCandidate> Victims)
{
    /// <summary>The highest priority among the victims.</summary>
    public int HighestVictimPriority => Victims.Max(v => v.Priority);
}

/// <summary>
/// Priority preemption within a hub, as Kueue's <c>withinClusterQueue: LowerPriority</c>: a waiting job whose policy allows
/// it may take the place of jobs of strictly lower priority that its own hub placed on its own data centers (a peer's
/// borrowed jobs make room through loan reclaim instead). The region asks for the jobs a queue pass could not place, in
/// the queue's order, and the first one that can be made room for preempts.
/// </summary>
public static class PreemptionPlanner
{
    /// <summary>
    /// The fewest victims in one site that make room for <paramref name="waiting"/> (priority <paramref name="priority"/>),
    /// or null: when the policy is Never, when a site has room already (no preemption needed), or when no site can be
    /// freed enough by jobs of lower priority. Victims are taken lowest priority first, then newest (largest id last in
    /// ordinal order as the tie-break), and those a later one made unnecessary are spared. Among sites, the fewest victims
    /// win, then the lowest highest victim priority, then the site order given.
    /// </summary>
    public static PreemptionPlan? Choose(
        ResourceRequest waiting,
        int priority,
        PreemptionPolicy policy,
        IReadOnlyList<PreemptionSite> sites,
        IEnumerable<PreemptionCandidate> holding)
    {
        if (policy == PreemptionPolicy.Never || sites.Count == 0)
        {
            return null;
        }

        if (sites.Any(s => s.Free.Fits(waiting)))
        {
            return null;
        }

        var byDataCenter = holding.Where(h => h.Priority < priority).ToLookup(h => h.DataCenterId, StringComparer.Ordinal);
        PreemptionPlan? best = null;
        foreach (var site in sites)
        {
            var victims = byDataCenter[site.DataCenterId].OrderBy(v => v.Priority).ThenByDescending(v => v.JobId, StringComparer.Ordinal);
            if (RoomMaking.Choose(site.Free, waiting, victims, v => ResourceVector.Zero.Plus(v.Resources)) is not { } chosen)
            {
                continue;
            }

            var plan = new PreemptionPlan(site.DataCenterId, chosen);
            if (best is null || plan.Victims.Count < best.Victims.Count
                || (plan.Victims.Count == best.Victims.Count && plan.HighestVictimPriority < best.HighestVictimPriority))
            {
                best = plan;
            }
        }

        return best;
    }

    /// <summary>The reason a victim's Preempted event gives: by whom and why.</summary>
    public static string Reason(string preemptorId, int preemptorPriority, int victimPriority, TimeSpan notice) =>
        string.Create(CultureInfo.InvariantCulture, $"preempted by job {preemptorId} (priority {preemptorPriority} over {victimPriority}) after {notice.TotalSeconds:0.###} s notice");
}
