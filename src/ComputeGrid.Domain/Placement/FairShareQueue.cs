using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Placement;

/// <summary>A job waiting in a region's queue.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Priority">Higher goes first.</param>
/// <param name="Sequence">Arrival order within the region; lower arrived earlier.</param>
/// <param name="Resources">What it asks for.</param>
public sealed record QueuedJob(string JobId, string Tenant, int Priority, long Sequence, ResourceRequest Resources);

/// <summary>
/// The order in which a region tries its queue: priority first (higher first); within one priority, the tenant with the
/// smallest dominant share of the pool goes next (fair share), and each tenant's own jobs go first come, first served.
/// As the order is produced each tenant's use grows by the job it was given and its share is recomputed from that use,
/// so one pass interleaves tenants fairly.
/// </summary>
public static class FairShareQueue
{
    /// <summary>Orders <paramref name="jobs"/> given each tenant's current use of <paramref name="pool"/>.</summary>
    /// <param name="jobs">The waiting jobs.</param>
    /// <param name="tenantUse">Each tenant's current use (running and scheduled work); absent tenants use nothing.</param>
    /// <param name="pool">The capacity shares are measured against.</param>
    public static IEnumerable<QueuedJob> Order(IEnumerable<QueuedJob> jobs, IReadOnlyDictionary<string, ResourceVector> tenantUse, ResourceVector pool)
    {
        foreach (var priorityGroup in jobs.GroupBy(j => j.Priority).OrderByDescending(g => g.Key))
        {
            var perTenant = priorityGroup
                .GroupBy(j => j.Tenant, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => new Queue<QueuedJob>(g.OrderBy(j => j.Sequence)), StringComparer.Ordinal);
            var use = perTenant.Keys.ToDictionary(
                t => t,
                t => tenantUse.TryGetValue(t, out var u) ? u : ResourceVector.Zero,
                StringComparer.Ordinal);
            var next = new PriorityQueue<string, (double Share, long Head)>();
            foreach (var (tenant, queue) in perTenant)
            {
                next.Enqueue(tenant, (use[tenant].DominantShareOf(pool), queue.Peek().Sequence));
            }

            while (next.TryDequeue(out var tenant, out _))
            {
                var queue = perTenant[tenant];
                var job = queue.Dequeue();
                yield return job;
                use[tenant] = use[tenant].Plus(job.Resources);
                if (queue.Count > 0)
                {
                    next.Enqueue(tenant, (use[tenant].DominantShareOf(pool), queue.Peek().Sequence));
                }
            }
        }
    }
}
