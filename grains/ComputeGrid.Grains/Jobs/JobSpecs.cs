using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Jobs;

/// <summary>Comparison of specifications for idempotent submission.</summary>
internal static class JobSpecs
{
    /// <summary>True when two submissions ask for the same job (allowed hubs compared as sets).</summary>
    public static bool AreSame(JobSpec a, JobSpec b) =>
        a.Tenant == b.Tenant
        && a.OriginHub == b.OriginHub
        && a.Resources == b.Resources
        && a.RunTime == b.RunTime
        && a.LatencyClass == b.LatencyClass
        && a.Priority == b.Priority
        && a.Policy == b.Policy
        && a.InputDataGiB.Equals(b.InputDataGiB)
        && a.AllowedHubs.ToHashSet(StringComparer.Ordinal).SetEquals(b.AllowedHubs ?? []);
}
