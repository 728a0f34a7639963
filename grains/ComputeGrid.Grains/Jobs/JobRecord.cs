using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Grains.Jobs;

/// <summary>A job's persisted state; the <see cref="JobBook"/>'s sheet.</summary>
[GenerateSerializer, Alias("cg.JobRecord")]
internal sealed class JobRecord : IJobSheet
{
    /// <summary>The grain state's name in storage.</summary>
    public const string StateName = "job";

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

    /// <summary>Jobs waiting for this one (their dependencies name it), nudged when it starts or ends.</summary>
    [Id(11)] public List<string> Dependents { get; set; } = [];

    bool IJobSheet.HasOutcome => Outcome is not null;

    int IJobSheet.Steps => History.Count;

    /// <summary>The published and stored form of a step of the book.</summary>
    public static JobEvent EventOf(JobStep step) => new(step.JobId, step.Sequence, step.State, step.At, step.DataCenterId, step.Detail);

    bool IJobSheet.Entered(JobState state) => History.Exists(e => e.State == state);

    string? IJobSheet.DataCenterOfLast(JobState state) => History.FindLast(e => e.State == state)?.DataCenterId;

    void IJobSheet.Add(JobStep step) => History.Add(EventOf(step));
}
