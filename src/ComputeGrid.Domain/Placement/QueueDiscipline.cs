using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Placement;

/// <summary>How a region's queue pass orders its waiting jobs and which of them it lets start (<c>ComputeGrid:QueueDiscipline</c>).</summary>
public enum QueueDiscipline
{
    /// <summary>
    /// Fair-share order; the first job the pass cannot place (the head) gets a shadow start from the declared run times of
    /// the jobs holding capacity, and a later job starts now only if it does not delay that start (Slurm's EASY backfill).
    /// </summary>
    Backfill,

    /// <summary>Fair-share order (priority, then the tenant with the smallest dominant share, then arrival), first fit: every job that fits starts.</summary>
    FairShare,

    /// <summary>Priority, then arrival; the pass stops at the first job it cannot place (head-of-line blocking, no fair share).</summary>
    StrictPriority,
}

/// <summary>The order each <see cref="QueueDiscipline"/> tries a queue in.</summary>
public static class QueueDisciplines
{
    /// <summary>
    /// <paramref name="jobs"/> in the order <paramref name="discipline"/> tries them: <see cref="FairShareQueue.Order"/> for
    /// fair share and backfill, priority (higher first) then arrival for strict priority.
    /// </summary>
    public static IEnumerable<QueuedJob> Order(QueueDiscipline discipline, IEnumerable<QueuedJob> jobs, IReadOnlyDictionary<string, ResourceVector> tenantUse, ResourceVector pool) =>
        discipline == QueueDiscipline.StrictPriority
            ? jobs.OrderByDescending(j => j.Priority).ThenBy(j => j.Sequence)
            : FairShareQueue.Order(jobs, tenantUse, pool);
}
