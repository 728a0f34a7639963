using ComputeGrid.Client.Telemetry;
using ComputeGrid.Contracts.Audit;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Reservations;

namespace ComputeGrid.Client;

/// <summary>Advance reservations: a tenant's within its quota, an operator's (audited) without.</summary>
public sealed partial class ComputeGridClient
{
    private IAdvanceReservationsGrain Reservations => cluster.GetGrain<IAdvanceReservationsGrain>(AdvanceReservationsKey.National);

    /// <inheritdoc />
    public Task<AdvanceReservation> CreateReservationAsync(AdvanceReservationRequest request, CancellationToken cancellationToken = default) =>
        CreateReservationAsync(request, byOperator: false, cancellationToken);

    /// <inheritdoc />
    public async Task<AdvanceReservation> GetReservationAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        RequireReservationId(reservationId);
        return await _policy.RunAsync("get reservation", ct => Reservations.GetAsync(reservationId, ct), cancellationToken) ?? throw NoReservation(reservationId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AdvanceReservation>> ListReservationsAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        return await _policy.RunAsync("list reservations", ct => Reservations.ListAsync(tenant, ct), cancellationToken);
    }

    /// <inheritdoc />
    public Task<AdvanceReservation> CancelReservationAsync(string reservationId, string reason = "cancelled by its tenant", CancellationToken cancellationToken = default) =>
        CancelReservationCoreAsync(reservationId, reason, cancellationToken);

    /// <inheritdoc />
    async Task<AdvanceReservation> IComputeGridAdmin.CreateReservationAsync(AdvanceReservationRequest request, CancellationToken cancellationToken)
    {
        AdvanceReservation? made = null;
        await AuditedAsync(AuditActions.ReservationCreate, request?.ReservationId ?? string.Empty, async () =>
        {
            made = await CreateReservationAsync(request!, byOperator: true, cancellationToken);
            return $"{made.Tenant}: {made.Request.Resources} over [{made.Request.Start:O}, {made.Request.End:O}) at {string.Join(", ", made.Shares.Select(s => s.DataCenterId))}";
        });
        return made!;
    }

    /// <inheritdoc />
    async Task<IReadOnlyList<AdvanceReservation>> IComputeGridAdmin.ListReservationsAsync(CancellationToken cancellationToken) =>
        await _policy.RunAsync("list reservations", ct => Reservations.ListAsync(null, ct), cancellationToken);

    /// <inheritdoc />
    async Task<AdvanceReservation> IComputeGridAdmin.CancelReservationAsync(string reservationId, string reason, CancellationToken cancellationToken)
    {
        // Only a change is audited: cancelling one already cancelled (or ended) answers it as it is and writes nothing.
        if (AdvanceReservationRules.IsValidId(reservationId)
            && await _policy.RunAsync("get reservation", ct => Reservations.GetAsync(reservationId, ct), cancellationToken) is { State: AdvanceReservationState.Cancelled or AdvanceReservationState.Ended })
        {
            return await CancelReservationCoreAsync(reservationId, reason, cancellationToken);
        }

        AdvanceReservation? cancelled = null;
        await AuditedAsync(AuditActions.ReservationCancel, reservationId ?? string.Empty, async () =>
        {
            cancelled = await CancelReservationCoreAsync(reservationId!, reason, cancellationToken);
            return reason;
        });
        return cancelled!;
    }

    private async Task<AdvanceReservation> CreateReservationAsync(AdvanceReservationRequest request, bool byOperator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = ClientTracing.Start("create reservation", tenant: request.Tenant, hub: request.HubId);
        var result = await _policy.RunAsync("create reservation", ct => Reservations.CreateAsync(request, byOperator, ct), cancellationToken);
        return result.Refusal switch
        {
            AdvanceReservationRefusal.None => result.Reservation!,
            AdvanceReservationRefusal.Conflict => throw new ReservationRefusedException(result.Errors),
            AdvanceReservationRefusal.Rejected => throw new ReservationRejectedException(result.Errors),
            _ => throw new ComputeGridValidationException(result.Errors),
        };
    }

    private async Task<AdvanceReservation> CancelReservationCoreAsync(string reservationId, string reason, CancellationToken cancellationToken)
    {
        RequireReservationId(reservationId);
        return await _policy.RunAsync("cancel reservation", ct => Reservations.CancelAsync(reservationId, reason ?? string.Empty, ct), cancellationToken) ?? throw NoReservation(reservationId);
    }

    private static void RequireReservationId(string reservationId)
    {
        if (!AdvanceReservationRules.IsValidId(reservationId))
        {
            throw new ComputeGridValidationException([new ValidationError("reservationId", $"must be 1-{AdvanceReservationRules.MaxIdLength} characters of letters, digits, '.', '_' and '-'")]);
        }
    }

    private static ComputeGridNotFoundException NoReservation(string reservationId) => new($"no reservation '{reservationId}'");
}
