using ComputeGrid.Domain.Gangs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Queue disciplines (<c>ComputeGrid:QueueDiscipline</c>; <see cref="QueuePass"/> and <see cref="BackfillPlanner"/>
/// decide). Under backfill the first job a queue pass cannot place gets a shadow start on this region's own data centers,
/// from the declared ends of this region's jobs there (<see cref="PlacedJob.EndsBy"/>) and the return of capacity it lent
/// (at the latest when the longest loan term allowed has run from the loan's start); capacity held otherwise counts as
/// held with no known end. Later jobs of the pass, and submissions until the next pass, start only where they do not
/// delay it. Under strict priority the pass stops at the first job it cannot place, and a submission is placed at once
/// only when no waiting job has its priority or higher. Nothing here is persisted: each pass plans again.
/// </summary>
internal sealed partial class RegionGrain
{
    /// <summary>The head the last queue pass protected (backfill), kept for the submissions until the next pass.</summary>
    private ShadowStart? _shadow;

    /// <summary>
    /// The future capacity changes last gathered, when and with how many placed jobs: gathered again a second later, once
    /// a job was placed (the count grows), or once one was released (a release forgets them, so a release and a placement
    /// that leave the count as it was cannot keep the released job's end).
    /// </summary>
    private (DateTimeOffset At, int Placed, List<CapacityChange> Changes)? _changes;

    private QueueDiscipline Discipline => options.Value.QueueDiscipline;

    /// <summary>A queue pass's state: a fresh one (no head yet) for the queue's drain.</summary>
    private QueuePass NewPass() => new(Discipline, clock.Now);

    /// <summary>
    /// The discipline's state for submissions between passes: the last pass's head stays protected while it waits (a
    /// submission that would delay it waits in the queue instead).
    /// </summary>
    private QueuePass SubmissionPass()
    {
        var pass = NewPass();
        pass.Protect(_shadow is { } shadow && _queue.ContainsKey(shadow.JobId) ? shadow : null);
        return pass;
    }

    /// <summary>Under strict priority, true while a job of <paramref name="priority"/> or higher waits: a submission of that priority queues behind it.</summary>
    private bool WaitsBehind(int priority) =>
        Discipline == QueueDiscipline.StrictPriority && _queue.Values.Any(q => q.Spec.Priority >= priority);

    /// <summary>Keeps what a pass (a queue pass, or a submission's) left of its head's protection for the submissions after it.</summary>
    private void KeepShadow(QueuePass pass)
    {
        if (pass.Shadow is { } shadow && !ReferenceEquals(shadow, _shadow))
        {
            LogShadow(logger, HubId, shadow.JobId, shadow.DataCenterId, shadow.At, shadow.Spare);
        }

        _shadow = pass.Shadow;
    }

    /// <summary>
    /// Submissions that had to wait while no head is protected (no pass since, or the last one found none): the first of
    /// them with a shadow start is protected at once, so the submissions right behind it cannot take its place before the
    /// next queue pass, which is asked for and decides the head in the queue's order.
    /// </summary>
    private void ProtectWaiting(IEnumerable<WaitingJob> waiting)
    {
        if (Discipline != QueueDiscipline.Backfill || (_shadow is { } shadow && _queue.ContainsKey(shadow.JobId)))
        {
            return;
        }

        foreach (var job in waiting)
        {
            if (ShadowFor(job) is { } head)
            {
                _shadow = head;
                LogShadow(logger, HubId, head.JobId, head.DataCenterId, head.At, head.Spare);
                DrainSoon();
                return;
            }
        }
    }

    /// <summary>A job the pass could not place: the discipline's consequence (strict priority stops; backfill may make it the head).</summary>
    private void Blocked(QueuePass pass, WaitingJob job) => pass.Blocked(() => ShadowFor(job));

    /// <summary>
    /// The job's shadow start over this region's own data centers it could run in (free capacity aside); a gang asks for
    /// all its members in one data center. Advance reservation windows are not among the changes: a data center refuses
    /// any job that would intrude on a window, so backfill never delays one, and a head whose start a window would push
    /// back is protected at a start that is too early (it then waits for the window to close, as without backfill).
    /// </summary>
    private ShadowStart? ShadowFor(WaitingJob job)
    {
        if (job.Spec.Reservation is not null)
        {
            // It waits for its advance reservation's window, inside capacity held for it: it is never the head.
            return null;
        }

        var one = job.Spec.IsWholeGang ? job.Spec with { Gang = null } : job.Spec;
        var plan = PlacementEngine.Plan(one, Topology, View.DataCenters.Where(d => d.Spec.HubId == HubId));
        var sites = plan.Ranked.Select(c => c.DataCenterId)
            .Concat(plan.Excluded.Where(e => e.Constraint == "capacity").Select(e => e.DataCenterId))
            .Select(id => new BackfillSite(id, View.FreeAt(id) ?? ResourceVector.Zero))
            .ToList();
        return sites.Count == 0 ? null : BackfillPlanner.Shadow(job.JobId, GangRules.WholeRequest(job.Spec), job.Spec.RunTime, sites, CurrentChanges(), clock.Now, options.Value.BackfillWindow);
    }

    /// <summary>
    /// <see cref="FutureChanges"/>, gathered once for the blocked jobs of a pass (a walk over every placed job) and again
    /// only a second later (a change already past counts as now) or once a job was placed or released.
    /// </summary>
    private List<CapacityChange> CurrentChanges()
    {
        if (_changes is not { } known || clock.Now - known.At > TimeSpan.FromSeconds(1) || known.Placed != _placed.Count)
        {
            known = (clock.Now, _placed.Count, FutureChanges().ToList());
            _changes = known;
        }

        return known.Changes;
    }

    /// <summary>When capacity on this region's own data centers frees: its own jobs' declared ends, and what it lent coming back.</summary>
    private IEnumerable<CapacityChange> FutureChanges()
    {
        var now = clock.Now;
        var own = Topology.DataCentersOf(HubId).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);

        // The lender's book does not keep a loan's term: a lent slice comes back at the latest when the longest term
        // allowed has run from the loan's start (returned earlier, it is free earlier, and the next pass sees it).
        var lent = Loans.Lent.Values.SelectMany(l => l.Slices
            .Where(s => own.Contains(s.DataCenterId))
            .Select(s => CapacityChange.Freed(Later(l.Since + loanOptions.Value.MaxTerm, now), s.DataCenterId, s.Amount)));
        return Book.DeclaredEnds(own.Contains, now).Concat(lent);
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Debug, Message = "{HubId}: backfill protects job {JobId}'s start at {DataCenterId} at {At} (leaving {Spare} free)")]
    private static partial void LogShadow(ILogger logger, string hubId, string jobId, string dataCenterId, DateTimeOffset at, ResourceVector spare);
}
