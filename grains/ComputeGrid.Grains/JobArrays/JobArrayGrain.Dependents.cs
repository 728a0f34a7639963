using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Grains.JobArrays;

/// <summary>
/// Jobs that depend on the whole array: recorded with the array's next write (durable before the registration answers),
/// and nudged after a write that moved the array to a point a condition can turn on (every element started, one ended
/// without succeeding, every element ended). A nudge lost in a crash is repaired by the dependent's own reminder.
/// </summary>
internal sealed partial class JobArrayGrain
{
    // The point of the last nudge: (every element started, one failed, every element ended).
    private (bool AllStarted, bool AnyFailed, bool AllEnded)? _nudgedAt;

    public async Task<DependencyStatus?> DependOnAsync(string dependentId, string tenant, CancellationToken cancellationToken = default)
    {
        if (Record.Template is not { } template || template.Tenant != tenant || _book is not { } book)
        {
            return null;
        }

        if (!book.AllEnded && !Record.Dependents.Contains(dependentId))
        {
            Record.Dependents.Add(dependentId);
            _dirty = true;
            await Commit.CommitAsync();
        }

        return StatusForDependents();
    }

    private DependencyStatus StatusForDependents() => DependencyStatus.OfArray(Record.Count, _book!.Counts);

    /// <summary>After a write: nudges the dependents when the array reached a new point since the last nudge.</summary>
    private void NudgeDependents()
    {
        if (Record.Dependents.Count == 0 || _book is null)
        {
            return;
        }

        var status = StatusForDependents();
        var at = (status.Started == status.Total, status.Ended > status.Succeeded, status.IsFinal);
        if (_nudgedAt == at)
        {
            return;
        }

        _nudgedAt = at;
        foreach (var dependent in Record.Dependents)
        {
            _ = GrainFactory.GetGrain<IJobGrain>(dependent).OnDependencyChangedAsync(ArrayId);
        }
    }
}
