using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Jobs;

/// <summary>
/// A job's state as its book reads and writes it. The job grain's persisted record is one, so the book changes exactly
/// what the grain writes and there is one copy of the job in memory.
/// </summary>
public interface IJobSheet
{
    /// <summary>The specification as submitted; null for a job never accepted.</summary>
    JobSpec? Spec { get; set; }

    /// <summary>Where the job is in its lifecycle.</summary>
    JobState State { get; set; }

    /// <summary>When it was accepted.</summary>
    DateTimeOffset SubmittedAt { get; set; }

    /// <summary>When its current run started; null when it is not running.</summary>
    DateTimeOffset? StartedAt { get; set; }

    /// <summary>When it ended.</summary>
    DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Where it holds capacity (kept once it ended, for the exit); null while it waits.</summary>
    JobPlacement? Placement { get; set; }

    /// <summary>The footprint of its runs so far.</summary>
    Footprint? Actual { get; set; }

    /// <summary>The footprint of its last run, booked when it ended (so a repeated exit books the same).</summary>
    Footprint? LastRun { get; set; }

    /// <summary>True when the job's process outcome (exit code, output) is recorded.</summary>
    bool HasOutcome { get; }

    /// <summary>How many steps the job's history has.</summary>
    int Steps { get; }

    /// <summary>True when the history has a step into <paramref name="state"/>.</summary>
    bool Entered(JobState state);

    /// <summary>The data center of the last step into <paramref name="state"/>, if any.</summary>
    string? DataCenterOfLast(JobState state);

    /// <summary>Appends one step to the history.</summary>
    void Add(JobStep step);
}

/// <summary>One step of a job's history, as the book records it.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Sequence">1, 2, 3, ... in order.</param>
/// <param name="From">The state left; null for the acceptance.</param>
/// <param name="State">The state entered.</param>
/// <param name="At">When (federation clock).</param>
/// <param name="DataCenterId">The data center involved, if any.</param>
/// <param name="Detail">Why, in a sentence.</param>
/// <param name="FirstPlacedAfter">For the job's first Scheduled step: how long it waited since its acceptance.</param>
public sealed record JobStep(string JobId, long Sequence, JobState? From, JobState State, DateTimeOffset At, string? DataCenterId, string Detail, TimeSpan? FirstPlacedAfter = null);

/// <summary>What a submission does.</summary>
public enum SubmitVerdict
{
    /// <summary>Place it (a new job, or one whose acceptance was never written past Pending).</summary>
    Place,

    /// <summary>The same job was accepted already: answer what it is (an idempotent retry).</summary>
    Known,

    /// <summary>A job with this id exists with another specification.</summary>
    Conflict,

    /// <summary>The specification is malformed.</summary>
    Invalid,
}

/// <summary>A submission's verdict and, when refused, why.</summary>
/// <param name="Verdict">What to do.</param>
/// <param name="Errors">The fields at fault, for Conflict and Invalid.</param>
public sealed record JobSubmission(SubmitVerdict Verdict, IReadOnlyList<ValidationError> Errors);

/// <summary>An assignment's answer and the steps to write (none for a retry or a refusal).</summary>
/// <param name="Holds">True when the job holds (or now takes) the placement at that data center.</param>
/// <param name="Steps">Write, publish, then start the job.</param>
public sealed record JobAssignment(bool Holds, IReadOnlyList<JobStep> Steps);

/// <summary>
/// Gives a job's capacity back and books its run, once the state that ended the run is durable: stop and release at the
/// data center, tell the origin region (for an ended job), book the tenant and the meter. Every part is idempotent.
/// </summary>
/// <param name="DataCenterId">Where it ran.</param>
/// <param name="BookingId">The booking's id at the tenant and the meter (the job id, or <c>job#step</c> for a preempted run).</param>
/// <param name="Used">The run's footprint.</param>
/// <param name="RanFor">How long it ran.</param>
/// <param name="Placement">The placement it ran under.</param>
/// <param name="From">When the run started; null when it never did.</param>
/// <param name="To">When it ended.</param>
/// <param name="ToRegion">True when the origin region is told the job left (an ended job; a preempted one is requeued).</param>
public sealed record JobRelease(string DataCenterId, string BookingId, Footprint Used, TimeSpan RanFor, JobPlacement Placement, DateTimeOffset? From, DateTimeOffset To, bool ToRegion);

/// <summary>A job's end (or preemption): the step to write and publish, and then what to release.</summary>
/// <param name="Steps">Write, then publish (empty: nothing to do, e.g. a cancel of an ended job).</param>
/// <param name="Release">What to give back once durable; null when it held nothing.</param>
/// <param name="Dequeue">True when the job waited in its region's queue: take it out once durable.</param>
public sealed record JobEnding(IReadOnlyList<JobStep> Steps, JobRelease? Release, bool Dequeue = false);

/// <summary>What reconciliation's nudge makes a job do.</summary>
public enum JobDriveAction
{
    /// <summary>Nothing (unknown job, or an ended one that ran nowhere).</summary>
    None,

    /// <summary>Repeat the exit of an ended job (<see cref="JobDrive.Release"/>).</summary>
    Exit,

    /// <summary>Hand a placed job to its data center again.</summary>
    Start,

    /// <summary>Ask the origin region to place it.</summary>
    Place,

    /// <summary>Ask the origin region to place a preempted job again.</summary>
    Requeue,

    /// <summary>Read the dependencies of a blocked job again.</summary>
    Unblock,
}

/// <summary>What reconciliation's nudge does.</summary>
/// <param name="Action">The action.</param>
/// <param name="Release">For <see cref="JobDriveAction.Exit"/>: what to release again.</param>
public sealed record JobDrive(JobDriveAction Action, JobRelease? Release = null);

/// <summary>
/// One job's book: its state machine (submit with idempotency, assign, running, ended, cancel, preempt and requeue, the
/// nudges of reconciliation) and the footprint of its runs. Each call changes the sheet and returns the steps to write
/// and then publish, and what to release or start once they are durable. Every call is idempotent: a repeat finds the
/// job past it and returns no step.
/// </summary>
/// <param name="jobId">The job's id.</param>
/// <param name="sheet">The job's state.</param>
/// <param name="power">The power model, for footprints.</param>
/// <param name="transferCnyPerGiB">The price of moving a GiB of input to another hub, CNY.</param>
public sealed class JobBook(string jobId, IJobSheet sheet, PowerModel power, double transferCnyPerGiB)
{
    /// <summary>The job's id.</summary>
    public string JobId { get; } = jobId;

    /// <summary>True for a queued job: it waits in its region's queue and in storage, and needs no activation.</summary>
    public bool RestsWhileQueued => sheet.State == JobState.Queued;

    /// <summary>True for a job waiting for its dependencies.</summary>
    public bool IsBlocked => sheet.State == JobState.Blocked;

    /// <summary>True when a job whose process the agent lost runs again elsewhere (its command allows it).</summary>
    public bool RequeuesWhenLost => sheet.Spec?.Command is { RequeueIfLost: true };

    /// <summary>
    /// A submission: a new valid job is placed; the same job again answers what it is (or is placed again when its
    /// acceptance never got past Pending); another job under the same id is a conflict.
    /// </summary>
    public JobSubmission Submit(JobSpec spec)
    {
        if (sheet.Spec is { } existing)
        {
            if (!JobSpecs.AreSame(existing, spec))
            {
                return new(SubmitVerdict.Conflict, [new ValidationError("jobId", $"job '{JobId}' already exists with a different specification")]);
            }

            return new(sheet.State == JobState.Pending ? SubmitVerdict.Place : SubmitVerdict.Known, []);
        }

        var errors = JobSpecRules.ValidateShape(spec);
        return new(errors.Count > 0 ? SubmitVerdict.Invalid : SubmitVerdict.Place, errors);
    }

    /// <summary>
    /// The submission's placement came back: accepted (Pending, once) and Scheduled at <paramref name="placement"/>, or
    /// Queued (with the region's <paramref name="queuedDetail"/>). One write covers both steps.
    /// </summary>
    public IReadOnlyList<JobStep> Accept(JobSpec spec, JobPlacement? placement, string? queuedDetail, DateTimeOffset now)
    {
        if (sheet.Spec is null)
        {
            sheet.Spec = spec;
            sheet.State = JobState.Pending;
            sheet.SubmittedAt = now;
        }

        var steps = Accepted(now);
        if (placement is not null)
        {
            sheet.Placement = placement;
            steps.Add(Enter(JobState.Scheduled, placement.DataCenterId, placement.Reason, now));
        }
        else
        {
            steps.Add(Enter(JobState.Queued, null, queuedDetail ?? $"no feasible data center has room now; waiting in {sheet.Spec.OriginHub}'s queue", now));
        }

        return steps;
    }

    /// <summary>
    /// A submission whose dependencies are not all met yet: accepted (Pending, once) and Blocked, saying what it waits
    /// for. One write covers both steps. Nothing for a job past Pending (a retry).
    /// </summary>
    public IReadOnlyList<JobStep> Block(JobSpec spec, string waitingFor, DateTimeOffset now)
    {
        if (sheet.Spec is null)
        {
            sheet.Spec = spec;
            sheet.State = JobState.Pending;
            sheet.SubmittedAt = now;
        }

        if (sheet.State != JobState.Pending)
        {
            return [];
        }

        var steps = Accepted(now);
        steps.Add(Enter(JobState.Blocked, null, waitingFor, now));
        return steps;
    }

    /// <summary>
    /// A dependency can never be met: the job (accepted first if it was not) ends Unsatisfiable with the reason. It never
    /// ran and holds nothing. Nothing for a job that is neither Pending nor Blocked.
    /// </summary>
    public JobEnding Unsatisfiable(JobSpec spec, string reason, DateTimeOffset now)
    {
        if (sheet.Spec is null)
        {
            sheet.Spec = spec;
            sheet.State = JobState.Pending;
            sheet.SubmittedAt = now;
        }

        if (sheet.State is not (JobState.Pending or JobState.Blocked))
        {
            return new([], null);
        }

        var steps = Accepted(now);
        steps.Add(End(JobState.Unsatisfiable, null, reason, now));
        return new(steps, null);
    }

    /// <summary>A blocked job whose dependencies are met and that its region queued: Queued, with why it had waited.</summary>
    public IReadOnlyList<JobStep> QueueUnblocked(string met, string? regionDetail, DateTimeOffset now) =>
        sheet.State == JobState.Blocked
            ? [Enter(JobState.Queued, null, $"{met}; " + (regionDetail ?? $"waiting in {sheet.Spec?.OriginHub}'s queue"), now)]
            : [];

    /// <summary>
    /// A region assigns the job a placement: taken by a waiting job (Pending, Blocked, Queued or Preempted); a job already placed
    /// holds it only at the same data center (a retry).
    /// </summary>
    public JobAssignment Assign(JobPlacement placement, DateTimeOffset now)
    {
        if (sheet.State.HoldsCapacity())
        {
            return new(sheet.Placement?.DataCenterId == placement.DataCenterId, []);
        }

        if (sheet.Spec is null || sheet.State is not (JobState.Queued or JobState.Preempted or JobState.Pending or JobState.Blocked))
        {
            return new(false, []);
        }

        // Placed by a region after a crash cut the submission short: the acceptance is recorded first.
        var steps = Accepted(now);
        sheet.Placement = placement;
        steps.Add(Enter(JobState.Scheduled, placement.DataCenterId, placement.Reason, now));
        return new(true, steps);
    }

    /// <summary>
    /// A gang member started by its gang, which placed every member together: a job not yet accepted (no record, or Pending
    /// after a cut-short start) is accepted at that placement (Pending, Scheduled). A repeat holds only where the member is
    /// placed already and still holds capacity, with no new step (its data center starts it once).
    /// </summary>
    public JobAssignment StartMember(JobSpec spec, JobPlacement placement, DateTimeOffset now) =>
        sheet.Spec is not null && sheet.State != JobState.Pending
            ? new(sheet.State.HoldsCapacity() && sheet.Placement?.DataCenterId == placement.DataCenterId, [])
            : new(true, Accept(spec, placement, null, now));

    /// <summary>Its data center started it: Running, once, and only where it is scheduled.</summary>
    public JobStep? Run(string dataCenterId, DateTimeOffset now)
    {
        if (sheet.State != JobState.Scheduled || sheet.Placement?.DataCenterId != dataCenterId)
        {
            return null;
        }

        sheet.StartedAt = now;
        return Enter(JobState.Running, dataCenterId, $"started in {dataCenterId}", now);
    }

    /// <summary>
    /// The agent reports how the process of a job cancelled at <paramref name="dataCenterId"/> ended: the job keeps that
    /// outcome (exit code, output), once.
    /// </summary>
    public bool KeepsOutcome(string dataCenterId, bool reported) =>
        sheet.State == JobState.Cancelled && reported && !sheet.HasOutcome && sheet.DataCenterOfLast(JobState.Cancelled) == dataCenterId;

    /// <summary>
    /// Whether the job may confirm that it holds nothing at <paramref name="dataCenterId"/>, so that data center may release
    /// a reservation in its name: never while it holds capacity there, nor while memory may be ahead of storage
    /// (<paramref name="unwritten"/>: a write of this activation failed).
    /// </summary>
    public bool MayDisown(string dataCenterId, bool unwritten) =>
        !unwritten && !(sheet.State.HoldsCapacity() && sheet.Placement?.DataCenterId == dataCenterId);

    /// <summary>
    /// Its data center reports it ended: Succeeded or Failed, with the run's footprint, and its capacity released once
    /// durable. A job still Scheduled evidently ran (its running report was lost): it is recorded Running first. Null for
    /// a job not holding capacity there (a repeat, or a report from a data center it left).
    /// </summary>
    public JobEnding? Finish(string dataCenterId, bool succeeded, string detail, DateTimeOffset now)
    {
        if (!sheet.State.HoldsCapacity() || sheet.Placement?.DataCenterId != dataCenterId)
        {
            return null;
        }

        var steps = new List<JobStep>();
        if (Run(dataCenterId, now) is { } running)
        {
            steps.Add(running);
        }

        steps.Add(End(succeeded ? JobState.Succeeded : JobState.Failed, dataCenterId, detail, now));
        return new(steps, Exit(dataCenterId, now));
    }

    /// <summary>
    /// Cancels the job: a placed job's capacity is released once Cancelled is durable, a waiting one leaves its region's
    /// queue. An ended job stays as it is (no step). Null for a job never accepted.
    /// </summary>
    public JobEnding? Cancel(string reason, DateTimeOffset now)
    {
        if (sheet.Spec is null)
        {
            return null;
        }

        if (sheet.State.IsTerminal())
        {
            return new([], null);
        }

        var held = sheet.State.HoldsCapacity() ? sheet.Placement : null;

        // A blocked job was never given to its region: there is no queue entry to take out.
        var queued = held is null && sheet.State != JobState.Blocked;
        var cancelled = End(JobState.Cancelled, held?.DataCenterId, CancelDetail(reason), now);
        return new([cancelled], held is null ? null : Exit(held.DataCenterId, now), Dequeue: queued);
    }

    /// <summary>
    /// Takes the job off its data center (a recall or the data center's loss): the run so far is booked, the placement
    /// goes (a job waiting to be placed again has none, only the steps that say where it ran), and the capacity is
    /// released once Preempted is durable; then the region places it again. Null for a job not holding capacity there.
    /// </summary>
    public JobEnding? Preempt(string dataCenterId, string reason, DateTimeOffset now)
    {
        if (!sheet.State.HoldsCapacity() || sheet.Placement is not { } placement || placement.DataCenterId != dataCenterId)
        {
            return null;
        }

        var ran = RanFor(now);
        var used = ran > TimeSpan.Zero ? RunFootprint(placement, ran) : Footprint.Zero;
        sheet.Actual = (sheet.Actual ?? Footprint.Zero) + used;
        sheet.StartedAt = null;
        sheet.Placement = null;
        var preempted = Enter(JobState.Preempted, dataCenterId, $"preempted in {dataCenterId}: {reason}", now);
        return new([preempted], new JobRelease(dataCenterId, $"{JobId}#{sheet.Steps}", used, ran, placement, now - ran, now, ToRegion: false));
    }

    /// <summary>A preempted job the region could not place again at once waits in its queue (the region's reason appended).</summary>
    public IReadOnlyList<JobStep> QueueAfterPreemption(string? why, DateTimeOffset now) =>
        Queue($"waiting in {sheet.Spec?.OriginHub}'s queue after preemption" + (why is not null ? $": {why}" : string.Empty), now);

    /// <summary>A job reconciliation drove on that its region queued: Queued (accepted first if that was never recorded).</summary>
    public IReadOnlyList<JobStep> QueueDrivenOn(DateTimeOffset now) =>
        Queue($"waiting in {sheet.Spec?.OriginHub}'s queue (driven on by reconciliation)", now);

    /// <summary>
    /// Reconciliation's nudge: an ended job repeats its exit where it ran, a placed one is handed to its data center
    /// again, a waiting one that no region holds is placed again (a preempted one requeued); a waiting gang member is left
    /// to its gang, which places all its members together.
    /// </summary>
    public JobDrive Drive(DateTimeOffset now)
    {
        if (sheet.Spec is null)
        {
            return new(JobDriveAction.None);
        }

        if (sheet.State.IsTerminal())
        {
            // The step that ended it says where it ran, if anywhere.
            return sheet.DataCenterOfLast(sheet.State) is { } ranAt ? new(JobDriveAction.Exit, Exit(ranAt, now)) : new(JobDriveAction.None);
        }

        return sheet.State.HoldsCapacity() ? new(JobDriveAction.Start)
            : sheet.Spec.IsGangMember ? new(JobDriveAction.None)
            : sheet.State == JobState.Preempted ? new(JobDriveAction.Requeue)
            : sheet.State == JobState.Blocked ? new(JobDriveAction.Unblock)
            : new(JobDriveAction.Place);
    }

    /// <summary>The cancel step's detail: the caller's reason, said to be a cancel once ("cancelled by client", not "cancelled: cancelled by client").</summary>
    public static string CancelDetail(string reason)
    {
        var why = reason.Trim();
        return why.Length == 0 ? "cancelled"
            : why.StartsWith("cancel", StringComparison.OrdinalIgnoreCase) ? why
            : $"cancelled: {why}";
    }

    private List<JobStep> Queue(string detail, DateTimeOffset now)
    {
        if (sheet.State is not (JobState.Pending or JobState.Preempted))
        {
            return [];
        }

        var steps = Accepted(now);
        steps.Add(Enter(JobState.Queued, null, detail, now));
        return steps;
    }

    /// <summary>Ends the job in <paramref name="terminal"/>: a run at <paramref name="dataCenterId"/> is booked into its footprint.</summary>
    private JobStep End(JobState terminal, string? dataCenterId, string detail, DateTimeOffset now)
    {
        sheet.FinishedAt = now;
        var run = Footprint.Zero;
        if (dataCenterId is not null && sheet.StartedAt is { } started && sheet.Placement is { } placement)
        {
            // A job preempted before has the footprint of its earlier runs in Actual already (booked then).
            run = RunFootprint(placement, now - started);
            sheet.Actual = (sheet.Actual ?? Footprint.Zero) + run;
        }

        sheet.LastRun = run;
        return Enter(terminal, dataCenterId, detail, now);
    }

    private JobRelease Exit(string dataCenterId, DateTimeOffset now) => new(
        dataCenterId,
        JobId,
        sheet.LastRun ?? Footprint.Zero,
        sheet.FinishedAt is { } end ? RanFor(end) : TimeSpan.Zero,
        sheet.Placement!,
        sheet.StartedAt,
        sheet.FinishedAt ?? now,
        ToRegion: true);

    private Footprint RunFootprint(JobPlacement placement, TimeSpan ran)
    {
        var spec = sheet.Spec!;
        var transfer = placement.HubId == spec.OriginHub ? 0 : spec.InputDataGiB;
        return FootprintCalculator.Of(spec.Resources, ran, placement.Energy, power, transfer, transferCnyPerGiB);
    }

    private TimeSpan RanFor(DateTimeOffset now) => sheet.StartedAt is { } started && now > started ? now - started : TimeSpan.Zero;

    /// <summary>The acceptance step, for a job whose history is still empty.</summary>
    private List<JobStep> Accepted(DateTimeOffset now)
    {
        if (sheet.Steps > 0)
        {
            return [];
        }

        var spec = sheet.Spec!;
        var accepted = new JobStep(JobId, 1, null, JobState.Pending, now, null, $"accepted from {spec.OriginHub} for tenant {spec.Tenant}");
        sheet.Add(accepted);
        return [accepted];
    }

    private JobStep Enter(JobState next, string? dataCenterId, string detail, DateTimeOffset now)
    {
        var from = sheet.State;
        if (!JobStateMachine.CanTransition(from, next))
        {
            throw new InvalidOperationException($"Job {JobId} cannot go from {from} to {next}.");
        }

        var firstPlaced = next == JobState.Scheduled && sheet.Placement is not null && !sheet.Entered(JobState.Scheduled) ? now - sheet.SubmittedAt : (TimeSpan?)null;
        sheet.State = next;
        var step = new JobStep(JobId, sheet.Steps + 1, from, next, now, dataCenterId, detail, firstPlaced);
        sheet.Add(step);
        return step;
    }
}
