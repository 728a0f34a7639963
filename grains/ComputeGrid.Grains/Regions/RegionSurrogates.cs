using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Grains.Regions;

// How the region book's entries are stored: the shapes (aliases and ids) they had as grain records, so shards written
// before and after read the same.

[GenerateSerializer, Alias("cg.QueuedJobRecord")]
internal struct WaitingJobSurrogate
{
    [Id(0)] public string JobId;

    [Id(1)] public JobSpec Spec;

    [Id(2)] public long Sequence;

    [Id(3)] public DateTimeOffset EnqueuedAt;

    [Id(4)] public string? AnnouncedHub;
}

[RegisterConverter]
internal sealed class WaitingJobConverter : IConverter<WaitingJob, WaitingJobSurrogate>
{
    public WaitingJob ConvertFromSurrogate(in WaitingJobSurrogate s) => new(s.JobId, s.Spec, s.Sequence, s.EnqueuedAt) { AnnouncedHub = s.AnnouncedHub };

    public WaitingJobSurrogate ConvertToSurrogate(in WaitingJob v) =>
        new() { JobId = v.JobId, Spec = v.Spec, Sequence = v.Sequence, EnqueuedAt = v.EnqueuedAt, AnnouncedHub = v.AnnouncedHub };
}

[GenerateSerializer, Alias("cg.PlacedJobRecord")]
internal struct PlacedJobSurrogate
{
    [Id(0)] public string Tenant;

    [Id(1)] public ResourceRequest Resources;

    [Id(2)] public JobPlacement Placement;

    /// <summary>The job's priority plus 1 (0: written before placed jobs kept it, unknown, and never preempted).</summary>
    [Id(3)] public int PriorityPlusOne;

    /// <summary>When the job ends at the latest (placement plus run time); null in records written before it was kept.</summary>
    [Id(4)] public DateTimeOffset? EndsBy;
}

[RegisterConverter]
internal sealed class PlacedJobConverter : IConverter<PlacedJob, PlacedJobSurrogate>
{
    public PlacedJob ConvertFromSurrogate(in PlacedJobSurrogate s) =>
        new(s.Tenant, s.Resources, s.Placement) { Priority = s.PriorityPlusOne > 0 ? s.PriorityPlusOne - 1 : null, EndsBy = s.EndsBy };

    public PlacedJobSurrogate ConvertToSurrogate(in PlacedJob v) =>
        new() { Tenant = v.Tenant, Resources = v.Resources, Placement = v.Placement, PriorityPlusOne = v.Priority is { } p ? p + 1 : 0, EndsBy = v.EndsBy };
}
