using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Jobs;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Contracts.Regions;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using ComputeGrid.Grains.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// One hub node. Places the jobs that originate here on its own data centers or, under loans, on its peers': ranks data
/// centers with the domain's placement engine over possibly stale free-capacity summaries and commits at the data center
/// (optimistic, as in Omega). What fits nowhere now waits in the queue, tried by priority, then fair share between
/// tenants. It borrows when its jobs' best place is a peer's (policy) or when jobs wait too long (pressure), lends what
/// its quota allows when peers ask, and recalls lent capacity for its own waiting work per its reclaim policy. The loan
/// protocol arrives on its inbox stream.
/// </summary>
[ImplicitStreamSubscription(GridStreams.RegionInboxNamespace)]
[Placement.ZonePlacement]
internal sealed partial class RegionGrain(
    [PersistentState("region", GridStorage.Name)] IPersistentState<RegionRecord> state,
    IGrainContext grainContext,
    IPersistentStateFactory stateFactory,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<ComputeGridOptions> options,
    IOptions<LoanOptions> loanOptions,
    ILogger<RegionGrain> logger) : Grain, IRegionGrain, IRemindable
{
    private const string WakeReminder = "wake";
    private const int MapShards = 64;
    private readonly ShardedMap<WaitingJob> _queue = new(grainContext, stateFactory, "region-queue", GridStorage.Name, MapShards);
    private readonly ShardedMap<PlacedJob> _placed = new(grainContext, stateFactory, "region-placed", GridStorage.Name, MapShards);
    private RegionView? _view;
    private RegionBook? _book;
    private RegionLoanBook? _loans;
    private IGrainTimer? _retryTimer;

    private string HubId => this.GetPrimaryKeyString();

    private bool IsHub => catalog.Seed.Hubs.ContainsKey(HubId);

    private RegionRecord Record => state.State;

    /// <summary>The pool as this region last saw it.</summary>
    private RegionView View => _view ??= new RegionView(catalog, HubId);

    private NationalTopology Topology => View.Topology;

    /// <summary>The queue and the placed jobs, loaded on first use over the persisted shards.</summary>
    private RegionBook Book => _book ??= new RegionBook(_queue, _placed, Record.NextSequence);

    /// <summary>The loans lent and borrowed and the open negotiations, over the persisted record (a hub's only).</summary>
    private RegionLoanBook Loans => _loans ??= Record.LoadLoans(HubId, catalog.Seed.Hubs[HubId].EffectiveQuota, loanOptions.Value, Book);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!IsHub)
        {
            return;
        }

        _ = Loans;
        View.Apply(await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken));
        await this.GetStreamProvider(GridStreams.Provider)
            .GetStream<LoanMessage>(StreamId.Create(GridStreams.RegionInboxNamespace, HubId))
            .SubscribeAsync((message, _) => OnLoanMessageAsync(message));
        UpdateRetryTimer();
        var interval = options.Value.ReconcileInterval;
        this.RegisterGrainTimer(ReconcileAsync, new GrainTimerCreationOptions(interval, interval) { Interleave = false, KeepAlive = false });

        // Wakes the region after a restart of the whole cluster: its queue and loans need it active to move.
        await this.RegisterOrUpdateReminder(WakeReminder, options.Value.WakeReminderPeriod, options.Value.WakeReminderPeriod, cancellationToken);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;

    public async Task<PlaceResult> PlaceAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default) =>
        (await PlaceBatchAsync([new PlaceAsk(jobId, spec)], cancellationToken))[0];

    public async Task<PlaceResult> RequeueAsync(string jobId, JobSpec spec, CancellationToken cancellationToken = default)
    {
        switch (Book.Requeue(jobId))
        {
            case RequeueDecision.PlaceOrQueue:
                return await PlaceOrQueueAsync(jobId, spec, cancellationToken);
            case RequeueDecision.WaitingAlreadyWrite:
                await WritePlacementsAsync(cancellationToken);
                break;
        }

        return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
    }

    public Task<bool> HoldsPlacementAsync(string jobId, string dataCenterId) =>
        Task.FromResult(_placed.TryGetValue(jobId, out var placed) && placed.Placement.DataCenterId == dataCenterId);

    public async Task DequeueAsync(string jobId)
    {
        if (Book.Dequeue(jobId))
        {
            await WritePlacementsAsync(CancellationToken.None);
            UpdateRetryTimer();
            await CarryOutAsync(Loans.ReturnsDue(), CancellationToken.None);
        }
    }

    public async Task OnCapacityFreedAsync(string dataCenterId, ResourceVector free)
    {
        View.See(dataCenterId, free);
        await DrainQueueAsync(CancellationToken.None);
    }

    public async Task OnJobReleasedAsync(string jobId)
    {
        if (Book.Release(jobId) is { } was)
        {
            await WritePlacementsAsync(CancellationToken.None);
            if (was.Placement.LoanId is not null)
            {
                await CarryOutAsync(Loans.ReturnsDue(), CancellationToken.None);
            }
        }
    }

    public async Task OnDirectoryChangedAsync(PoolDirectory directory)
    {
        if (View.Apply(directory))
        {
            await DrainQueueAsync(CancellationToken.None);
        }
    }

    public Task<int> GetQueueLengthAsync(CancellationToken cancellationToken = default) => Task.FromResult(_queue.Count);

    public Task<DateTimeOffset?> GetOldestQueuedAtAsync(CancellationToken cancellationToken = default) => Task.FromResult(_queue.Count == 0 ? null : (DateTimeOffset?)_queue.Values.Min(q => q.EnqueuedAt));

    public Task<IReadOnlyList<QueueEntry>> GetQueueAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<QueueEntry>>(
            [.. QueueOrder().Select(q => _queue[q.JobId]).Select(q => new QueueEntry(q.JobId, q.Spec.Tenant, q.Spec.Priority, q.Sequence, q.EnqueuedAt))]);

    public Task<RegionLoans> GetLoansAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new RegionLoans(
            HubId,
            View.Nominal,
            Loans.Lent.ToDictionary(l => l.Key, l => l.Value.Amount, StringComparer.Ordinal),
            Loans.Borrowed.ToDictionary(b => b.Key, b => b.Value.Terms.Amount, StringComparer.Ordinal),
            Loans.LendingRoom(View.Nominal),
            Loans.BorrowingRoom()));

    /// <summary>Reserves a placement this region recorded once more at its data center (on its loan, if any): idempotent.</summary>
    private Task<ReservationResult> ReserveAgainAsync(string jobId, JobSpec spec, JobPlacement placement, CancellationToken cancellationToken) =>
        GrainFactory.GetGrain<IDataCenterGrain>(placement.DataCenterId).ReserveAsync(jobId, spec.Resources, HubId, placement.LoanId, spec.Priority, cancellationToken);

    private async Task<PlaceResult> PlaceOrQueueAsync(string jobId, JobSpec spec, CancellationToken cancellationToken)
    {
        var plan = Shortlist(spec);
        var wants = WantsLoanFrom(spec, plan);
        if (wants is null && await TryPlaceAsync(jobId, spec, plan, cancellationToken) is { } placement)
        {
            Book.Place(jobId, spec, placement);
            await WritePlacementsAsync(cancellationToken);
            return new PlaceResult(PlaceOutcome.Placed, placement, SubmitRefusal.None, []);
        }

        var queued = Book.Enqueue(jobId, spec, clock.Now, wants);
        await WritePlacementsAsync(cancellationToken);
        LogQueued(logger, jobId, HubId, _queue.Count);
        UpdateRetryTimer();
        if (wants is not null)
        {
            await AskAsync([wants], [queued], $"the best place for {jobId} ({spec.Policy}) is in {wants}", cancellationToken);
            return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, [], $"its best place ({spec.Policy}) is in {wants}: waiting in {HubId}'s queue while {HubId} borrows capacity there");
        }

        // Our own capacity may be out on loan: recall it now rather than at the next queue pass.
        await ReclaimAsync([queued], cancellationToken);
        return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
    }

    private async Task DrainQueueAsync(CancellationToken cancellationToken)
    {
        if (_queue.Count == 0)
        {
            await CarryOutAsync(Loans.ReturnsDue(), cancellationToken);
            return;
        }

        var wanting = new Dictionary<string, List<WaitingJob>>(StringComparer.Ordinal);
        var stuck = new List<WaitingJob>();
        foreach (var next in QueueOrder().Take(options.Value.QueueScanLimit).ToList())
        {
            if (!_queue.TryGetValue(next.JobId, out var queued))
            {
                continue;
            }

            if (RegionWritePlan.Settle(queued: true, _placed.ContainsKey(queued.JobId)) is (false, true))
            {
                // Placed already, and a crash came between the two writes of its move (RegionWritePlan): the placement is
                // the newer record, and reconciliation assigns it again if the job never heard of it.
                Book.Dequeue(queued.JobId);
                await WritePlacementsAsync(cancellationToken);
                continue;
            }

            var plan = Shortlist(queued.Spec);
            if (WantsLoanFrom(queued.Spec, plan) is { } hub)
            {
                (wanting.TryGetValue(hub, out var list) ? list : wanting[hub] = []).Add(queued);
                continue;
            }

            if (await TryPlaceAsync(queued.JobId, queued.Spec, plan, cancellationToken) is not { } placement)
            {
                stuck.Add(queued);
                continue;
            }

            if (PlacementNotes.NotWhereAnnounced(queued.AnnouncedHub, placement.HubId, HubId, placement.LoanId is not null, Loans.IsBackedOff(queued.AnnouncedHub, clock.Now)) is { } note)
            {
                // Its Queued event named another hub: the Scheduled event (the placement's reason) says why not there.
                placement = placement with { Reason = $"{placement.Reason}; {note}" };
            }

            // One write, in RegionWritePlan's order: the placement before the queue entry's removal.
            Book.PlaceFromQueue(queued.JobId, queued.Spec, placement);
            await WritePlacementsAsync(cancellationToken);
            var accepted = await GrainFactory.GetGrain<IJobGrain>(queued.JobId).AssignAsync(placement, cancellationToken);
            if (!accepted)
            {
                // Cancelled while we reserved: give the capacity straight back.
                Book.Release(queued.JobId);
                await WritePlacementsAsync(cancellationToken);
                await GrainFactory.GetGrain<IDataCenterGrain>(placement.DataCenterId).ReleaseAsync(queued.JobId, default, TimeSpan.Zero, cancellationToken);
            }
        }

        UpdateRetryTimer();
        foreach (var (hub, jobs) in wanting)
        {
            await AskAsync([hub], jobs, $"the best place for {jobs.Count} waiting jobs is in {hub}", cancellationToken);
        }

        if (Loans.UnderPressure(stuck, Topology, clock.Now) is { } pressure)
        {
            await AskAsync(pressure.Peers, pressure.Jobs, pressure.Reason, cancellationToken);
        }

        await ReclaimAsync(stuck, cancellationToken);
        await CarryOutAsync(Loans.ReturnsDue(), cancellationToken);
    }

    private IEnumerable<QueuedJob> QueueOrder() => Book.QueueOrder(Topology.TotalCapacity);

    private PlacementShortlist Shortlist(JobSpec spec) => View.Shortlist(spec, Loans.UsableSlices(clock.Now), options.Value.MaxPlacementAttempts);

    /// <summary>The loan wish (<see cref="BorrowPlanner.WantsLoanFrom(JobSpec, ScoredCandidate?, ScoredCandidate?)"/>) with the pool's best place from the index.</summary>
    private string? WantsLoanFrom(JobSpec spec, PlacementShortlist plan) =>
        loanOptions.Value.Enabled
            ? BorrowPlanner.WantsLoanFrom(spec, View.Best(spec, hub => hub == spec.OriginHub || Loans.MayAsk(hub, clock.Now)), plan.Ranked.Count > 0 ? plan.Ranked[0] : null)
            : null;

    private async Task<JobPlacement?> TryPlaceAsync(string jobId, JobSpec spec, PlacementShortlist plan, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.GridTracing.Start("place job", jobId, spec.Tenant, HubId);
        foreach (var candidate in plan.Ranked.Take(options.Value.MaxPlacementAttempts))
        {
            var dataCenter = GrainFactory.GetGrain<IDataCenterGrain>(candidate.DataCenterId);
            var energy = Topology.DataCenters[candidate.DataCenterId].Energy;
            if (candidate.HubId == HubId)
            {
                var result = await dataCenter.ReserveAsync(jobId, spec.Resources, HubId, null, spec.Priority, cancellationToken);
                View.See(candidate.DataCenterId, result.Free, result.Status);

                if (result.Holds)
                {
                    return new JobPlacement(candidate.DataCenterId, candidate.HubId, plan.ReasonFor(candidate), candidate.LatencyMs, candidate.Estimate, energy);
                }

                continue;
            }

            foreach (var (loanId, lender) in Loans.LoansWithRoom(candidate.DataCenterId, spec.Resources))
            {
                var result = await dataCenter.ReserveAsync(jobId, spec.Resources, HubId, loanId, spec.Priority, cancellationToken);
                if (result.Holds)
                {
                    var reason = $"{plan.ReasonFor(candidate)}; on loan {loanId} from {lender}";
                    return new JobPlacement(candidate.DataCenterId, candidate.HubId, reason, candidate.LatencyMs, candidate.Estimate, energy, loanId);
                }

                if (result.Outcome == ReservationOutcome.NoLoan)
                {
                    // The slice closed (a recall or the end of the term we have not heard of yet): stop placing on it.
                    Loans.SliceClosed(loanId);
                }
            }
        }

        return null;
    }

    private async Task<bool> RefreshDirectoryAsync(CancellationToken cancellationToken) =>
        View.Apply(await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken));

    private void UpdateRetryTimer()
    {
        // Waiting jobs and borrowed loans both need the safety net (a lost signal must not strand a job or keep an unused loan).
        var needed = _queue.Count > 0 || _loans is { Borrowed.Count: > 0 };
        if (needed && _retryTimer is null)
        {
            var interval = options.Value.QueueRetryInterval;
            // Not the timer's token: the drain may dispose this very timer (an empty queue and no loans), which cancels it.
            _retryTimer = this.RegisterGrainTimer(_ => RetryAsync(), interval, interval);
        }
        else if (!needed && _retryTimer is not null)
        {
            _retryTimer.Dispose();
            _retryTimer = null;
        }
    }

    private async Task RetryAsync()
    {
        // The safety net for lost signals: forget what we think is full and ask again.
        View.ForgetWhatIsFull();
        await DrainQueueAsync(CancellationToken.None);
    }

    /// <summary>
    /// A turn's write: the shards it changed, and the record only when something changed it (a loan decision, a
    /// sequence number taken), in <see cref="RegionWritePlan"/>'s order. Unlike a data
    /// center's record, the region's is no fence: the data center's ledger is the authority over capacity (it refuses
    /// what it does not hold), so a placed-job entry that a stale activation wrote is dropped by reconciliation and one it
    /// lost costs only the loan and fair-share accounting of a job that is placed anyway.
    /// </summary>
    private async Task WritePlacementsAsync(CancellationToken cancellationToken)
    {
        var (plan, changes) = Book.TakeWritePlan();
        Record.NextSequence = Book.NextSequence;
        if (_loans is not null && plan.Contains(RegionWrite.Record))
        {
            Record.Store(_loans);
        }

        try
        {
            foreach (var step in plan)
            {
                await (step switch
                {
                    RegionWrite.Record => state.WriteStateAsync(cancellationToken),
                    RegionWrite.Queue => _queue.WriteChangesAsync(cancellationToken),
                    _ => _placed.WriteChangesAsync(cancellationToken),
                });
            }
        }
        catch
        {
            // Not durable: the next write takes all of it again (the shards stay marked as changed by themselves), and
            // the activation goes once idle, so the next one starts from what storage holds.
            Book.Unwritten(changes);
            DeactivateOnIdle();
            throw;
        }
    }

    private static PlaceResult Rejected(SubmitRefusal refusal, IReadOnlyList<ValidationError> errors) =>
        new(PlaceOutcome.Rejected, null, refusal, errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} placed job {JobId} again: {DataCenterId} no longer holds its earlier placement ({Outcome})")]
    private static partial void LogPlacementLapsed(ILogger logger, string hubId, string jobId, string dataCenterId, ReservationOutcome outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} queued in {HubId} ({QueueLength} waiting)")]
    private static partial void LogQueued(ILogger logger, string jobId, string hubId, int queueLength);
}
