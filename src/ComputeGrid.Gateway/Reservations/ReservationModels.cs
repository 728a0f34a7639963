using System.Text.Json.Serialization;
using ComputeGrid.Contracts.Reservations;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Gateway.Jobs;

namespace ComputeGrid.Gateway.Reservations;

/// <summary>
/// An advance reservation to make: capacity in exactly one of a data center or a hub (allotted over its data centers
/// now) for the window [start, end). Its id is the tenant, a dot and the Idempotency-Key (or a generated key).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CreateReservationBody
{
    /// <summary>The tenant whose jobs use it: a partner key may only name its own (the default); an operator key any.</summary>
    /// <example>acme</example>
    public string? Tenant { get; init; }

    /// <summary>What to reserve in all (one GPU model at most).</summary>
    public required ResourcesBody Resources { get; init; }

    /// <summary>The hub to reserve in (allotted over its data centers when it is made); give this or dataCenterId.</summary>
    /// <example>gansu</example>
    public string? HubId { get; init; }

    /// <summary>The data center to reserve in; give this or hubId.</summary>
    /// <example>qingyang-1</example>
    public string? DataCenterId { get; init; }

    /// <summary>When the window opens (ISO 8601, inclusive). At most 5 minutes in the past.</summary>
    /// <example>2026-12-08T08:00:00Z</example>
    public required DateTimeOffset Start { get; init; }

    /// <summary>When the window closes (ISO 8601, exclusive).</summary>
    /// <example>2026-12-08T20:00:00Z</example>
    public required DateTimeOffset End { get; init; }

    internal AdvanceReservationRequest ToRequest(string reservationId, string tenant) =>
        new(reservationId, tenant, new ResourceRequest(Resources.CpuMillicores, Resources.MemoryMiB, Resources.Gpus, Resources.GpuModel), HubId, DataCenterId, Start, End);
}

/// <summary>A reservation's share at one data center.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub (jobs using the reservation come from it).</param>
/// <param name="Resources">What it holds there; a job using the reservation fits one share.</param>
public sealed record ReservationShareView(string DataCenterId, string HubId, ResourcesView Resources);

/// <summary>An advance reservation.</summary>
/// <param name="ReservationId">Its id; jobs name it in <c>reservation</c>.</param>
/// <param name="Tenant">The only tenant whose jobs use it inside the window.</param>
/// <param name="Resources">What it reserves in all.</param>
/// <param name="HubId">The hub asked for; null when a data center was.</param>
/// <param name="DataCenterId">The data center asked for; null when a hub was.</param>
/// <param name="Start">When the window opens (UTC).</param>
/// <param name="End">When it closes (UTC).</param>
/// <param name="State">Scheduled, Open (inside the window), Ended or Cancelled.</param>
/// <param name="Shares">Where it holds capacity.</param>
/// <param name="CreatedAt">When it was made (UTC).</param>
/// <param name="ByOperator">Made by an operator (not bound by the tenant quota).</param>
/// <param name="CancelledAt">When it was cancelled; null when it was not.</param>
/// <param name="CancelReason">Why, and by whom.</param>
public sealed record ReservationView(
    string ReservationId,
    string Tenant,
    ResourcesView Resources,
    string? HubId,
    string? DataCenterId,
    DateTimeOffset Start,
    DateTimeOffset End,
    AdvanceReservationState State,
    IReadOnlyList<ReservationShareView> Shares,
    DateTimeOffset CreatedAt,
    bool ByOperator,
    DateTimeOffset? CancelledAt,
    string? CancelReason)
{
    internal static ReservationView Of(AdvanceReservation r) => new(
        r.ReservationId,
        r.Tenant,
        ResourcesOf(r.Request.Resources),
        r.Request.HubId,
        r.Request.DataCenterId,
        r.Request.Start,
        r.Request.End,
        r.State,
        [.. r.Shares.Select(s => new ReservationShareView(s.DataCenterId, s.HubId, ResourcesOf(s.Resources)))],
        r.CreatedAt,
        r.ByOperator,
        r.CancelledAt,
        r.CancelReason);

    private static ResourcesView ResourcesOf(ResourceRequest r) => new(r.CpuMillicores, r.MemoryMiB, r.Gpus, r.EffectiveGpuModel);
}
