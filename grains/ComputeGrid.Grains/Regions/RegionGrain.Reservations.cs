using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

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

    /// <summary>What a queued job's Queued event says it waits for: the window of its advance reservation; null for the default.</summary>
    private static string? WaitingFor(JobSpec spec) => spec.Reservation is { } reservation ? $"waiting for advance reservation {reservation}'s window to open" : null;

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
}
