using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Reservations;

namespace ComputeGrid.Grains.Jobs;

/// <summary>A job that names an advance reservation (Slurm's <c>--reservation</c>) is checked against it when it is submitted.</summary>
internal sealed partial class JobGrain
{
    /// <summary>
    /// Refuses (NeverFits, naming <c>reservation</c>) a job that may not use the reservation it names: unknown or another
    /// tenant's, cancelled or ended, in another hub than the job's origin, too large for its shares, or whose run would
    /// not end before the window closes. Null when it may, or when it names none.
    /// </summary>
    private async Task<SubmitResult?> RefuseReservationAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Reservation is not { } reservationId)
        {
            return null;
        }

        var reservation = await GrainFactory.GetGrain<IAdvanceReservationsGrain>(AdvanceReservationsKey.National).GetAsync(reservationId, cancellationToken);
        var hubs = reservation?.Shares.Select(s => s.HubId).Distinct().ToList() ?? [];
        var error = reservation is null
            ? new ValidationError("reservation", $"no reservation '{reservationId}' of tenant '{spec.Tenant}'")
            : AdvanceReservationRules.ValidateUse(
                reservationId, spec.Tenant, spec.Resources, spec.RunTime, reservation.Tenant, reservation.State == AdvanceReservationState.Cancelled,
                reservation.Shares.Select(s => s.Resources), reservation.Request.Start, reservation.Request.End, clock.Now)
            ?? (hubs.All(h => h == spec.OriginHub) ? null : new ValidationError("reservation", $"reservation '{reservationId}' is in hub {string.Join(", ", hubs)}: submit the job with that originHub"));
        return error is null ? null : SubmitResult.Refused(SubmitRefusal.NeverFits, [error]);
    }
}
