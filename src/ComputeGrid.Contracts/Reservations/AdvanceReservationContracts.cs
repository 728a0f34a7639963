using ComputeGrid.Domain;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Contracts.Reservations;

/// <summary>
/// An advance reservation to make (Slurm's <c>scontrol create reservation</c>): capacity in one data center, or in a hub
/// (allotted over its data centers when it is made), for one tenant over the window [Start, End).
/// </summary>
/// <param name="ReservationId">Its id: 1..128 letters, digits, '.', '_' and '-'; the same id and request again is answered with the same reservation.</param>
/// <param name="Tenant">The only tenant whose jobs use it inside the window.</param>
/// <param name="Resources">What it reserves in all (one GPU model at most).</param>
/// <param name="HubId">The hub to reserve in; null when <paramref name="DataCenterId"/> is given (exactly one of the two).</param>
/// <param name="DataCenterId">The data center to reserve in; null when <paramref name="HubId"/> is given.</param>
/// <param name="Start">When the window opens (inclusive).</param>
/// <param name="End">When it closes (exclusive).</param>
[GenerateSerializer, Immutable, Alias("cg.AdvanceReservationRequest")]
public sealed record AdvanceReservationRequest(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] ResourceRequest Resources,
    [property: Id(3)] string? HubId,
    [property: Id(4)] string? DataCenterId,
    [property: Id(5)] DateTimeOffset Start,
    [property: Id(6)] DateTimeOffset End);

/// <summary>A reservation's share at one data center.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="Resources">What it holds there.</param>
/// <param name="HubId">The data center's hub (a job using the reservation is submitted there).</param>
[GenerateSerializer, Immutable, Alias("cg.AdvanceReservationShare")]
public sealed record AdvanceReservationShare([property: Id(0)] string DataCenterId, [property: Id(1)] ResourceRequest Resources, [property: Id(2)] string HubId);

/// <summary>Where an advance reservation stands.</summary>
[GenerateSerializer, Alias("cg.AdvanceReservationState")]
public enum AdvanceReservationState
{
    /// <summary>Admitted; the window has not opened.</summary>
    Scheduled,

    /// <summary>Inside the window: its capacity is its tenant's.</summary>
    Open,

    /// <summary>The window closed.</summary>
    Ended,

    /// <summary>Cancelled by its tenant or an operator: its capacity was freed at once.</summary>
    Cancelled,
}

/// <summary>An advance reservation as made.</summary>
/// <param name="Request">What was asked.</param>
/// <param name="Shares">Where it holds capacity, one share per data center (one for a data center's reservation).</param>
/// <param name="State">Where it stands at the time of the read.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ByOperator">Made by an operator (not bound by the tenant quota).</param>
/// <param name="CancelledAt">When it was cancelled; null when it was not.</param>
/// <param name="CancelReason">Why it was cancelled, and by whom.</param>
[GenerateSerializer, Immutable, Alias("cg.AdvanceReservation")]
public sealed record AdvanceReservation(
    [property: Id(0)] AdvanceReservationRequest Request,
    [property: Id(1)] IReadOnlyList<AdvanceReservationShare> Shares,
    [property: Id(2)] AdvanceReservationState State,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] bool ByOperator,
    [property: Id(5)] DateTimeOffset? CancelledAt = null,
    [property: Id(6)] string? CancelReason = null)
{
    /// <summary>Its id.</summary>
    public string ReservationId => Request.ReservationId;

    /// <summary>Its tenant.</summary>
    public string Tenant => Request.Tenant;
}

/// <summary>Why a reservation was not made.</summary>
[GenerateSerializer, Alias("cg.AdvanceReservationRefusal")]
public enum AdvanceReservationRefusal
{
    /// <summary>It was made (or was already).</summary>
    None,

    /// <summary>The request is malformed: a field's value, or a hub, data center or GPU model the pool does not know (REST 400).</summary>
    Invalid,

    /// <summary>It cannot be honoured now: at some instant of the window the capacity is promised to jobs or other reservations (REST 409).</summary>
    Conflict,

    /// <summary>
    /// It can never be honoured as asked: more than its hub or data center has in all, or a GPU model none of them has;
    /// over the tenant's quota or the operator's bounds; or its id is taken by another request (REST 422).
    /// </summary>
    Rejected,
}

/// <summary>The answer to making a reservation.</summary>
/// <param name="Reservation">The reservation; null when refused.</param>
/// <param name="Refusal">Why not.</param>
/// <param name="Errors">Each problem, naming its field.</param>
[GenerateSerializer, Immutable, Alias("cg.AdvanceReservationResult")]
public sealed record AdvanceReservationResult(
    [property: Id(0)] AdvanceReservation? Reservation,
    [property: Id(1)] AdvanceReservationRefusal Refusal,
    [property: Id(2)] IReadOnlyList<ValidationError> Errors);

/// <summary>A reservation's window at one data center as the data center holds it (what the backfill planner must keep clear).</summary>
/// <param name="ReservationId">The reservation.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="Resources">Its share here.</param>
/// <param name="Start">When it opens.</param>
/// <param name="End">When it closes.</param>
/// <param name="Open">True while its share is held in the ledger.</param>
/// <param name="Used">What its jobs hold inside it.</param>
/// <param name="Jobs">How many of its jobs hold capacity inside it.</param>
[GenerateSerializer, Immutable, Alias("cg.ReservationWindowView")]
public sealed record ReservationWindowView(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] ResourceRequest Resources,
    [property: Id(3)] DateTimeOffset Start,
    [property: Id(4)] DateTimeOffset End,
    [property: Id(5)] bool Open,
    [property: Id(6)] ResourceVector Used,
    [property: Id(7)] int Jobs);

/// <summary>Well-known key of the reservations grain.</summary>
public static class AdvanceReservationsKey
{
    /// <summary>The one national book of advance reservations.</summary>
    public const string National = "national";
}

/// <summary>
/// The national book of advance reservations (key: <see cref="AdvanceReservationsKey.National"/>): it validates a request
/// (and a tenant's quota), allots a hub's over its data centers, has each data center admit its share (the data center is
/// the authority over its capacity), and keeps every reservation for reads and cancels.
/// </summary>
[Alias("cg.IAdvanceReservationsGrain")]
public interface IAdvanceReservationsGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes a reservation: admitted at every data center of its allotment, or refused whole (Conflict, the reason naming
    /// the field), never partly. <paramref name="byOperator"/>: not bound by the tenant quota. Idempotent by id and request.
    /// </summary>
    [Alias("Create")]
    Task<AdvanceReservationResult> CreateAsync(AdvanceReservationRequest request, bool byOperator, CancellationToken cancellationToken = default);

    /// <summary>The reservation, or null when none has this id.</summary>
    [Alias("Get")]
    Task<AdvanceReservation?> GetAsync(string reservationId, CancellationToken cancellationToken = default);

    /// <summary>Reservations newest first: of one tenant, or every tenant's when <paramref name="tenant"/> is null.</summary>
    [Alias("List")]
    Task<IReadOnlyList<AdvanceReservation>> ListAsync(string? tenant, CancellationToken cancellationToken = default);

    /// <summary>Cancels a reservation: its capacity is free at once at every data center. Null when none has this id; idempotent.</summary>
    [Alias("Cancel")]
    Task<AdvanceReservation?> CancelAsync(string reservationId, string reason, CancellationToken cancellationToken = default);
}
