using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Contracts.Tenants;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// One job's lifecycle. Calls go down only (to its region, its data center and its tenant), and the only calls that come
/// back up (from the region's queue and the executor) wait for this grain's turn, so the job never deadlocks with them.
/// Its <see cref="JobBook"/> makes every decision; this grain writes each step to storage before anyone is told, then
/// publishes it on the job's and the tenant's streams, and carries out what the book says follows.
/// </summary>
internal sealed partial class JobGrain(
    [PersistentState(JobRecord.StateName, GridStorage.Name)] IPersistentState<JobRecord> state,
    GridClock clock,
    TopologyCatalog catalog,
    GridMetrics metrics,
    IOptions<ComputeGridOptions> options,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private readonly HashSet<Guid> _watchers = [];

    // What storage holds: reads see only durable states, never one a turn is still writing (or failed to write).
    private JobSnapshot? _durable;

    // Turns of this activation under way that will write a placement or a transition (IsSettlingAsync).
    private int _settling;

    // A write of this activation failed: memory may be ahead of storage until the activation goes (DisownAsync).
    private bool _unwritten;

    private string JobId => this.GetPrimaryKeyString();

    private JobRecord Record => state.State;

    private JobBook Book => new(JobId, Record, catalog.Seed.Power, catalog.Seed.TransferCnyPerGiB);

    public async Task<SubmitResult> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        using var activity = GridTracing.StartSubmit(JobId, spec.Tenant, spec.OriginHub);
        await ActivateElementAsync();
        var submission = Book.Submit(spec);
        if (submission.Verdict != SubmitVerdict.Place)
        {
            return submission.Verdict == SubmitVerdict.Known ? SubmitResult.Accepted(Snapshot())
                : SubmitResult.Refused(submission.Verdict == SubmitVerdict.Conflict ? SubmitRefusal.Conflict : SubmitRefusal.Invalid, submission.Errors);
        }

        // One write per submission, after placing: until it is durable nothing was acknowledged. A crash in between leaves
        // at most a placement (and its reservation) that no job record owns: a retry of the same submission finds it
        // (the region answers with the placement it holds, reserved again), and otherwise reconciliation releases it
        // (the region drops a record whose job is unknown, then the data center releases a reservation no region holds;
        // neither while this activation is still settling, see IsSettlingAsync).
        _settling++;
        try
        {
            if ((await RefuseReservationAsync(spec, cancellationToken) ?? (spec.HasDependencies ? await SubmitDependentAsync(spec, cancellationToken) : null)) is { } answered)
            {
                return answered;
            }

            return await PlaceAndPersistAsync(spec, cancellationToken);
        }
        finally
        {
            _settling--;
        }
    }

    private async Task<SubmitResult> PlaceAndPersistAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        var placed = await GrainFactory.GetGrain<IPlacementBatcherGrain>(spec.OriginHub).PlaceAsync(JobId, spec, cancellationToken);
        if (placed.Outcome == PlaceOutcome.Rejected)
        {
            if (state.RecordExists)
            {
                await state.ClearStateAsync(cancellationToken);
            }

            state.State = new JobRecord();
            _durable = null;
            return SubmitResult.Refused(placed.Refusal, placed.Errors);
        }

        var steps = Book.Accept(spec, placed.Outcome == PlaceOutcome.Placed ? placed.Placement : null, placed.Detail, clock.Now);
        Count(steps);
        await PersistAsync(cancellationToken);
        LogSubmitted(logger, JobId, spec.Tenant, Record.State, Record.Placement?.DataCenterId);
        if (Record.State == JobState.Scheduled)
        {
            // Both only need the transition durable, not each other: the data center's running report waits for this
            // turn, so Running still comes after Scheduled everywhere.
            await Task.WhenAll(PublishAsync(steps), StartAsync(cancellationToken));
        }
        else
        {
            await PublishAsync(steps);
            RestWhileWaiting();
        }

        return SubmitResult.Accepted(Snapshot());
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _durable = Record.Spec is null ? null : Snapshot();
        FindElement();
        return Task.CompletedTask;
    }

    /// <summary>
    /// The job as storage holds it. It interleaves with the job's other calls (reconciliation reads jobs that may be
    /// waiting on it), so it must not show a transition a turn has made in memory but not yet written: a data center or
    /// region acting on such a state (a duplicate activation's, after a crash) could release capacity a durable job holds.
    /// </summary>
    public async Task<JobSnapshot?> GetAsync(CancellationToken cancellationToken = default) =>
        (MayBeHeld ? (await ReadHeldAsync(cancellationToken))?.Job : _durable) ?? await ConfirmAbsentAsync(cancellationToken);

    /// <summary>
    /// Whether this activation is placing the job or writing a transition: <see cref="GetAsync"/> then answers what storage
    /// held before, and reconciliation must not release or drop what the turn is about to record (a submission slowed by
    /// a failing peer or a storage outage can take longer than reconciliation's passes).
    /// </summary>
    public async Task<bool> IsSettlingAsync(CancellationToken cancellationToken = default) =>
        _settling > 0 || _activating is not null || (MayBeHeld && (await ReadHeldAsync(cancellationToken))?.Settling == true);

    public async Task<JobSnapshot?> WatchAsync(Guid watcherId, CancellationToken cancellationToken = default)
    {
        // A watched element needs its own activation: its array publishes nothing on the job's stream.
        await ActivateElementAsync();

        // Registered before the snapshot is taken: every event is either in this snapshot's history or published after.
        _watchers.Add(watcherId);
        return await GetAsync(cancellationToken);
    }

    public Task UnwatchAsync(Guid watcherId)
    {
        _watchers.Remove(watcherId);
        return Task.CompletedTask;
    }

    public async Task<JobSnapshot?> CancelAsync(string reason, CancellationToken cancellationToken = default)
    {
        await ActivateElementAsync();
        if (Book.Cancel(reason, clock.Now) is not { } cancel)
        {
            return null;
        }

        await EndAsync(cancel, cancellationToken);
        return Snapshot();
    }

    public async Task<bool> AssignAsync(JobPlacement placement, CancellationToken cancellationToken = default)
    {
        using var activity = GridTracing.Start("assign", JobId, hub: placement.HubId, dataCenter: placement.DataCenterId, loanId: placement.LoanId);
        await ActivateElementAsync();
        var assignment = Book.Assign(placement, clock.Now);
        if (assignment.Steps.Count > 0)
        {
            await CommitAsync(assignment.Steps, cancellationToken);
            await StartAsync(cancellationToken);
        }

        return assignment.Holds;
    }

    public async Task ReportRunningAsync(string dataCenterId, CancellationToken cancellationToken = default)
    {
        if (await RunHeldAsync(dataCenterId, cancellationToken))
        {
            return;
        }

        await ActivateElementAsync();
        if (Book.Run(dataCenterId, clock.Now) is { } running)
        {
            await CommitAsync([running], cancellationToken);
        }
    }

    public async Task OnAgentReportAsync(string dataCenterId, AgentJobPhase phase, JobOutcome? outcome, string detail)
    {
        await ActivateElementAsync();
        if (Book.KeepsOutcome(dataCenterId, outcome is not null))
        {
            // The agent killed the cancelled job's process and reported how it ended: the job keeps its exit code and output.
            Record.Outcome = outcome;
            await PersistAsync(CancellationToken.None);
            return;
        }

        switch (phase)
        {
            case AgentJobPhase.Started:
                await ReportRunningAsync(dataCenterId);
                break;
            case AgentJobPhase.Exited:
                await ReportFinishedAsync(dataCenterId, outcome is { ExitCode: 0, TimedOut: false }, detail, outcome);
                break;
            case AgentJobPhase.Rejected:
                await ReportFinishedAsync(dataCenterId, false, detail, outcome);
                break;
            case AgentJobPhase.Lost when Book.RequeuesWhenLost:
                await PreemptAsync(dataCenterId, detail);
                break;
            case AgentJobPhase.Lost:
                await ReportFinishedAsync(dataCenterId, false, $"{detail}; the command does not allow running it again", outcome);
                break;
        }
    }

    public async Task ReportFinishedAsync(string dataCenterId, bool succeeded, string detail, JobOutcome? outcome = null, CancellationToken cancellationToken = default)
    {
        await ActivateElementAsync();
        if (Book.Finish(dataCenterId, succeeded, detail, clock.Now) is not { } finished)
        {
            return;
        }

        // A job still Scheduled evidently ran (its running report was lost): Running and the end go in one write.
        Record.Outcome = outcome;
        await EndAsync(finished, cancellationToken);
    }

    public async Task PreemptAsync(string dataCenterId, string reason)
    {
        await ActivateElementAsync();
        if (Book.Preempt(dataCenterId, reason, clock.Now) is not { } preempted)
        {
            return;
        }

        await EndAsync(preempted, CancellationToken.None);
        LogPreempted(logger, JobId, dataCenterId, reason);
        var spec = Record.Spec!;
        if (spec.IsGangMember)
        {
            // Its gang heard of it (PublishAsync) and places all its members again together.
            return;
        }

        var placed = await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).RequeueAsync(JobId, spec);
        if (placed is { Outcome: PlaceOutcome.Placed, Placement: { } again })
        {
            await AssignAsync(again);
        }
        else
        {
            await CommitAsync(Book.QueueAfterPreemption(placed.Detail, clock.Now), CancellationToken.None);
            RestWhileWaiting();
        }
    }

    /// <summary>
    /// Writes and publishes the step that ended the job (or its run), then gives the capacity back: only after the step is
    /// durable, so a crash in between leaves a reservation whose job ended (reconciliation repeats the exit), never a
    /// running job without a reservation.
    /// </summary>
    private async Task EndAsync(JobEnding ending, CancellationToken cancellationToken)
    {
        if (ending.Steps.Count == 0)
        {
            return;
        }

        await CommitAsync(ending.Steps, cancellationToken);
        if (Record.State.IsTerminal())
        {
            LogFinished(logger, JobId, Record.State, ending.Steps[^1].DataCenterId);
        }

        if (ending.Release is { } release)
        {
            await ExitAsync(release, cancellationToken);
        }

        if (ending.Dequeue)
        {
            await GrainFactory.GetGrain<IRegionGrain>(Record.Spec!.OriginHub).DequeueAsync(JobId);
        }
    }

    /// <summary>Gives a run's capacity back and books it, as the book's release says. Every step is idempotent.</summary>
    private async Task ExitAsync(JobRelease release, CancellationToken cancellationToken)
    {
        var spec = Record.Spec!;

        // Sent before the capacity is given back, but not waited for: a tenant index busy with an array's thousand rows must
        // not hold a data center's capacity. A repeated exit (reconciliation's) sends the booking again; the tenant books it once.
        _tenant.Post(Row());
        _tenant.Post(new TenantBooking(release.BookingId, release.Used));
        await TellTenantAsync(TimeSpan.Zero);
        var dataCenter = GrainFactory.GetGrain<IDataCenterGrain>(release.DataCenterId);
        await dataCenter.StopAsync(JobId, cancellationToken);
        var free = await dataCenter.ReleaseAsync(JobId, release.Used, release.RanFor, cancellationToken);
        if (release.ToRegion)
        {
            await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).OnJobReleasedAsync(JobId, free);
        }

        await Market.RunMeter.RecordAsync(GrainFactory, catalog, clock, JobId, release.BookingId, spec, release.Placement, Record.History, release.From, release.To, release.Used);
    }

    /// <summary>
    /// A queued job waits in its region's queue (with its spec) and in storage, a blocked one for its dependencies'
    /// nudges (and its reminder): its activation is let go once this call returns, so a deep queue costs no activations
    /// (the region's assignment, a nudge, a read or a cancel activates it again). Not while somebody watches it, whose
    /// registration lives in the activation, nor while its tenant has not confirmed its row: the send's answer calls
    /// this again (JobGrain.Publish.cs).
    /// </summary>
    private void RestWhileWaiting()
    {
        if ((Book.RestsWhileQueued || Book.IsBlocked) && _watchers.Count == 0 && !_tenant.Pending)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>
    /// Writes the record and makes it what reads see. A failed write (a conflicting ETag from a duplicate activation,
    /// storage down) leaves memory ahead of storage: this activation then goes, and the next one reads the truth.
    /// </summary>
    private async Task PersistAsync(CancellationToken cancellationToken)
    {
        _settling++;
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _unwritten = true;
            DeactivateOnIdle();
            throw;
        }
        finally
        {
            _settling--;
        }

        _durable = Snapshot();
    }

    private Task StartAsync(CancellationToken cancellationToken) =>
        GrainFactory.GetGrain<IDataCenterGrain>(Record.Placement!.DataCenterId).StartAsync(JobId, Record.Spec!, Record.StartedAt, cancellationToken);

    /// <summary>Writes the steps and publishes them (nothing for no step).</summary>
    private async Task CommitAsync(IReadOnlyList<JobStep> steps, CancellationToken cancellationToken)
    {
        if (steps.Count == 0)
        {
            return;
        }

        Count(steps);
        await PersistAsync(cancellationToken);
        await PublishAsync(steps);
    }

    private void Count(IReadOnlyList<JobStep> steps)
    {
        var origin = Record.Spec!.OriginHub;
        foreach (var step in steps)
        {
            if (step.FirstPlacedAfter is { } waited && Record.Placement is { } placement)
            {
                metrics.Placed(origin, placement.HubId, waited);
            }

            metrics.JobEntered(origin, step.From, step.State);
        }
    }

    private JobSnapshot Snapshot() => Snapshot(JobId, Record);

    private static JobSnapshot Snapshot(string jobId, JobRecord record) => new(
        jobId, record.Spec!, record.State, record.SubmittedAt, record.StartedAt, record.FinishedAt, record.Placement, record.Actual, [.. record.History], record.Outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Tenant} accepted: {State} at {DataCenterId}")]
    private static partial void LogSubmitted(ILogger logger, string jobId, string tenant, JobState state, string? dataCenterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {State} at {DataCenterId}")]
    private static partial void LogFinished(ILogger logger, string jobId, JobState state, string? dataCenterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} preempted in {DataCenterId}: {Reason}")]
    private static partial void LogPreempted(ILogger logger, string jobId, string dataCenterId, string reason);
}
