using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Regions;

/// <summary>A job waiting in a region's queue, kept with its spec so it can be placed after a restart.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Spec">What it asks for.</param>
/// <param name="Sequence">Its place in arrival order (never reused: the counter is written before the entry).</param>
/// <param name="EnqueuedAt">When it started waiting.</param>
public sealed record WaitingJob(string JobId, JobSpec Spec, long Sequence, DateTimeOffset EnqueuedAt)
{
    /// <summary>The hub the job's Queued event named as its best place (where the region borrows for it); null when none.</summary>
    public string? AnnouncedHub { get; init; }
}

/// <summary>A job a region placed that still holds capacity, for fair share and loan accounting.</summary>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Resources">What it holds.</param>
/// <param name="Placement">Where, and on which loan.</param>
public sealed record PlacedJob(string Tenant, ResourceRequest Resources, JobPlacement Placement)
{
    /// <summary>Its priority; null for a record written before placed jobs kept it (such a job is never preempted).</summary>
    public int? Priority { get; init; }

    /// <summary>
    /// When it will have ended at the latest: its placement time plus its declared run time (a command's wall-time limit).
    /// Null for a record written before placed jobs kept it: backfill then counts its capacity as held with no known end.
    /// </summary>
    public DateTimeOffset? EndsBy { get; init; }
}

/// <summary>
/// A region's book of jobs: its queue and the jobs it placed that still hold capacity, the use of each borrowed loan
/// they make, and what the next write must hold in which order (<see cref="RegionWritePlan"/>). It holds the state the
/// region's decisions read (fair-share order, room in a loan, what its own jobs use) and records every move, so the
/// crash-safe order of writes follows from what changed rather than from each caller remembering it.
/// </summary>
public sealed class RegionBook
{
    private readonly Dictionary<string, Dictionary<string, ResourceVector>> _loanUse = new(StringComparer.Ordinal);
    private bool _recordChanged;
    private bool _movedToPlaced;
    private bool _movedToQueue;

    /// <summary>A book over restored maps (kept, not copied, so the owner persists exactly what changed).</summary>
    public RegionBook(IDictionary<string, WaitingJob> queue, IDictionary<string, PlacedJob> placed, long nextSequence)
    {
        Queue = queue;
        Placed = placed;
        NextSequence = nextSequence;
        foreach (var job in placed.Values)
        {
            TrackLoanUse(job, +1);
        }
    }

    /// <summary>Waiting jobs by id.</summary>
    public IDictionary<string, WaitingJob> Queue { get; }

    /// <summary>Placed jobs still holding capacity, by id.</summary>
    public IDictionary<string, PlacedJob> Placed { get; }

    /// <summary>The next queue sequence number.</summary>
    public long NextSequence { get; private set; }

    /// <summary>Puts a job in the queue (a new one, or one that lost its placement); its sequence is taken now.</summary>
    public WaitingJob Enqueue(string jobId, JobSpec spec, DateTimeOffset now, string? announcedHub = null)
    {
        var entry = new WaitingJob(jobId, spec, NextSequence++, now) { AnnouncedHub = announcedHub };
        Queue[jobId] = entry;
        _recordChanged = true;
        return entry;
    }

    /// <summary>Records a placement of a job that was not waiting (placed at submission); placed at <paramref name="placedAt"/>, it ends by then plus its run time.</summary>
    public void Place(string jobId, JobSpec spec, JobPlacement placement, DateTimeOffset? placedAt = null)
    {
        var placed = new PlacedJob(spec.Tenant, spec.Resources, placement) { Priority = spec.Priority, EndsBy = placedAt + spec.RunTime };
        Placed[jobId] = placed;
        TrackLoanUse(placed, +1);
    }

    /// <summary>Moves a waiting job to its placement: the placement is written before the queue entry goes.</summary>
    public void PlaceFromQueue(string jobId, JobSpec spec, JobPlacement placement, DateTimeOffset? placedAt = null)
    {
        Place(jobId, spec, placement, placedAt);
        Queue.Remove(jobId);
        _movedToPlaced = true;
    }

    /// <summary>
    /// Moves a waiting gang to its members' placements, all at once: every member's placement is written before the
    /// gang's queue entry goes, as for one job.
    /// </summary>
    public void PlaceGangFromQueue(string gangId, IEnumerable<(string MemberId, JobSpec Spec, JobPlacement Placement)> members, DateTimeOffset? placedAt = null)
    {
        foreach (var (memberId, spec, placement) in members)
        {
            Place(memberId, spec, placement, placedAt);
        }

        Queue.Remove(gangId);
        _movedToPlaced = true;
    }

    /// <summary>
    /// Drops a placement whose job will wait again (preempted, lapsed, or dropped by reconciliation): any queue entry it
    /// gets in the same write is written before the placement goes. Null when it held none.
    /// </summary>
    public PlacedJob? Unplace(string jobId)
    {
        if (!Placed.Remove(jobId, out var was))
        {
            return null;
        }

        TrackLoanUse(was, -1);
        _movedToQueue = true;
        return was;
    }

    /// <summary>
    /// A job asks to wait again (preempted by a recall or a loan's end, or its placement lapsed): its placement goes, and
    /// it is placed or queued anew (<see cref="RequeueDecision.PlaceOrQueue"/>) unless it is waiting already. The removal
    /// is written with whatever the job gets next, queue before placed jobs, so a crash between the writes leaves it
    /// queued and placed (the drain settles that), never neither.
    /// </summary>
    public RequeueDecision Requeue(string jobId)
    {
        var removed = Unplace(jobId) is not null;
        return !Queue.ContainsKey(jobId) ? RequeueDecision.PlaceOrQueue
            : removed ? RequeueDecision.WaitingAlreadyWrite
            : RequeueDecision.WaitingAlready;
    }

    /// <summary>Drops a placement whose job gave its capacity back (it ended, or refused the placement). Null when it held none.</summary>
    public PlacedJob? Release(string jobId)
    {
        if (!Placed.Remove(jobId, out var was))
        {
            return null;
        }

        TrackLoanUse(was, -1);
        return was;
    }

    /// <summary>Takes a job out of the queue (cancelled, or placed already); false when it was not waiting.</summary>
    public bool Dequeue(string jobId) => Queue.Remove(jobId);

    /// <summary>Marks the region's record (sequence, loans) as changed: the next write includes it.</summary>
    public void RecordChanged() => _recordChanged = true;

    /// <summary>The queue in the order it is tried: priority, then fair share between tenants (by what they hold now), then arrival.</summary>
    public IEnumerable<QueuedJob> QueueOrder(ResourceVector totalCapacity) => QueueOrder(QueueDiscipline.FairShare, totalCapacity);

    /// <summary>The queue in the order <paramref name="discipline"/> tries it (<see cref="QueueDisciplines.Order"/>).</summary>
    public IEnumerable<QueuedJob> QueueOrder(QueueDiscipline discipline, ResourceVector totalCapacity)
    {
        var use = new Dictionary<string, ResourceVector>(StringComparer.Ordinal);
        foreach (var placed in Placed.Values)
        {
            use[placed.Tenant] = use.GetValueOrDefault(placed.Tenant, ResourceVector.Zero).Plus(placed.Resources);
        }

        // A gang is one entry that asks for all its members at once.
        return QueueDisciplines.Order(discipline, Queue.Values.Select(q => new QueuedJob(q.JobId, q.Spec.Tenant, q.Spec.Priority, q.Sequence, Gangs.GangRules.WholeRequest(q.Spec))), use, totalCapacity);
    }

    /// <summary>
    /// When the capacity of the region's own jobs in its own data centers (<paramref name="ownDataCenter"/>; not on loans)
    /// frees, by their declared ends (<see cref="PlacedJob.EndsBy"/>; a job past it frees now). Jobs with no known end free
    /// nothing.
    /// </summary>
    public IEnumerable<CapacityChange> DeclaredEnds(Func<string, bool> ownDataCenter, DateTimeOffset now) =>
        Placed.Values
            .Where(p => p.Placement.LoanId is null && p.EndsBy is not null && ownDataCenter(p.Placement.DataCenterId))
            .Select(p => CapacityChange.Freed(p.EndsBy < now ? now : p.EndsBy!.Value, p.Placement.DataCenterId, ResourceVector.Zero.Plus(p.Resources)));

    /// <summary>
    /// When the region's jobs at <paramref name="dataCenterId"/> (own capacity or loans) free what they hold, by their
    /// declared ends (a job past it frees now); jobs with no known end free nothing. GreenestPredictive's known releases.
    /// With <paramref name="onLoan"/>, only the jobs whose loan (null: own capacity) it admits.
    /// </summary>
    public IReadOnlyList<Placement.KnownRelease> KnownReleasesAt(string dataCenterId, DateTimeOffset now, Func<string?, bool>? onLoan = null) =>
    [
        .. Placed.Values
            .Where(p => p.EndsBy is not null && p.Placement.DataCenterId == dataCenterId && (onLoan is null || onLoan(p.Placement.LoanId)))
            .Select(p => new Placement.KnownRelease(p.EndsBy < now ? now : p.EndsBy!.Value, ResourceVector.Zero.Plus(p.Resources))),
    ];

    /// <summary>What the region's own placements (not on loans) hold.</summary>
    public ResourceVector OwnUse() => Placed.Values.Where(p => p.Placement.LoanId is null).Aggregate(ResourceVector.Zero, (sum, p) => sum.Plus(p.Resources));

    /// <summary>The room left in a borrowed loan's slice: its amount less what our jobs there hold.</summary>
    public ResourceVector SliceRoom(string loanId, LoanSlice slice) =>
        slice.Amount.Minus(_loanUse.TryGetValue(loanId, out var byDc) && byDc.TryGetValue(slice.DataCenterId, out var used) ? used : ResourceVector.Zero);

    /// <summary>True while any of our jobs holds capacity on the loan.</summary>
    public bool LoanInUse(string loanId) =>
        _loanUse.TryGetValue(loanId, out var byDc) && byDc.Values.Any(v => v.CpuMillicores > 0 || v.MemoryMiB > 0 || v.TotalGpus > 0);

    /// <summary>Forgets a loan's use (it settled).</summary>
    public void ForgetLoan(string loanId) => _loanUse.Remove(loanId);

    /// <summary>
    /// The writes the changes since the last call need, in <see cref="RegionWritePlan"/>'s order; the changes count as
    /// written from now on. Hand them back with <see cref="Unwritten"/> when the write fails.
    /// </summary>
    public (IReadOnlyList<RegionWrite> Plan, (bool Record, bool ToPlaced, bool ToQueue) Changes) TakeWritePlan()
    {
        var changes = (_recordChanged, _movedToPlaced, _movedToQueue);
        (_recordChanged, _movedToPlaced, _movedToQueue) = (false, false, false);
        return (RegionWritePlan.For(changes.Item1, changes.Item2, changes.Item3), changes);
    }

    /// <summary>A write of <paramref name="changes"/> failed: the next write takes them again.</summary>
    public void Unwritten((bool Record, bool ToPlaced, bool ToQueue) changes)
    {
        _recordChanged |= changes.Record;
        _movedToPlaced |= changes.ToPlaced;
        _movedToQueue |= changes.ToQueue;
    }

    private void TrackLoanUse(PlacedJob placed, int sign)
    {
        if (placed.Placement.LoanId is not { } loanId)
        {
            return;
        }

        var byDc = _loanUse.TryGetValue(loanId, out var known) ? known : _loanUse[loanId] = new(StringComparer.Ordinal);
        var now = byDc.GetValueOrDefault(placed.Placement.DataCenterId, ResourceVector.Zero);
        byDc[placed.Placement.DataCenterId] = sign > 0 ? now.Plus(placed.Resources) : now.Minus(placed.Resources);
    }
}

/// <summary>What a region does with a job that asks to wait again (<see cref="RegionBook.Requeue"/>).</summary>
public enum RequeueDecision
{
    /// <summary>Not waiting: place it now or queue it.</summary>
    PlaceOrQueue,

    /// <summary>Waiting already and it held no placement: nothing to write.</summary>
    WaitingAlready,

    /// <summary>Waiting already; the placement it still held goes, which is written.</summary>
    WaitingAlreadyWrite,
}
