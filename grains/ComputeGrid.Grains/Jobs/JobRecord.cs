using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Grains.Jobs;

/// <summary>A job's persisted state.</summary>
[GenerateSerializer, Alias("cg.JobRecord")]
internal sealed class JobRecord
{
    [Id(0)] public JobSpec? Spec { get; set; }

    [Id(1)] public JobState State { get; set; }

    [Id(2)] public DateTimeOffset SubmittedAt { get; set; }

    [Id(3)] public DateTimeOffset? StartedAt { get; set; }

    [Id(4)] public DateTimeOffset? FinishedAt { get; set; }

    [Id(5)] public JobPlacement? Placement { get; set; }

    [Id(7)] public Footprint? Actual { get; set; }

    [Id(8)] public List<JobEvent> History { get; set; } = [];

    /// <summary>The footprint of the last run, booked when it ended (kept so that a repeated exit books the same).</summary>
    [Id(9)] public Footprint? LastRun { get; set; }

    /// <summary>How its process ended, for a job with a command.</summary>
    [Id(10)] public JobOutcome? Outcome { get; set; }
}
