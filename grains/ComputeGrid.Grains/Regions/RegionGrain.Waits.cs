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
    /// <summary>What a queued job's Queued event says it waits for; null for the default sentence.</summary>
    private Task<string?> WaitingForAsync(string jobId, JobSpec spec, CancellationToken cancellationToken) =>
        WaitReasonAsync(jobId, spec, [.. Shortlist(spec).Ranked.Where(c => c.HubId == HubId).Select(c => c.DataCenterId)], cancellationToken);

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

        var head = _shadow is { } shadow && _queue.ContainsKey(shadow.JobId) ? shadow : null;
        return QueueWaits.Reason(HubId, jobId, spec, Discipline, window, StrictHeadNow(), head, ownRoomNow, clock.Now);
    }

    /// <summary>
    /// Under strict priority, the first job of the queue's order that waits for room (not for a reservation's window): a
    /// queue pass stops at it. Its earliest start is planned as backfill plans a head's.
    /// </summary>
    private StrictHead? StrictHeadNow()
    {
        if (Discipline != QueueDiscipline.StrictPriority)
        {
            return null;
        }

        foreach (var next in QueueOrder())
        {
            if (_queue.TryGetValue(next.JobId, out var waiting) && waiting.Spec.Reservation is null)
            {
                return new StrictHead(next.JobId, next.Priority, ShadowFor(waiting));
            }
        }

        return null;
    }
}
