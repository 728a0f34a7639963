using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Domain.Tests;

/// <summary>A job's state as the grain's record holds it, in memory: the sheet the job book tests read and write.</summary>
internal sealed class TestJobSheet : IJobSheet
{
    public List<JobStep> History { get; } = [];

    public JobSpec? Spec { get; set; }

    public JobState State { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public JobPlacement? Placement { get; set; }

    public Footprint? Actual { get; set; }

    public Footprint? LastRun { get; set; }

    public bool HasOutcome { get; set; }

    public int Steps => History.Count;

    public bool Entered(JobState state) => History.Exists(s => s.State == state);

    public string? DataCenterOfLast(JobState state) => History.FindLast(s => s.State == state)?.DataCenterId;

    public void Add(JobStep step) => History.Add(step);
}
