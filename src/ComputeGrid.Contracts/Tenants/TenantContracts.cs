using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Contracts.Tenants;

/// <summary>One tenant's jobs by state and the footprint of its finished work.</summary>
[GenerateSerializer, Immutable, Alias("cg.TenantSummary")]
public sealed record TenantSummary(
    [property: Id(0)] string Tenant,
    [property: Id(1)] IReadOnlyDictionary<JobState, int> JobsByState,
    [property: Id(2)] Footprint Executed);
