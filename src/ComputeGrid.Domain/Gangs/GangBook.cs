using ComputeGrid.Domain.Jobs;

namespace ComputeGrid.Domain.Gangs;

/// <summary>A gang's state as its book reads and writes it; the gang grain's persisted record is one.</summary>
public interface IGangSheet
{
    /// <summary>The members' common spec as submitted; null for a gang never accepted.</summary>
    JobSpec? Template { get; set; }

    /// <summary>How many members.</summary>
    int Members { get; set; }

    /// <summary>How many times a member's failure may restart the whole gang.</summary>
    int MaxRestarts { get; set; }

    /// <summary>Where the gang is: Pending, Queued (whole, in its region's queue), Scheduled (every member placed), Running (every member started), or ended.</summary>
    JobState State { get; set; }

    /// <summary>The current placement attempt: 0 first, one more after each restart or requeue.</summary>
    int Attempt { get; set; }

    /// <summary>How many of <see cref="MaxRestarts"/> were used.</summary>
    int Restarts { get; set; }

    /// <summary>When it was accepted.</summary>
    DateTimeOffset SubmittedAt { get; set; }

    /// <summary>The current attempt's members' states, by index.</summary>
    List<JobState> MemberStates { get; set; }

    /// <summary>The current attempt's members' data centers, by index; null while not placed.</summary>
    List<string?> MemberDataCenters { get; set; }

    /// <summary>How many steps the history has.</summary>
    int Steps { get; }

    /// <summary>Appends one step to the history.</summary>
    void Add(JobStep step);
}

/// <summary>What the gang grain does after a call to its book, once the steps are durable.</summary>
/// <param name="Steps">Write, then publish.</param>
/// <param name="CancelMembers">Member job ids to cancel (their capacity goes back), with <see cref="CancelReason"/>.</param>
/// <param name="CancelReason">Why they are cancelled.</param>
/// <param name="PlaceAgain">True when the gang asks its region to place it whole again (a restart or requeue).</param>
/// <param name="Dequeue">True when the gang's queue entry goes (cancelled while queued).</param>
/// <param name="MembersChanged">True when only members' states changed (a member's end after its gang ended): written, nothing carried out.</param>
public sealed record GangReaction(IReadOnlyList<JobStep> Steps, IReadOnlyList<string> CancelMembers, string CancelReason = "", bool PlaceAgain = false, bool Dequeue = false, bool MembersChanged = false)
{
    /// <summary>True when the book changed and must be written: a step, or only a member's state (the gang's view).</summary>
    public bool Changed => Steps.Count > 0 || MembersChanged;

    /// <summary>Nothing to do.</summary>
    public static GangReaction None { get; } = new([], []);
}

/// <summary>
/// One gang's book: its lifecycle over its members'. The gang is one queue entry; when its region places every member (all
/// or nothing) it is Scheduled ("gang placed"), Running once every member started, Succeeded once every member
/// succeeded. A member that fails fails the gang ("gang failed"; the others are cancelled), or, while restarts remain,
/// restarts it: the others are cancelled and the gang waits whole again under a new attempt (new member ids). A member
/// preempted (a recall, its data center lost, a higher priority) requeues the gang whole without using a restart, and a
/// member cancelled on its own cancels the gang. Reports of an earlier attempt are ignored.
/// </summary>
/// <param name="gangId">The gang's id.</param>
/// <param name="sheet">Its state.</param>
public sealed class GangBook(string gangId, IGangSheet sheet)
{
    /// <summary>The gang's id.</summary>
    public string GangId { get; } = gangId;

    /// <summary>The spec of the gang's queue entry for its current attempt.</summary>
    public JobSpec WholeSpec => GangRules.WholeSpec(sheet.Template!, GangId, sheet.Members, sheet.Attempt);

    /// <summary>The job id of member <paramref name="index"/> in the current attempt.</summary>
    public string MemberId(int index) => GangRules.MemberId(GangId, index, sheet.Attempt);

    /// <summary>The spec member <paramref name="index"/> runs with in the current attempt.</summary>
    public JobSpec MemberSpec(int index) => GangRules.MemberSpec(sheet.Template!, GangId, sheet.Members, index, sheet.Attempt);

    /// <summary>True when the gang may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool CanTransition(JobState from, JobState to) => (from, to) switch
    {
        (JobState.Pending, JobState.Queued or JobState.Scheduled or JobState.Cancelled) => true,
        (JobState.Queued, JobState.Scheduled or JobState.Cancelled) => true,
        (JobState.Scheduled, JobState.Running or JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Queued) => true,
        (JobState.Running, JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Queued) => true,
        _ => false,
    };

    /// <summary>A submission: a new valid gang is placed; the same again answers what it is; another under the same id conflicts.</summary>
    public JobSubmission Submit(JobSpec template, int members, int maxRestarts)
    {
        if (sheet.Template is { } existing)
        {
            if (!JobSpecs.AreSame(existing, template) || sheet.Members != members || sheet.MaxRestarts != maxRestarts)
            {
                return new(SubmitVerdict.Conflict, [new ValidationError("gangId", $"gang '{GangId}' already exists with a different specification")]);
            }

            return new(sheet.State == JobState.Pending ? SubmitVerdict.Place : SubmitVerdict.Known, []);
        }

        var errors = GangRules.Validate(template, members, maxRestarts, GangId);
        return new(errors.Count > 0 ? SubmitVerdict.Invalid : SubmitVerdict.Place, errors);
    }

    /// <summary>Records a new gang (Pending, once) before it is placed.</summary>
    public void Open(JobSpec template, int members, int maxRestarts, DateTimeOffset now)
    {
        if (sheet.Template is not null)
        {
            return;
        }

        sheet.Template = template;
        sheet.Members = members;
        sheet.MaxRestarts = maxRestarts;
        sheet.State = JobState.Pending;
        sheet.SubmittedAt = now;
        Reset();
    }

    /// <summary>
    /// Its region's answer to a placement of attempt <paramref name="attempt"/>: every member placed at the data centers
    /// given (<paramref name="dataCenters"/>, by member; "gang placed") or, with none, the whole gang waiting in the queue.
    /// Nothing for an answer of another attempt, or one the gang is past.
    /// </summary>
    public IReadOnlyList<JobStep> Placed(int attempt, IReadOnlyList<string>? dataCenters, string detail, DateTimeOffset now)
    {
        if (attempt != sheet.Attempt || sheet.State is not (JobState.Pending or JobState.Queued))
        {
            return [];
        }

        var steps = Accepted(now);
        if (dataCenters is null)
        {
            if (sheet.State == JobState.Pending)
            {
                steps.Add(Enter(JobState.Queued, detail, now));
            }

            return steps;
        }

        if (dataCenters.Count != sheet.Members)
        {
            throw new ArgumentException($"gang {GangId} has {sheet.Members} members, the placement {dataCenters.Count}", nameof(dataCenters));
        }

        sheet.MemberDataCenters = [.. dataCenters];
        for (var i = 0; i < sheet.Members; i++)
        {
            sheet.MemberStates[i] = JobState.Scheduled;
        }

        steps.Add(Enter(JobState.Scheduled, $"gang placed: {detail}", now));
        return steps;
    }

    /// <summary>Member <paramref name="index"/> of attempt <paramref name="attempt"/> entered <paramref name="state"/> (why: <paramref name="detail"/>).</summary>
    public GangReaction MemberChanged(int index, int attempt, JobState state, string detail, DateTimeOffset now)
    {
        if (attempt != sheet.Attempt || (uint)index >= (uint)sheet.Members || sheet.MemberStates[index].IsTerminal())
        {
            return GangReaction.None;
        }

        if (sheet.State.IsTerminal() && state.IsTerminal())
        {
            // The gang ended and cancelled its members: their ends are recorded so that the gang's member list agrees
            // with the members' own records, and nothing else happens.
            sheet.MemberStates[index] = state;
            return GangReaction.None with { MembersChanged = true };
        }

        if (sheet.State is not (JobState.Scheduled or JobState.Running))
        {
            return GangReaction.None;
        }

        sheet.MemberStates[index] = state;
        switch (state)
        {
            case JobState.Running when sheet.State == JobState.Scheduled && sheet.MemberStates.All(s => s is JobState.Running or JobState.Succeeded):
                return new([Enter(JobState.Running, $"gang started: all {sheet.Members} members running", now)], []);
            case JobState.Succeeded when sheet.MemberStates.All(s => s == JobState.Succeeded):
                return new([Enter(JobState.Succeeded, $"all {sheet.Members} members succeeded", now)], []);
            case JobState.Failed when sheet.Restarts < sheet.MaxRestarts:
                sheet.Restarts++;
                return Again($"gang restarts ({sheet.Restarts} of {sheet.MaxRestarts}): member {index} failed: {detail}", now);
            case JobState.Failed:
                return End(JobState.Failed, $"gang failed: member {index} failed: {detail}" + (sheet.MaxRestarts > 0 ? $" (after {sheet.Restarts} restarts)" : string.Empty), now);
            case JobState.Preempted:
                return Again($"gang requeued whole: member {index} was preempted: {detail}", now);
            case JobState.Cancelled or JobState.Unsatisfiable:
                return End(JobState.Cancelled, $"cancelled: member {index} was cancelled: {detail}", now);
            default:
                return GangReaction.None;
        }
    }

    /// <summary>Cancels the gang: its members are cancelled and a queued gang leaves its region's queue. Nothing for an ended gang.</summary>
    public GangReaction Cancel(string reason, DateTimeOffset now)
    {
        if (sheet.Template is null || sheet.State.IsTerminal())
        {
            return GangReaction.None;
        }

        var queued = sheet.State is JobState.Queued or JobState.Pending;
        var reaction = End(JobState.Cancelled, JobBook.CancelDetail(reason), now);
        return reaction with { Dequeue = queued, Steps = [.. Accepted(now), .. reaction.Steps] };
    }

    /// <summary>The members of the current attempt that have not ended (for a read, a cancel or a sweep).</summary>
    public IEnumerable<int> Unended() => Enumerable.Range(0, sheet.Members).Where(i => !sheet.MemberStates[i].IsTerminal());

    private GangReaction Again(string detail, DateTimeOffset now)
    {
        var cancel = Unended().Select(MemberId).ToList();
        sheet.Attempt++;
        Reset();
        return new([Enter(JobState.Queued, detail, now)], cancel, $"its gang {GangId} restarts", PlaceAgain: true);
    }

    private GangReaction End(JobState terminal, string detail, DateTimeOffset now)
    {
        var cancel = sheet.State is JobState.Scheduled or JobState.Running ? Unended().Select(MemberId).ToList() : [];
        return new([Enter(terminal, detail, now)], cancel, $"its gang {GangId} ended: {detail}");
    }

    private void Reset()
    {
        sheet.MemberStates = [.. Enumerable.Repeat(JobState.Pending, sheet.Members)];
        sheet.MemberDataCenters = [.. Enumerable.Repeat<string?>(null, sheet.Members)];
    }

    private List<JobStep> Accepted(DateTimeOffset now)
    {
        if (sheet.Steps > 0)
        {
            return [];
        }

        var template = sheet.Template!;
        var accepted = new JobStep(GangId, 1, null, JobState.Pending, now, null, $"gang of {sheet.Members} members accepted from {template.OriginHub} for tenant {template.Tenant}");
        sheet.Add(accepted);
        return [accepted];
    }

    private JobStep Enter(JobState next, string detail, DateTimeOffset now)
    {
        var from = sheet.State;
        if (!CanTransition(from, next))
        {
            throw new InvalidOperationException($"Gang {GangId} cannot go from {from} to {next}.");
        }

        sheet.State = next;
        var step = new JobStep(GangId, sheet.Steps + 1, from, next, now, null, detail);
        sheet.Add(step);
        return step;
    }
}
