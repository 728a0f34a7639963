using ComputeGrid.Contracts;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// The grain calls of dependencies, shared by jobs and arrays that wait: registering with each target (which answers
/// where it stands), naming the targets nobody of the tenant knows, and nudging a dependent, a job or an array.
/// </summary>
internal static class DependencyTargets
{
    /// <summary>The prefix that marks an array among a target's dependents (job ids never contain ':').</summary>
    public const string ArrayPrefix = "array:";

    /// <summary>Registers <paramref name="dependentId"/> with every target of <paramref name="spec"/>; each target's status, or null when the tenant has no such target.</summary>
    public static async Task<DependencyStatus?[]> RegisterAsync(IGrainFactory grains, JobSpec spec, string dependentId, CancellationToken cancellationToken) =>
        await Task.WhenAll(spec.DependsOn!.Select(d => d.Target == DependencyTarget.Array
            ? grains.GetGrain<IJobArrayGrain>(d.TargetId).DependOnAsync(dependentId, spec.Tenant, cancellationToken)
            : grains.GetGrain<IJobGrain>(d.TargetId).DependOnAsync(dependentId, spec.Tenant, cancellationToken)));

    /// <summary>One error per target unknown to the tenant, naming its field under <paramref name="prefix"/>.</summary>
    public static List<ValidationError> Unknown(JobSpec spec, IReadOnlyList<DependencyStatus?> statuses, string prefix) =>
        [.. statuses.Select((s, i) => (s, i)).Where(x => x.s is null)
            .Select(x => new ValidationError(JobDependencies.TargetField(x.i, spec.DependsOn![x.i], prefix), JobDependencies.Unknown(spec.DependsOn![x.i], spec.Tenant)))];

    /// <summary>Nudges a dependent (a job, or an array marked with <see cref="ArrayPrefix"/>), one-way: a lost nudge is repaired by the dependent's reminder.</summary>
    public static void Nudge(IGrainFactory grains, string dependent, string targetId) =>
        _ = dependent.StartsWith(ArrayPrefix, StringComparison.Ordinal)
            ? grains.GetGrain<IJobArrayGrain>(dependent[ArrayPrefix.Length..]).OnDependencyChangedAsync(targetId)
            : grains.GetGrain<IJobGrain>(dependent).OnDependencyChangedAsync(targetId);
}
