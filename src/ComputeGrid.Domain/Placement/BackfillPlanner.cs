using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Placement;

/// <summary>A future change of a data center's free capacity.</summary>
/// <param name="At">When it happens; a time already past counts as now.</param>
/// <param name="DataCenterId">Where.</param>
/// <param name="Delta">What it adds to the free capacity: positive when capacity is freed (a job's declared end, a lent slice's return), negative when it is taken (an advance reservation's window opening).</param>
public sealed record CapacityChange(DateTimeOffset At, string DataCenterId, ResourceVector Delta)
{
    /// <summary><paramref name="amount"/> becomes free at <paramref name="at"/>.</summary>
    public static CapacityChange Freed(DateTimeOffset at, string dataCenterId, ResourceVector amount) => new(at, dataCenterId, amount);

    /// <summary><paramref name="amount"/> is taken at <paramref name="at"/> (and given back by a <see cref="Freed"/> change of its own).</summary>
    public static CapacityChange Taken(DateTimeOffset at, string dataCenterId, ResourceVector amount) => new(at, dataCenterId, ResourceVector.Zero.Minus(amount));
}

/// <summary>A data center the head job could run in, with its free capacity now.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="Free">Its free capacity now, as last seen.</param>
public sealed record BackfillSite(string DataCenterId, ResourceVector Free);

/// <summary>
/// The head job's earliest start (Slurm's shadow time) and what it leaves free then: the capacity backfill protects.
/// </summary>
/// <param name="JobId">The head job.</param>
/// <param name="DataCenterId">The data center it starts in at the earliest.</param>
/// <param name="At">When.</param>
/// <param name="Spare">
/// What stays free in that data center through the head's whole run from <paramref name="At"/>, with the head counted
/// (the least over its run): a job that runs past <paramref name="At"/> may start now only within it.
/// </param>
public sealed record ShadowStart(string JobId, string DataCenterId, DateTimeOffset At, ResourceVector Spare);

/// <summary>
/// EASY backfill, as Slurm's backfill plugin: the head of the queue (the first job a pass cannot place) gets a shadow
/// start, the earliest time one of its data centers holds it for its whole declared run given the future capacity changes
/// (the declared ends of the jobs holding capacity there, lent capacity coming back, reservations taking some); a later
/// job may start now only if it does not delay that start: it ends (now + its run time) by the shadow start, or it fits
/// in what the head leaves free then. Only the data center of the earliest shadow start is protected: capacity elsewhere
/// is first fit. Pure: the caller gathers capacity and changes.
/// </summary>
public static class BackfillPlanner
{
    /// <summary>
    /// The earliest time, from <paramref name="now"/> on, at which one of <paramref name="sites"/> holds
    /// <paramref name="request"/> for <paramref name="runTime"/> without a break; the first site in order wins a tie.
    /// Null when no site ever does (capacity held with no known end, or never enough).
    /// </summary>
    /// <param name="jobId">The head job.</param>
    /// <param name="request">What it asks for (a gang: all its members).</param>
    /// <param name="runTime">Its declared run time.</param>
    /// <param name="sites">The data centers it could run in, in the placement's order.</param>
    /// <param name="changes">Future changes of free capacity at any data center (those of other data centers are ignored).</param>
    /// <param name="now">The present.</param>
    /// <param name="window">
    /// How far ahead backfill plans (Slurm's <c>bf_window</c>): a start later than <paramref name="now"/> plus it is no
    /// shadow start (null), so a head that could only start beyond it protects nothing. Null for no bound.
    /// </param>
    public static ShadowStart? Shadow(string jobId, ResourceRequest request, TimeSpan runTime, IEnumerable<BackfillSite> sites, IEnumerable<CapacityChange> changes, DateTimeOffset now, TimeSpan? window = null)
    {
        var byDataCenter = changes.GroupBy(c => c.DataCenterId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(c => c.At).ToList(), StringComparer.Ordinal);
        ShadowStart? best = null;
        foreach (var site in sites)
        {
            if (EarliestAt(site, byDataCenter.GetValueOrDefault(site.DataCenterId) ?? [], request, runTime, now) is { } start && (best is null || start.At < best.At))
            {
                best = new ShadowStart(jobId, site.DataCenterId, start.At, start.Spare);
            }
        }

        return best is not null && window is { } bound && best.At > now + bound ? null : best;
    }

    /// <summary>
    /// The room a job of <paramref name="runTime"/> may use now in <paramref name="dataCenterId"/> without delaying the
    /// head: all of <paramref name="free"/> elsewhere, when there is no head, or when it ends by the shadow start; in the
    /// head's data center otherwise only what the head leaves free (<see cref="ShadowStart.Spare"/>) and is free now.
    /// </summary>
    public static ResourceVector Room(ShadowStart? shadow, string dataCenterId, ResourceVector free, TimeSpan runTime, DateTimeOffset now) =>
        Protects(shadow, dataCenterId, runTime, now) ? free.Least(shadow!.Spare) : free;

    /// <summary>True when a job asking for <paramref name="request"/> for <paramref name="runTime"/> may start now in the data center without delaying the head (free capacity aside).</summary>
    public static bool MayStart(ShadowStart? shadow, string dataCenterId, ResourceRequest request, TimeSpan runTime, DateTimeOffset now) =>
        !Protects(shadow, dataCenterId, runTime, now) || shadow!.Spare.Fits(request);

    /// <summary>The shadow start once a job started in the data center: what it takes past the shadow start comes out of the spare.</summary>
    public static ShadowStart? Started(ShadowStart? shadow, string dataCenterId, ResourceRequest request, TimeSpan runTime, DateTimeOffset now) =>
        Protects(shadow, dataCenterId, runTime, now) ? shadow! with { Spare = shadow.Spare.Minus(request) } : shadow;

    /// <summary>True when a job of <paramref name="runTime"/> started now in the data center would still hold capacity at the head's shadow start there.</summary>
    private static bool Protects(ShadowStart? shadow, string dataCenterId, TimeSpan runTime, DateTimeOffset now) =>
        shadow is not null && string.Equals(shadow.DataCenterId, dataCenterId, StringComparison.Ordinal) && now + runTime > shadow.At;

    private static (DateTimeOffset At, ResourceVector Spare)? EarliestAt(BackfillSite site, List<CapacityChange> changes, ResourceRequest request, TimeSpan runTime, DateTimeOffset now)
    {
        var free = site.Free;
        var next = 0;
        var at = now;
        while (true)
        {
            while (next < changes.Count && changes[next].At <= at)
            {
                free = free.Plus(changes[next++].Delta);
            }

            if (free.Fits(request) && SpareThrough(free, changes, next, at + runTime, request) is { } spare)
            {
                return (at, spare);
            }

            if (next >= changes.Count)
            {
                return null;
            }

            at = changes[next].At;
        }
    }

    /// <summary>The least free capacity less the request over the changes before <paramref name="end"/>; null when the request stops fitting at one.</summary>
    private static ResourceVector? SpareThrough(ResourceVector free, List<CapacityChange> changes, int from, DateTimeOffset end, ResourceRequest request)
    {
        var spare = free.Minus(request);
        for (var i = from; i < changes.Count && changes[i].At < end; i++)
        {
            free = free.Plus(changes[i].Delta);
            if (changes[i].Delta.IsNonNegative)
            {
                // Freed capacity never lowers the least.
                continue;
            }

            if (!free.Fits(request))
            {
                return null;
            }

            spare = spare.Least(free.Minus(request));
        }

        return spare;
    }
}

/// <summary>
/// One queue pass's state under a <see cref="QueueDiscipline"/>: which jobs it still tries and, under backfill, the
/// capacity it protects for its head. The region tries its jobs in the discipline's order, asks <see cref="Room"/> /
/// <see cref="MayStart"/> before placing one, reports each <see cref="Started"/> and each <see cref="Blocked"/>.
/// </summary>
/// <param name="discipline">The discipline.</param>
/// <param name="now">The pass's present.</param>
public sealed class QueuePass(QueueDiscipline discipline, DateTimeOffset now)
{
    /// <summary>True once strict priority met a job it could not place: the pass tries no more jobs.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Under backfill, the head's shadow start once the pass met a head that has one; null otherwise.</summary>
    public ShadowStart? Shadow { get; private set; }

    /// <summary>The room a job of <paramref name="runTime"/> may use now in a data center with <paramref name="free"/> (<see cref="BackfillPlanner.Room"/>).</summary>
    public ResourceVector Room(string dataCenterId, ResourceVector free, TimeSpan runTime) => BackfillPlanner.Room(Shadow, dataCenterId, free, runTime, now);

    /// <summary>True when the job may start now in the data center as far as the discipline is concerned (<see cref="BackfillPlanner.MayStart"/>).</summary>
    public bool MayStart(string dataCenterId, ResourceRequest request, TimeSpan runTime) => BackfillPlanner.MayStart(Shadow, dataCenterId, request, runTime, now);

    /// <summary>Protects <paramref name="shadow"/>, an earlier pass's head that still waits (for the submissions between passes).</summary>
    public void Protect(ShadowStart? shadow)
    {
        if (discipline == QueueDiscipline.Backfill)
        {
            Shadow = shadow;
        }
    }

    /// <summary>A job started in the data center.</summary>
    public void Started(string dataCenterId, ResourceRequest request, TimeSpan runTime) => Shadow = BackfillPlanner.Started(Shadow, dataCenterId, request, runTime, now);

    /// <summary>
    /// A job could not be placed. Strict priority stops the pass; backfill makes it the head when no job before it had a
    /// shadow start (<paramref name="shadow"/> computes it, only then); fair share goes on.
    /// </summary>
    public void Blocked(Func<ShadowStart?> shadow)
    {
        if (discipline == QueueDiscipline.StrictPriority)
        {
            Stopped = true;
        }
        else if (discipline == QueueDiscipline.Backfill && Shadow is null)
        {
            Shadow = shadow();
        }
    }
}
