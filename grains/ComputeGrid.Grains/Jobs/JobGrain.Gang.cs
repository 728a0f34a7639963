using ComputeGrid.Contracts.Gangs;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Telemetry;

namespace ComputeGrid.Grains.Jobs;

/// <summary>A job as a gang member: started by its gang at the placement the gang reserved, and reporting each step back to it.</summary>
internal sealed partial class JobGrain
{
    public async Task<bool> StartMemberAsync(JobSpec spec, JobPlacement placement, CancellationToken cancellationToken = default)
    {
        using var activity = GridTracing.Start("start gang member", JobId, spec.Tenant, placement.HubId, placement.DataCenterId);
        var start = Book.StartMember(spec, placement, clock.Now);
        if (start.Steps.Count == 0)
        {
            if (start.Holds)
            {
                // A repeat: the data center starts it once.
                await StartAsync(cancellationToken);
            }

            return start.Holds;
        }

        _settling++;
        try
        {
            Count(start.Steps);
            await PersistAsync(cancellationToken);
            await Task.WhenAll(PublishAsync(start.Steps), StartAsync(cancellationToken));
            return true;
        }
        finally
        {
            _settling--;
        }
    }

    /// <summary>Tells a member's gang of its latest step (one-way): a member's failure or preemption is the gang's to act on.</summary>
    private void NotifyGang(JobSpec spec, IReadOnlyList<JobStep> steps)
    {
        if (spec.Gang is { Member: { } member } gang && steps.Count > 0)
        {
            _ = GrainFactory.GetGrain<IGangGrain>(gang.GangId).OnMemberChangedAsync(member, gang.Attempt, steps[^1].State, steps[^1].Detail);
        }
    }
}
