using System.Diagnostics;
using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Priority preemption within the hub (<see cref="PreemptionPlanner"/> decides). When a queue pass leaves jobs unplaced,
/// the first of them in the queue's order that may preempt and can be made room for gets the fewest lower-priority jobs
/// of the region's own on one of its own data centers: gives them <c>ComputeGrid:PreemptionNotice</c>, and then preempts them (each job writes
/// Preempted with who and why, releases its capacity and is requeued). Until that job is placed (or a grace period
/// ends) the room it made is held for it: placements of lower priority queue instead. Nothing of this is persisted: after
/// a crash the next queue pass plans again, and a victim gets a new notice.
/// </summary>
internal sealed partial class RegionGrain
{
    /// <summary>How long the room a preemption made is held for its job beyond the notice, should the job not be placed at once.</summary>
    private static readonly TimeSpan ClaimGrace = TimeSpan.FromMinutes(1);

    // The notice and the claim run on wall-clock time, as timers do (the federation clock may be a test's fake one).
    private (string JobId, PreemptionPlan Plan)? _notice;
    private bool _noticeEnded;
    private (string JobId, int Priority, long Until)? _claim;
    private IGrainTimer? _noticeTimer;

    /// <summary>True while a preemption holds room for a job of higher priority than <paramref name="priority"/>: such a job queues rather than take it.</summary>
    private bool YieldsToPreemption(string jobId, int priority) =>
        _claim is { } claim && claim.JobId != jobId && priority < claim.Priority && claim.Until > Stopwatch.GetTimestamp() && _queue.ContainsKey(claim.JobId);

    /// <summary>
    /// After a queue pass: the first job it could not place (in the queue's order) whose policy allows it and for which
    /// lower-priority jobs can make room preempts them, after the notice. One preemption at a time: a pending notice is
    /// carried out once due while its job still waits.
    /// </summary>
    private void PreemptFor(List<WaitingJob> stuck)
    {
        if (_notice is { } notice)
        {
            if (stuck.Find(j => j.JobId == notice.JobId) is not { } waiting)
            {
                // Placed (or gone) before the notice ended: nobody is preempted for it.
                _notice = null;
            }
            else if (!_noticeEnded)
            {
                return;
            }
            else
            {
                _notice = null;
                CarryOut(waiting, notice.Plan, options.Value.PreemptionNotice);
                return;
            }
        }

        foreach (var job in stuck)
        {
            if (job.Spec.Preemption == PreemptionPolicy.Never)
            {
                continue;
            }

            if (PreemptionPlanner.Choose(Domain.Gangs.GangRules.WholeRequest(job.Spec), job.Spec.Priority, job.Spec.Preemption, Sites(job.Spec), Holding()) is not { } plan)
            {
                continue;
            }

            var wait = options.Value.PreemptionNotice;
            LogPreemptionPlanned(logger, HubId, job.JobId, job.Spec.Priority, plan.Victims.Count, plan.DataCenterId, wait);
            if (wait <= TimeSpan.Zero)
            {
                CarryOut(job, plan, wait);
                return;
            }

            _notice = (job.JobId, plan);
            _noticeEnded = false;
            _noticeTimer?.Dispose();
            _noticeTimer = this.RegisterGrainTimer(_ =>
            {
                _noticeTimer?.Dispose();
                _noticeTimer = null;
                _noticeEnded = true;
                DrainSoon();
                return Task.CompletedTask;
            }, wait, Timeout.InfiniteTimeSpan);
            return;
        }
    }

    /// <summary>Preempts the plan's victims that still hold their place (one-way: each job writes Preempted, releases and requeues in its own turn).</summary>
    private void CarryOut(WaitingJob head, PreemptionPlan plan, TimeSpan notice)
    {
        _claim = (head.JobId, head.Spec.Priority, Stopwatch.GetTimestamp() + (long)((notice + ClaimGrace).TotalSeconds * Stopwatch.Frequency));
        var preempted = 0;
        foreach (var victim in plan.Victims)
        {
            if (!_placed.TryGetValue(victim.JobId, out var placed) || placed.Placement.DataCenterId != plan.DataCenterId)
            {
                continue;
            }

            preempted++;
            var reason = PreemptionPlanner.Reason(head.JobId, head.Spec.Priority, victim.Priority, notice);
            _ = GrainFactory.GetGrain<IJobGrain>(victim.JobId).PreemptAsync(plan.DataCenterId, reason);
        }

        LogPreempting(logger, HubId, head.JobId, preempted, plan.DataCenterId);
    }

    /// <summary>Our own data centers the job could run in but for their free capacity.</summary>
    private List<PreemptionSite> Sites(JobSpec spec)
    {
        var plan = PlacementEngine.Plan(spec, Topology, View.DataCenters.Where(d => d.Spec.HubId == HubId));
        return [.. plan.Excluded
            .Where(e => e.Constraint == "capacity")
            .Select(e => new PreemptionSite(e.DataCenterId, View.FreeAt(e.DataCenterId) ?? Domain.Resources.ResourceVector.Zero))];
    }

    /// <summary>Our own jobs on our own data centers whose priority we know.</summary>
    private IEnumerable<PreemptionCandidate> Holding() =>
        _placed
            .Where(p => p.Value.Placement.LoanId is null && p.Value.Placement.HubId == HubId && p.Value.Priority is not null)
            .Select(p => new PreemptionCandidate(p.Key, p.Value.Placement.DataCenterId, p.Value.Resources, p.Value.Priority!.Value));

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId}: job {JobId} (priority {Priority}) will preempt {Count} jobs at {DataCenterId} after {Notice} notice")]
    private static partial void LogPreemptionPlanned(ILogger logger, string hubId, string jobId, int priority, int count, string dataCenterId, TimeSpan notice);

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId}: preempting {Count} jobs at {DataCenterId} for job {JobId}")]
    private static partial void LogPreempting(ILogger logger, string hubId, string jobId, int count, string dataCenterId);
}
