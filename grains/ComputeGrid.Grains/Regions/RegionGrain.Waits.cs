using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Why a queued job waits when the discipline or its advance reservation holds it back (<see cref="QueueWaits"/> decides
/// the sentence): the same sentence in its Queued event and in explain.
/// </summary>
internal sealed partial class RegionGrain
{
    /// <summary>
    /// What a queued job's Queued event says it waits for; null for the default sentence. Where its own hub has room now
    /// is looked up only when a head that is not the job is protected (the one case that needs it).
    /// </summary>
    private Task<string?> WaitingForAsync(string jobId, JobSpec spec, CancellationToken cancellationToken) =>
        WaitReasonAsync(
            jobId,
            spec,
            ProtectedHead() is { } head && head.JobId != jobId && spec.Reservation is null
                ? [.. Shortlist(spec).Ranked.Where(c => c.HubId == HubId).Select(c => c.DataCenterId)]
                : [],
            cancellationToken);

    /// <summary>
    /// <see cref="QueueWaits.Reason"/> with what this region knows: the reservation's window (read from the national book),
    /// the strict-priority head, and the head backfill protects while it still waits.
    /// </summary>
    private async Task<string?> WaitReasonAsync(string jobId, JobSpec spec, IReadOnlyCollection<string> ownRoomNow, CancellationToken cancellationToken)
    {
        ReservationWindow? window = null;
        if (spec.Reservation is { } reservationId
            && await GrainFactory.GetGrain<IAdvanceReservationsGrain>(AdvanceReservationsKey.National).GetAsync(reservationId, cancellationToken) is { } reservation)
        {
            window = new ReservationWindow(reservationId, reservation.Request.Start, reservation.Request.End);
        }

        return QueueWaits.Reason(HubId, jobId, spec, Discipline, window, StrictHeadNow(), ProtectedHead(), ownRoomNow, clock.Now);
    }

    /// <summary>The head backfill protects while it still waits; null when none.</summary>
    private ShadowStart? ProtectedHead() =>
        Discipline == QueueDiscipline.Backfill && _shadow is { } shadow && _queue.ContainsKey(shadow.JobId) ? shadow : null;

    /// <summary>
    /// Under strict priority, the first job of the queue's order (priority, then arrival) that waits for room, not for a
    /// reservation's window: a queue pass stops at it. One walk over the queue, no sort. Its earliest start is planned as
    /// backfill plans a head's.
    /// </summary>
    private StrictHead? StrictHeadNow()
    {
        if (Discipline != QueueDiscipline.StrictPriority)
        {
            return null;
        }

        WaitingJob? head = null;
        foreach (var waiting in _queue.Values)
        {
            if (waiting.Spec.Reservation is null
                && (head is null || waiting.Spec.Priority > head.Spec.Priority || (waiting.Spec.Priority == head.Spec.Priority && waiting.Sequence < head.Sequence)))
            {
                head = waiting;
            }
        }

        return head is null ? null : new StrictHead(head.JobId, head.Spec.Priority, ShadowFor(head));
    }
}
