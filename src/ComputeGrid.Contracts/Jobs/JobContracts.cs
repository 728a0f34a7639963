using ComputeGrid.Domain;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;

namespace ComputeGrid.Contracts.Jobs;

/// <summary>One transition of a job, as published on its event stream and kept in its history.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Sequence">1, 2, 3... per job, without gaps; watchers use it to drop duplicates and detect gaps.</param>
/// <param name="State">The state entered.</param>
/// <param name="At">When, on the federation's clock.</param>
/// <param name="DataCenterId">The data center involved, if any.</param>
/// <param name="Detail">Why, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.JobEvent")]
public sealed record JobEvent(
    [property: Id(0)] string JobId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] JobState State,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] string? DataCenterId,
    [property: Id(5)] string Detail);

/// <summary>Everything known about one job.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Spec">As submitted.</param>
/// <param name="State">Its current state.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="StartedAt">When it started running, if it did.</param>
/// <param name="FinishedAt">When it reached a terminal state, if it did.</param>
/// <param name="Placement">Where it runs or ran, and why; null while pending or queued.</param>
/// <param name="Actual">Its actual footprint, once it finished after running.</param>
/// <param name="History">Every transition, oldest first.</param>
/// <param name="Outcome">For a job with a command that ended: its exit code and the tail of its output.</param>
[GenerateSerializer, Immutable, Alias("cg.JobSnapshot")]
public sealed record JobSnapshot(
    [property: Id(0)] string JobId,
    [property: Id(1)] JobSpec Spec,
    [property: Id(2)] JobState State,
    [property: Id(3)] DateTimeOffset SubmittedAt,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? FinishedAt,
    [property: Id(6)] JobPlacement? Placement,
    [property: Id(7)] Footprint? Actual,
    [property: Id(8)] IReadOnlyList<JobEvent> History,
    [property: Id(9)] JobOutcome? Outcome = null);

/// <summary>How a job's process ended, as its agent reported it.</summary>
/// <param name="ExitCode">The exit code (128 + signal when killed by one); null when the process was lost or never started.</param>
/// <param name="OutputTail">The last bytes of its stdout and stderr together (at most 4 KiB).</param>
/// <param name="TimedOut">Killed at its wall-time limit.</param>
[GenerateSerializer, Immutable, Alias("cg.JobOutcome")]
public sealed record JobOutcome([property: Id(0)] int? ExitCode, [property: Id(1)] string? OutputTail, [property: Id(2)] bool TimedOut);

/// <summary>Why a submission was refused.</summary>
[GenerateSerializer, Alias("cg.SubmitRefusal")]
public enum SubmitRefusal
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>A field is invalid (see the errors).</summary>
    Invalid,

    /// <summary>The job can never run anywhere in the pool as specified (see the errors).</summary>
    NeverFits,

    /// <summary>The job id exists with a different specification.</summary>
    Conflict,
}

/// <summary>The answer to a submission: the job, or why it was refused (then nothing was changed).</summary>
/// <param name="Job">The job when accepted (also when the same submission is repeated).</param>
/// <param name="Refusal">Why it was refused, or None.</param>
/// <param name="Errors">The fields and reasons when refused.</param>
[GenerateSerializer, Immutable, Alias("cg.SubmitResult")]
public sealed record SubmitResult(
    [property: Id(0)] JobSnapshot? Job,
    [property: Id(1)] SubmitRefusal Refusal,
    [property: Id(2)] IReadOnlyList<ValidationError> Errors)
{
    /// <summary>An accepted submission.</summary>
    public static SubmitResult Accepted(JobSnapshot job) => new(job, SubmitRefusal.None, []);

    /// <summary>A refused submission.</summary>
    public static SubmitResult Refused(SubmitRefusal refusal, IReadOnlyList<ValidationError> errors) => new(null, refusal, errors);
}

/// <summary>One row of a job listing.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="State">Its state when the row was written.</param>
/// <param name="OriginHub">Its origin hub.</param>
/// <param name="DataCenterId">Where it runs or ran, if placed.</param>
/// <param name="SubmittedAt">When it was accepted.</param>
/// <param name="Sequence">The row's place in the tenant's listing (submission order).</param>
/// <param name="Version">The job's last event sequence; an index keeps the highest it has seen.</param>
[GenerateSerializer, Immutable, Alias("cg.JobSummary")]
public sealed record JobSummary(
    [property: Id(0)] string JobId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] JobState State,
    [property: Id(3)] string OriginHub,
    [property: Id(4)] string? DataCenterId,
    [property: Id(5)] DateTimeOffset SubmittedAt,
    [property: Id(6)] long Sequence,
    [property: Id(7)] long Version);

/// <summary>A page of a job listing, newest first.</summary>
/// <param name="Jobs">The rows.</param>
/// <param name="NextCursor">Pass back to get the next page; null on the last page.</param>
[GenerateSerializer, Immutable, Alias("cg.JobPage")]
public sealed record JobPage([property: Id(0)] IReadOnlyList<JobSummary> Jobs, [property: Id(1)] string? NextCursor);
