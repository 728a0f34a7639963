namespace ComputeGrid.Domain.Jobs;

/// <summary>Where a job is in its lifecycle.</summary>
public enum JobState
{
    /// <summary>Accepted and persisted; placement not decided yet.</summary>
    Pending,

    /// <summary>Waiting in its origin region's queue for capacity.</summary>
    Queued,

    /// <summary>Capacity reserved in a data center; not started yet.</summary>
    Scheduled,

    /// <summary>Running in its data center.</summary>
    Running,

    /// <summary>Taken off its data center (recall or data-center loss); goes back to the queue.</summary>
    Preempted,

    /// <summary>Finished successfully. Terminal.</summary>
    Succeeded,

    /// <summary>Finished with an error. Terminal.</summary>
    Failed,

    /// <summary>Cancelled by its owner or an operator. Terminal.</summary>
    Cancelled,

    /// <summary>Accepted and waiting for the jobs it depends on; in no queue and holding nothing until they allow it.</summary>
    Blocked,

    /// <summary>A dependency can never be met (the job it waited for ended the wrong way). Terminal; it never ran.</summary>
    Unsatisfiable,
}

/// <summary>The legal transitions of a job.</summary>
public static class JobStateMachine
{
    /// <summary>True for Succeeded, Failed, Cancelled and Unsatisfiable.</summary>
    public static bool IsTerminal(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Unsatisfiable;

    /// <summary>True when the job holds a reservation in a data center.</summary>
    public static bool HoldsCapacity(this JobState state) => state is JobState.Scheduled or JobState.Running;

    /// <summary>True when <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(JobState from, JobState to) => (from, to) switch
    {
        (JobState.Pending, JobState.Queued or JobState.Scheduled or JobState.Cancelled or JobState.Blocked or JobState.Unsatisfiable) => true,
        (JobState.Blocked, JobState.Queued or JobState.Scheduled or JobState.Cancelled or JobState.Unsatisfiable) => true,
        (JobState.Queued, JobState.Scheduled or JobState.Cancelled) => true,
        (JobState.Scheduled, JobState.Running or JobState.Preempted or JobState.Cancelled or JobState.Failed) => true,
        (JobState.Running, JobState.Succeeded or JobState.Failed or JobState.Preempted or JobState.Cancelled) => true,
        (JobState.Preempted, JobState.Queued or JobState.Scheduled or JobState.Cancelled) => true,
        _ => false,
    };
}
