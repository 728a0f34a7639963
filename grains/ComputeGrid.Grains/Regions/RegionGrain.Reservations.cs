using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Reservations;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// Placing a job that names an advance reservation: only inside the reservation's capacity, at one of its data centers,
/// once its window is open there (before that the data centers answer Insufficient and the job waits in the queue; a
/// window's opening is announced like freed capacity, which drains the queue). Such a job never borrows, preempts or
/// recalls a loan: the reservation's capacity is its place.
/// </summary>
internal sealed partial class RegionGrain
{
    // A reservation's shares never change once it is made: read once per activation.
    private readonly Dictionary<string, IReadOnlyList<AdvanceReservationShare>> _reservationShares = new(StringComparer.Ordinal);

    /// <summary>What a data center needs to judge a job's reservation: its run time bounds how long it holds the capacity.</summary>
    private static ReservationAsk AskFor(string jobId, JobSpec spec) => new(jobId, spec.Resources, spec.Priority, spec.RunTime, spec.Tenant);

    // Jobs this activation told to cancel because their reservation can no longer start them (the cancel is one-way).
    private readonly HashSet<string> _reservationLost = new(StringComparer.Ordinal);

    /// <summary>
    /// A waiting job its reservation could not place: when the reservation can no longer start it (cancelled, ended, or
    /// too little of its window left for the job's run: <see cref="AdvanceReservationRules.ValidateUse"/> judged again
    /// now), the job is cancelled with that reason rather than left waiting for ever. One-way: the job's cancel drops it
    /// from this queue, and a region must never wait on a job that may be waiting on it.
    /// </summary>
    private async Task CancelIfReservationLostAsync(WaitingJob queued, string reservationId, CancellationToken cancellationToken)
    {
        if (_reservationLost.Contains(queued.JobId))
        {
            return;
        }

        var reservation = await GrainFactory.GetGrain<IAdvanceReservationsGrain>(AdvanceReservationsKey.National).GetAsync(reservationId, cancellationToken);
        var spec = queued.Spec;
        var lost = reservation is null
            ? new Domain.ValidationError("reservation", $"no reservation '{reservationId}'")
            : AdvanceReservationRules.ValidateUse(
                reservationId, spec.Tenant, spec.Resources, spec.RunTime, reservation.Tenant, reservation.State == AdvanceReservationState.Cancelled,
                reservation.Shares.Select(s => s.Resources), reservation.Request.Start, reservation.Request.End, clock.Now);
        if (lost is null)
        {
            return;
        }

        _reservationLost.Add(queued.JobId);
        LogReservationLost(logger, HubId, queued.JobId, reservationId, lost.Reason);
        _ = CancelLostAsync(queued.JobId, $"its advance reservation can no longer start it: {lost.Reason}");
    }

    /// <summary>Not awaited by the queue pass: a failed cancel is logged and tried again by a later pass.</summary>
    private async Task CancelLostAsync(string jobId, string reason)
    {
        try
        {
            await GrainFactory.GetGrain<IJobGrain>(jobId).CancelAsync(reason);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _reservationLost.Remove(jobId);
            LogReservationCancelFailed(logger, HubId, jobId, ex);
        }
    }

    private async Task<JobPlacement?> TryPlaceInReservationAsync(string jobId, JobSpec spec, string reservationId, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.GridTracing.Start("place job in reservation", jobId, spec.Tenant, HubId);
        if (!_reservationShares.TryGetValue(reservationId, out var shares))
        {
            var reservation = await GrainFactory.GetGrain<IAdvanceReservationsGrain>(AdvanceReservationsKey.National).GetAsync(reservationId, cancellationToken);
            if (reservation is null)
            {
                return null;
            }

            shares = _reservationShares[reservationId] = reservation.Shares;
        }

        foreach (var share in shares)
        {
            if (!Topology.DataCenters.TryGetValue(share.DataCenterId, out var dataCenter))
            {
                // Not in this region's view of the pool yet: the next pass, after the directory's change, tries it.
                continue;
            }

            var result = await GrainFactory.GetGrain<IDataCenterGrain>(share.DataCenterId).ReserveInReservationAsync(HubId, AskFor(jobId, spec), reservationId, cancellationToken);
            if (!result.Holds)
            {
                continue;
            }

            var estimate = FootprintCalculator.Of(spec.Resources, spec.RunTime, dataCenter.Energy, Topology.Power);
            return new JobPlacement(dataCenter.Id, dataCenter.HubId, $"in advance reservation {reservationId}", Topology.LatencyMs(spec.OriginHub, dataCenter), estimate, dataCenter.Energy);
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId}: job {JobId} is cancelled: advance reservation {ReservationId} can no longer start it ({Reason})")]
    private static partial void LogReservationLost(ILogger logger, string hubId, string jobId, string reservationId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{HubId}: cancelling job {JobId}, whose advance reservation can no longer start it, failed; a later queue pass tries again")]
    private static partial void LogReservationCancelFailed(ILogger logger, string hubId, string jobId, Exception exception);
}
