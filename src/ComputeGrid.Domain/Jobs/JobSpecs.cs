namespace ComputeGrid.Domain.Jobs;

/// <summary>Comparison of specifications for idempotent submission.</summary>
public static class JobSpecs
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
        && a.AllowedHubs.ToHashSet(StringComparer.Ordinal).SetEquals(b.AllowedHubs ?? [])
        && SameCommand(a.Command, b.Command)
        && a.ArrayId == b.ArrayId
        && a.ArrayIndex == b.ArrayIndex
        && a.MaxPriceCny == b.MaxPriceCny
        && JobDependencies.AreSame(a.DependsOn, b.DependsOn)
        && a.Preemption == b.Preemption
        && a.Gang == b.Gang;

    private static bool SameCommand(JobCommand? a, JobCommand? b) =>
        a is null || b is null
            ? a is null && b is null
            : a.Executable == b.Executable
              && a.Arguments.SequenceEqual(b.Arguments)
              && a.Environment.Count == b.Environment.Count
              && a.Environment.All(e => b.Environment.TryGetValue(e.Key, out var v) && v == e.Value)
              && a.WorkingDirectory == b.WorkingDirectory
              && a.RequeueIfLost == b.RequeueIfLost;
}
