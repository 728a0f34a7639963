using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Contracts.Tenants;

/// <summary>One tenant's jobs by state and the footprint of its finished work.</summary>
[GenerateSerializer, Immutable, Alias("cg.TenantSummary")]
public sealed record TenantSummary(
    [property: Id(0)] string Tenant,
    [property: Id(1)] IReadOnlyDictionary<JobState, int> JobsByState,
    [property: Id(2)] Footprint Executed);

/// <summary>One run of a job to book in its tenant's accounts, once per <paramref name="BookingId"/>.</summary>
[GenerateSerializer, Immutable, Alias("cg.TenantBooking")]
public sealed record TenantBooking(
    [property: Id(0)] string BookingId,
    [property: Id(1)] Footprint Used);
