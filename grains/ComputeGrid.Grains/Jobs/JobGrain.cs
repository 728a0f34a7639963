using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Agents;
using ComputeGrid.Contracts.JobArrays;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Jobs;

/// <summary>
/// One job's lifecycle. Calls go down only (to its region, its data center and its tenant), and the only calls that come
/// back up (from the region's queue and the executor) wait for this grain's turn, so the job never deadlocks with them.
/// Every transition is written to storage before anyone is told, then published on the job's and the tenant's streams.
/// </summary>
internal sealed partial class JobGrain(
    [PersistentState("job", GridStorage.Name)] IPersistentState<JobRecord> state,
    GridClock clock,
    TopologyCatalog catalog,
    GridMetrics metrics,
    ILogger<JobGrain> logger) : Grain, IJobGrain
{
    private readonly HashSet<Guid> _watchers = [];

    // What storage holds: reads see only durable states, never one a turn is still writing (or failed to write).
    private JobSnapshot? _durable;

    // Turns of this activation under way that will write a placement or a transition (IsSettlingAsync).
    private int _settling;

    private string JobId => this.GetPrimaryKeyString();

    private JobRecord Record => state.State;

    public async Task<SubmitResult> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        using var activity = GridTracing.StartSubmit(JobId, spec.Tenant, spec.OriginHub);
        await ActivateElementAsync();
        if (Record.Spec is { } existing)
        {
            if (!JobSpecs.AreSame(existing, spec))
            {
                return SubmitResult.Refused(SubmitRefusal.Conflict, [new ValidationError("jobId", $"job '{JobId}' already exists with a different specification")]);
            }

            if (Record.State != JobState.Pending)
            {
                return SubmitResult.Accepted(Snapshot());
            }
        }
        else
        {
            var errors = JobSpecRules.ValidateShape(spec);
            if (errors.Count > 0)
            {
                return SubmitResult.Refused(SubmitRefusal.Invalid, errors);
            }
        }

        // One write per submission, after placing: until it is durable nothing was acknowledged. A crash in between leaves
        // at most a placement (and its reservation) that no job record owns: a retry of the same submission finds it
        // (the region answers with the placement it holds, reserved again), and otherwise reconciliation releases it
        // (the region drops a record whose job is unknown, then the data center releases a reservation no region holds;
        // neither while this activation is still settling, see IsSettlingAsync).
        _settling++;
        try
        {
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

        if (Record.Spec is null)
        {
            Record.Spec = spec;
            Record.State = JobState.Pending;
            Record.SubmittedAt = clock.Now;
        }

        var events = new List<JobEvent>();
        if (Record.History.Count == 0)
        {
            events.Add(Append(JobState.Pending, null, $"accepted from {spec.OriginHub} for tenant {spec.Tenant}"));
            metrics.JobEntered(spec.OriginHub, null, JobState.Pending);
        }

        if (placed is { Outcome: PlaceOutcome.Placed, Placement: { } placement })
        {
            Record.Placement = placement;
            events.Add(Enter(JobState.Scheduled, placement.DataCenterId, placement.Reason));
        }
        else
        {
            events.Add(Enter(JobState.Queued, null, placed.Detail ?? $"no feasible data center has room now; waiting in {spec.OriginHub}'s queue"));
        }

        await PersistAsync(cancellationToken);
        LogSubmitted(logger, JobId, spec.Tenant, Record.State, Record.Placement?.DataCenterId);
        if (Record.State == JobState.Scheduled)
        {
            // Both only need the transition durable, not each other: the data center's running report waits for this
            // turn, so Running still comes after Scheduled everywhere.
            await Task.WhenAll(PublishAsync(events), StartAsync(cancellationToken));
        }
        else
        {
            await PublishAsync(events);
            RestWhileQueued();
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
        MayBeHeld ? (await ReadHeldAsync(cancellationToken))?.Job : _durable;

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
        if (Record.Spec is not { } spec)
        {
            return null;
        }

        if (Record.State.IsTerminal())
        {
            return Snapshot();
        }

        var held = Record.State.HoldsCapacity() ? Record.Placement : null;
        await FinishAsync(JobState.Cancelled, held?.DataCenterId, CancelDetail(reason), cancellationToken);
        if (held is null)
        {
            await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).DequeueAsync(JobId);
        }

        return Snapshot();
    }

    public async Task<bool> AssignAsync(JobPlacement placement, CancellationToken cancellationToken = default)
    {
        using var activity = GridTracing.Start("assign", JobId, hub: placement.HubId, dataCenter: placement.DataCenterId, loanId: placement.LoanId);
        await ActivateElementAsync();
        if (Record.State.HoldsCapacity())
        {
            return Record.Placement?.DataCenterId == placement.DataCenterId;
        }

        if (Record.Spec is not { } spec || Record.State is not (JobState.Queued or JobState.Preempted or JobState.Pending))
        {
            return false;
        }

        var events = new List<JobEvent>();
        if (Record.History.Count == 0)
        {
            // Placed by a region after a crash cut the submission short: record the acceptance first.
            events.Add(Append(JobState.Pending, null, $"accepted from {spec.OriginHub} for tenant {spec.Tenant}"));
        }

        Record.Placement = placement;
        events.Add(Enter(JobState.Scheduled, placement.DataCenterId, placement.Reason));
        await PersistAsync(cancellationToken);
        await PublishAsync(events);
        await StartAsync(cancellationToken);
        return true;
    }

    public async Task ReportRunningAsync(string dataCenterId, CancellationToken cancellationToken = default)
    {
        if (await RunHeldAsync(dataCenterId, cancellationToken))
        {
            return;
        }

        await ActivateElementAsync();
        if (Record.State != JobState.Scheduled || Record.Placement?.DataCenterId != dataCenterId)
        {
            return;
        }

        Record.StartedAt = clock.Now;
        var running = Enter(JobState.Running, dataCenterId, $"started in {dataCenterId}");
        await PersistAsync(cancellationToken);
        await PublishAsync([running]);
    }

    public async Task OnAgentReportAsync(string dataCenterId, AgentJobPhase phase, JobOutcome? outcome, string detail)
    {
        await ActivateElementAsync();
        if (Record.State == JobState.Cancelled && outcome is not null && Record.Outcome is null
            && Record.History.LastOrDefault(e => e.State == JobState.Cancelled)?.DataCenterId == dataCenterId)
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
            case AgentJobPhase.Lost when Record.Spec?.Command is { RequeueIfLost: true }:
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
        if (!Record.State.HoldsCapacity() || Record.Placement?.DataCenterId != dataCenterId)
        {
            return;
        }

        Record.Outcome = outcome;

        if (Record.State == JobState.Scheduled)
        {
            // The running report was lost; the job evidently ran, so record that it started before it ended.
            await ReportRunningAsync(dataCenterId, cancellationToken);
        }

        await FinishAsync(succeeded ? JobState.Succeeded : JobState.Failed, dataCenterId, detail, cancellationToken);
    }

    private async Task FinishAsync(JobState terminal, string? dataCenterId, string detail, CancellationToken cancellationToken)
    {
        var spec = Record.Spec!;
        var now = clock.Now;
        Record.FinishedAt = now;
        var run = Footprint.Zero;
        if (dataCenterId is not null && Record.StartedAt is { } started && Record.Placement is { } placement)
        {
            // A job preempted before has the footprint of its earlier runs in Actual already (booked then).
            var transfer = placement.HubId == spec.OriginHub ? 0 : spec.InputDataGiB;
            run = FootprintCalculator.Of(spec.Resources, now - started, placement.Energy, catalog.Seed.Power, transfer, catalog.Seed.TransferCnyPerGiB);
            Record.Actual = (Record.Actual ?? Footprint.Zero) + run;
        }

        Record.LastRun = run;
        var finished = Enter(terminal, dataCenterId, detail);
        await PersistAsync(cancellationToken);
        await PublishAsync([finished]);
        LogFinished(logger, JobId, terminal, dataCenterId);
        if (dataCenterId is not null)
        {
            await ExitAsync(dataCenterId, cancellationToken);
        }
    }

    /// <summary>
    /// Gives the capacity back and books the run: only after the terminal state is durable, so a crash in between leaves
    /// a reservation whose job is terminal (reconciliation repeats this exit), never a running job without a reservation.
    /// Every step is idempotent.
    /// </summary>
    private async Task ExitAsync(string dataCenterId, CancellationToken cancellationToken)
    {
        var spec = Record.Spec!;
        var run = Record.LastRun ?? Footprint.Zero;
        var dataCenter = GrainFactory.GetGrain<IDataCenterGrain>(dataCenterId);
        await dataCenter.StopAsync(JobId, cancellationToken);
        await dataCenter.ReleaseAsync(JobId, run, Record.FinishedAt is { } end ? RanFor(end) : TimeSpan.Zero, cancellationToken);
        await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).OnJobReleasedAsync(JobId);
        await GrainFactory.GetGrain<Contracts.ITenantGrain>(spec.Tenant).BookAsync(JobId, run);
        await Market.RunMeter.RecordAsync(GrainFactory, catalog, clock, JobId, JobId, spec, Record.Placement!, Record.History, Record.StartedAt, Record.FinishedAt ?? clock.Now, run);
    }

    public async Task DriveAsync()
    {
        await ActivateElementAsync();
        if (Record.Spec is not { } spec)
        {
            return;
        }

        if (Record.State.IsTerminal())
        {
            // The finished event says where it ran, if anywhere.
            if (Record.History.LastOrDefault(e => e.State == Record.State)?.DataCenterId is { } ranAt)
            {
                await ExitAsync(ranAt, CancellationToken.None);
            }

            return;
        }

        if (Record.State.HoldsCapacity())
        {
            await StartAsync(CancellationToken.None);
            return;
        }

        // Pending, Queued or Preempted, and no region holds it (reconciliation dropped the disagreeing record): place it again.
        var placed = Record.State == JobState.Preempted
            ? await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).RequeueAsync(JobId, spec)
            : await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).PlaceAsync(JobId, spec);
        LogDriven(logger, JobId, Record.State, placed.Outcome);
        if (placed is { Outcome: PlaceOutcome.Placed, Placement: { } placement })
        {
            await AssignAsync(placement);
        }
        else if (placed.Outcome == PlaceOutcome.Queued && Record.State is JobState.Pending or JobState.Preempted)
        {
            var events = new List<JobEvent>();
            if (Record.History.Count == 0)
            {
                events.Add(Append(JobState.Pending, null, $"accepted from {spec.OriginHub} for tenant {spec.Tenant}"));
            }

            events.Add(Enter(JobState.Queued, null, $"waiting in {spec.OriginHub}'s queue (driven on by reconciliation)"));
            await PersistAsync(CancellationToken.None);
            await PublishAsync(events);
        }
    }

    public async Task PreemptAsync(string dataCenterId, string reason)
    {
        await ActivateElementAsync();
        if (!Record.State.HoldsCapacity() || Record.Placement is not { } placement || placement.DataCenterId != dataCenterId)
        {
            return;
        }

        var spec = Record.Spec!;
        var now = clock.Now;
        var ran = RanFor(now);
        var transfer = placement.HubId == spec.OriginHub ? 0 : spec.InputDataGiB;
        var used = ran > TimeSpan.Zero
            ? FootprintCalculator.Of(spec.Resources, ran, placement.Energy, catalog.Seed.Power, transfer, catalog.Seed.TransferCnyPerGiB)
            : Footprint.Zero;
        Record.Actual = (Record.Actual ?? Footprint.Zero) + used;
        Record.StartedAt = null;

        // The reservation goes with the preemption: a job waiting to be placed again has no placement (api.md), only
        // the events that say where it ran.
        Record.Placement = null;
        var preempted = Enter(JobState.Preempted, dataCenterId, $"preempted in {dataCenterId}: {reason}");
        await PersistAsync(CancellationToken.None);
        await PublishAsync([preempted]);
        LogPreempted(logger, JobId, dataCenterId, reason);

        // The capacity goes back only after Preempted is durable, as for a finished job.
        var dataCenter = GrainFactory.GetGrain<IDataCenterGrain>(dataCenterId);
        await dataCenter.StopAsync(JobId);
        await dataCenter.ReleaseAsync(JobId, used, ran);
        await GrainFactory.GetGrain<Contracts.ITenantGrain>(spec.Tenant).BookAsync($"{JobId}#{Record.History.Count}", used);
        await Market.RunMeter.RecordAsync(GrainFactory, catalog, clock, JobId, $"{JobId}#{Record.History.Count}", spec, placement, Record.History, now - ran, now, used);

        var placed = await GrainFactory.GetGrain<IRegionGrain>(spec.OriginHub).RequeueAsync(JobId, spec);
        if (placed is { Outcome: PlaceOutcome.Placed, Placement: { } again })
        {
            await AssignAsync(again);
        }
        else if (Record.State == JobState.Preempted)
        {
            var queued = Enter(JobState.Queued, null, $"waiting in {spec.OriginHub}'s queue after preemption" + (placed.Detail is { } why ? $": {why}" : string.Empty));
            await PersistAsync(CancellationToken.None);
            await PublishAsync([queued]);
            RestWhileQueued();
        }
    }

    /// <summary>
    /// A queued job waits in its region's queue (with its spec) and in storage: its activation is let go once this call
    /// returns, so a deep queue costs no activations (the region's assignment, a read or a cancel activates it again).
    /// Not while somebody watches it, whose registration lives in the activation.
    /// </summary>
    private void RestWhileQueued()
    {
        if (Record.State == JobState.Queued && _watchers.Count == 0)
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
            DeactivateOnIdle();
            throw;
        }
        finally
        {
            _settling--;
        }

        _durable = Snapshot();
    }

    /// <summary>The cancel event's detail: the caller's reason, said to be a cancel once ("cancelled by client", not "cancelled: cancelled by client").</summary>
    private static string CancelDetail(string reason)
    {
        var why = reason.Trim();
        return why.Length == 0 ? "cancelled"
            : why.StartsWith("cancel", StringComparison.OrdinalIgnoreCase) ? why
            : $"cancelled: {why}";
    }

    private TimeSpan RanFor(DateTimeOffset now) => Record.StartedAt is { } started && now > started ? now - started : TimeSpan.Zero;

    private Task StartAsync(CancellationToken cancellationToken) =>
        GrainFactory.GetGrain<IDataCenterGrain>(Record.Placement!.DataCenterId).StartAsync(JobId, Record.Spec!, Record.StartedAt, cancellationToken);

    private JobEvent Enter(JobState next, string? dataCenterId, string detail)
    {
        if (!JobStateMachine.CanTransition(Record.State, next))
        {
            throw new InvalidOperationException($"Job {JobId} cannot go from {Record.State} to {next}.");
        }

        var spec = Record.Spec!;
        if (next == JobState.Scheduled && Record.Placement is { } placement && !Record.History.Any(e => e.State == JobState.Scheduled))
        {
            metrics.Placed(spec.OriginHub, placement.HubId, clock.Now - Record.SubmittedAt);
        }

        metrics.JobEntered(spec.OriginHub, Record.State, next);
        Record.State = next;
        return Append(next, dataCenterId, detail);
    }

    private JobEvent Append(JobState entered, string? dataCenterId, string detail)
    {
        var evt = new JobEvent(JobId, Record.History.Count + 1, entered, clock.Now, dataCenterId, detail);
        Record.History.Add(evt);
        return evt;
    }

    private async Task PublishAsync(IReadOnlyList<JobEvent> events)
    {
        var spec = Record.Spec!;
        var tenant = GrainFactory.GetGrain<Contracts.ITenantGrain>(spec.Tenant);
        var row = new JobSummary(JobId, spec.Tenant, Record.State, spec.OriginHub, Record.Placement?.DataCenterId, Record.SubmittedAt, 0, Record.History.Count);
        if (events.Any(e => e.Sequence == 1))
        {
            try
            {
                // Acceptance: listed before the submission is acknowledged, so jobs submitted in turn are listed in turn.
                await tenant.RegisterAsync(row);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                // The job is durable already: its row comes with this notice or with its next transition.
                LogRegisterFailed(logger, JobId, spec.Tenant, e);
                await tenant.OnJobChangedAsync(row);
            }
        }
        else
        {
            await tenant.OnJobChangedAsync(row);
        }

        if (spec.ArrayId is { } arrayId)
        {
            // One-way and interleaving at the array: it may be waiting on this very job's submission.
            await GrainFactory.GetGrain<IJobArrayGrain>(arrayId).OnElementChangedAsync(spec.ArrayIndex, Record.State, Record.History.Count);
        }

        try
        {
            var provider = this.GetStreamProvider(GridStreams.Provider);
            if (_watchers.Count > 0)
            {
                await provider.GetStream<JobEvent>(StreamId.Create(GridStreams.JobNamespace, JobId)).OnNextBatchAsync(events);
            }

            await provider.GetStream<JobEvent>(StreamId.Create(GridStreams.TenantNamespace, spec.Tenant)).OnNextBatchAsync(events);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OrleansException)
        {
            // The transition is already durable and in the job's history; watchers resynchronise from it on a gap.
            LogPublishFailed(logger, JobId, e);
        }
    }

    private JobSnapshot Snapshot() => new(
        JobId,
        Record.Spec!,
        Record.State,
        Record.SubmittedAt,
        Record.StartedAt,
        Record.FinishedAt,
        Record.Placement,
        Record.Actual,
        [.. Record.History],
        Record.Outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Tenant} accepted: {State} at {DataCenterId}")]
    private static partial void LogSubmitted(ILogger logger, string jobId, string tenant, JobState state, string? dataCenterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {State} at {DataCenterId}")]
    private static partial void LogFinished(ILogger logger, string jobId, JobState state, string? dataCenterId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} preempted in {DataCenterId}: {Reason}")]
    private static partial void LogPreempted(ILogger logger, string jobId, string dataCenterId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation drove job {JobId} on from {State}: {Outcome}")]
    private static partial void LogDriven(ILogger logger, string jobId, JobState state, PlaceOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing job {JobId} in tenant {Tenant}'s index failed; its row follows one-way")]
    private static partial void LogRegisterFailed(ILogger logger, string jobId, string tenant, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing events of job {JobId} failed; they stay in its history")]
    private static partial void LogPublishFailed(ILogger logger, string jobId, Exception exception);
}
