using System.Diagnostics;
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
using ComputeGrid.Grains.Jobs;
using ComputeGrid.Grains.Persistence;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace ComputeGrid.Grains.Regions;

/// <summary>A loan this region lent, as the lender keeps it until the loan settles.</summary>
[GenerateSerializer, Alias("cg.LentLoanRecord")]
internal sealed record LentLoanRecord(
    [property: Id(0)] string Borrower,
    [property: Id(1)] IReadOnlyList<LoanSlice> Slices,
    [property: Id(2)] LoanState State,
    [property: Id(3)] DateTimeOffset Since)
{
    public ResourceVector Amount => Slices.Aggregate(ResourceVector.Zero, (sum, s) => sum.Plus(s.Amount));
}

/// <summary>A loan this region borrowed, as the borrower keeps it until the loan settles.</summary>
[GenerateSerializer, Alias("cg.BorrowedLoanRecord")]
internal sealed record BorrowedLoanRecord([property: Id(0)] LoanTerms Terms, [property: Id(1)] LoanState State, [property: Id(2)] DateTimeOffset EndsAt);

/// <summary>
/// A region's persisted state, apart from its queue and its placed jobs: those grow with the work in flight, so each is
/// a <see cref="ShardedMap{TValue}"/> of its own (ids 0 and 2 were theirs when they lived here).
/// </summary>
[GenerateSerializer, Alias("cg.RegionRecord")]
internal sealed class RegionRecord
{
    [Id(1)] public long NextSequence { get; set; }

    [Id(3)] public Dictionary<string, LentLoanRecord> Lent { get; set; } = new(StringComparer.Ordinal);

    [Id(4)] public Dictionary<string, BorrowedLoanRecord> Borrowed { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Capacity requests already answered, by request id (duplicates are ignored).</summary>
    [Id(5)] public Dictionary<string, DateTimeOffset> Answered { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Loans that settled, by id (a late message about them changes nothing).</summary>
    [Id(6)] public Dictionary<string, DateTimeOffset> Closed { get; set; } = new(StringComparer.Ordinal);
}

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
    private static readonly TimeSpan MemoryOfClosed = TimeSpan.FromDays(1);
    private const int MapShards = 64;
    private const int NeverFitsShapes = 1024;
    private readonly Dictionary<(string OriginHub, LatencyClass LatencyClass, string AllowedHubs, ResourceRequest Resources), ValidationError?> _neverFits = [];
    private readonly ShardedMap<WaitingJob> _queue = new(grainContext, stateFactory, "region-queue", GridStorage.Name, MapShards);
    private readonly ShardedMap<PlacedJob> _placed = new(grainContext, stateFactory, "region-placed", GridStorage.Name, MapShards);
    private readonly Dictionary<string, CandidateState> _view = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Negotiation> _negotiations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _asking = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _backoff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _suspects = new(StringComparer.Ordinal);
    private readonly ReconcileRotation _rotation = new();
    private NationalTopology _topology = catalog.Seed;

    // The view in placement's orders, so a placement costs the same with 10 data centers or 10,000; Apply replaces it.
    private CandidateIndex _candidates = new(catalog.Seed, string.Empty, []);
    private long _directoryVersion = -1;
    private RegionBook? _book;
    private IGrainTimer? _retryTimer;

    private string HubId => this.GetPrimaryKeyString();

    private bool IsHub => catalog.Seed.Hubs.ContainsKey(HubId);

    private RegionRecord Record => state.State;

    /// <summary>The queue and the placed jobs, loaded on first use over the persisted shards.</summary>
    private RegionBook Book => _book ??= new RegionBook(_queue, _placed, Record.NextSequence);

    private LoanOptions Loans => loanOptions.Value;

    private HubQuota Quota => catalog.Seed.Hubs[HubId].EffectiveQuota;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!IsHub)
        {
            return;
        }

        _ = Book;
        Apply(await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken));
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
        var removed = Book.Unplace(jobId) is not null;
        if (_queue.ContainsKey(jobId))
        {
            if (removed)
            {
                await WriteStateAsync(cancellationToken);
            }

            return new PlaceResult(PlaceOutcome.Queued, null, SubmitRefusal.None, []);
        }

        // The removal is written with the new placement or queue entry, by RegionWritePlan: the queue before the placed
        // jobs, so a failure between them leaves the job queued and placed (the drain settles that), never neither.
        return await PlaceOrQueueAsync(jobId, spec, cancellationToken);
    }

    public Task<bool> HoldsPlacementAsync(string jobId, string dataCenterId) =>
        Task.FromResult(_placed.TryGetValue(jobId, out var placed) && placed.Placement.DataCenterId == dataCenterId);

    public async Task DequeueAsync(string jobId)
    {
        if (Book.Dequeue(jobId))
        {
            await WritePlacementsAsync(CancellationToken.None);
            UpdateRetryTimer();
            await ReturnUnusedLoansAsync(CancellationToken.None);
        }
    }

    public Task OnCapacityFreedAsync(string dataCenterId, ResourceVector free)
    {
        if (_view.TryGetValue(dataCenterId, out var seen))
        {
            See(seen with { Free = free });
        }

        DrainSoon();
        return Task.CompletedTask;
    }

    public Task OnJobReleasedAsync(string jobId)
    {
        if (Book.Release(jobId) is { } was)
        {
            WriteReleasesSoon(fromLoan: was.Placement.LoanId is not null);
        }

        return Task.CompletedTask;
    }

    public async Task OnDirectoryChangedAsync(PoolDirectory directory)
    {
        if (directory.Version > _directoryVersion)
        {
            Apply(directory);
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
            Nominal(),
            Record.Lent.ToDictionary(l => l.Key, l => l.Value.Amount, StringComparer.Ordinal),
            Record.Borrowed.ToDictionary(b => b.Key, b => b.Value.Terms.Amount, StringComparer.Ordinal),
            QuotaMath.LendingRoom(Quota, Nominal(), LentNow()),
            QuotaMath.BorrowingRoom(Quota, BorrowedNow())));

    /// <summary>
    /// One reconciliation pass over the jobs this region believes placed, each asked where it stands (its record is the
    /// truth). A placement whose job ended is dropped (its release notice was lost); one whose job does not hold that
    /// capacity is dropped once it disagreed for <see cref="ComputeGridOptions.ReconcilePasses"/> passes in a row, and a
    /// job left waiting by it (a crash between our placement and its assignment, or its preemption and requeue) is driven on.
    /// </summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        // Queue entries need no pass: placing one asks the job first (AssignAsync), so an entry whose job is gone or
        // placed already is dropped then.
        var records = _placed.Keys;
        foreach (var gone in _suspects.Keys.Except(records, StringComparer.Ordinal).ToList())
        {
            _suspects.Remove(gone);
        }

        var changed = false;
        var turn = _rotation.Next(records, options.Value.ReconcileBatch).Where(_placed.ContainsKey).ToList();
        var snapshots = await JobReads.ReadAsync(GrainFactory, turn, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken);
        foreach (var jobId in turn)
        {
            if (!_placed.TryGetValue(jobId, out var record))
            {
                continue;
            }

            var recordedAt = (string?)record.Placement.DataCenterId;
            if (!snapshots.TryGetValue(jobId, out var snapshot))
            {
                continue;
            }

            var job = GrainFactory.GetGrain<IJobGrain>(jobId);
            var verdict = Reconciliation.JudgeRegionRecord(recordedAt, snapshot?.State, snapshot?.Placement?.DataCenterId);
            if (verdict == RegionVerdict.Reassign)
            {
                if (await ReassignAsync(jobId, snapshot!.Spec, record.Placement, cancellationToken))
                {
                    _suspects.Remove(jobId);
                    continue;
                }

                verdict = RegionVerdict.Suspect;
            }

            if (verdict == RegionVerdict.Agrees || (verdict == RegionVerdict.Suspect && !Reconciliation.Persisted(_suspects, jobId, options.Value.ReconcilePasses)))
            {
                if (verdict == RegionVerdict.Agrees)
                {
                    _suspects.Remove(jobId);
                }

                continue;
            }

            if (verdict == RegionVerdict.Suspect && await JobReads.IsSettlingAsync(GrainFactory, jobId, JobReads.DeadlineFor(options.Value.ReconcileInterval), cancellationToken) is not false)
            {
                // The job is about to record a placement (or did not answer): judge it again from the start.
                _suspects.Remove(jobId);
                continue;
            }

            _suspects.Remove(jobId);
            LogRecordDropped(logger, HubId, jobId, recordedAt, snapshot?.State, snapshot?.Placement?.DataCenterId);
            Book.Unplace(jobId);
            changed = true;
            if (snapshot is { } s && !s.State.IsTerminal() && !s.State.HoldsCapacity())
            {
                // Nobody holds it now. It goes back into our queue, written with this pass (queue before placed), so that
                // a lost one-way call cannot leave it waiting where no region would place it; and the job is driven, so a
                // Pending one records that it waits (its call finds the queue entry).
                if (!_queue.ContainsKey(jobId))
                {
                    Book.Enqueue(jobId, s.Spec, clock.Now);
                }

                await job.DriveAsync();
            }
        }

        if (changed)
        {
            await WriteStateAsync(cancellationToken);
            UpdateRetryTimer();
        }

        await ReconcileLoanRecordsAsync(cancellationToken);
    }

    /// <summary>
    /// Assigns again a placement whose assignment never reached its job (the call failed after the region recorded it):
    /// first reserves it again (idempotent: kept if held, made again if released and still fitting), then tells the job
    /// (idempotent too). False when the data center no longer holds it or the job no longer wants it, or either did not
    /// answer: reconciliation then judges the record as suspect.
    /// </summary>
    private async Task<bool> ReassignAsync(string jobId, JobSpec spec, JobPlacement placement, CancellationToken cancellationToken)
    {
        try
        {
            var held = await ReserveAgainAsync(jobId, spec, placement, cancellationToken);
            if (!held.Holds || !await GrainFactory.GetGrain<IJobGrain>(jobId).AssignAsync(placement, cancellationToken))
            {
                return false;
            }

            LogReassigned(logger, HubId, jobId, placement.DataCenterId);
            return true;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

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
            await ReturnUnusedLoansAsync(cancellationToken);
            return;
        }

        var wanting = new Dictionary<string, List<WaitingJob>>(StringComparer.Ordinal);
        var stuck = new List<WaitingJob>();
        var drained = new List<(string JobId, JobPlacement Placement)>();
        var pass = Stopwatch.GetTimestamp();
        foreach (var next in QueueOrder().Take(options.Value.QueueScanLimit).ToList())
        {
            if (PassSpent(pass))
            {
                DrainSoon();
                break;
            }

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

            if (PlacementNotes.NotWhereAnnounced(queued.AnnouncedHub, placement.HubId, HubId, placement.LoanId is not null, IsBackedOff(queued.AnnouncedHub)) is { } note)
            {
                // Its Queued event named another hub: the Scheduled event (the placement's reason) says why not there.
                placement = placement with { Reason = $"{placement.Reason}; {note}" };
            }

            // Written with the pass's other placements, in RegionWritePlan's order: the placement before the queue entry's removal.
            Book.PlaceFromQueue(queued.JobId, queued.Spec, placement);
            drained.Add((queued.JobId, placement));
        }

        await AssignDrainedAsync(drained, cancellationToken);
        UpdateRetryTimer();
        foreach (var (hub, jobs) in wanting)
        {
            await AskAsync([hub], jobs, $"the best place for {jobs.Count} waiting jobs is in {hub}", cancellationToken);
        }

        await RelieveQueuePressureAsync(stuck, cancellationToken);
        await ReclaimAsync(stuck, cancellationToken);
        await ReturnUnusedLoansAsync(cancellationToken);
    }

    private IEnumerable<QueuedJob> QueueOrder() => Book.QueueOrder(_topology.TotalCapacity);

    /// <summary>
    /// The head of the job's ranking over our own data centers (from the index) and the loan slices we may use, with the
    /// counts its reason states: what <see cref="PlacementEngine.Plan"/> over both would rank first.
    /// </summary>
    private PlacementShortlist Shortlist(JobSpec spec) =>
        _candidates.Shortlist(spec, hub => hub == HubId, [.. LoanCandidates()], options.Value.MaxPlacementAttempts);

    /// <summary>Peers' data centers where an active loan has room (the most roomy slice per data center), as placement scores them.</summary>
    private IEnumerable<CandidateState> LoanCandidates()
    {
        var now = clock.Now;
        var rooms = new Dictionary<string, (ResourceVector Amount, ResourceVector Room)>(StringComparer.Ordinal);
        foreach (var (loanId, loan) in Record.Borrowed)
        {
            if (!loan.State.TakesPlacements() || now >= loan.EndsAt)
            {
                continue;
            }

            foreach (var slice in loan.Terms.Slices)
            {
                var room = SliceRoom(loanId, slice);
                if (!rooms.TryGetValue(slice.DataCenterId, out var best) || room.DominantShareOf(slice.Amount) > best.Room.DominantShareOf(best.Amount))
                {
                    rooms[slice.DataCenterId] = (slice.Amount, room);
                }
            }
        }

        foreach (var (dataCenterId, (amount, room)) in rooms)
        {
            if (_view.TryGetValue(dataCenterId, out var seen))
            {
                // The slice is what we may use there: score its load as the slice's, not the whole data center's, or an
                // unused slice would look full and the job would ask for yet another loan instead of using this one.
                yield return seen with { Spec = seen.Spec with { Capacity = amount }, Free = room };
            }
        }
    }

    private ResourceVector SliceRoom(string loanId, LoanSlice slice) => Book.SliceRoom(loanId, slice);

    /// <summary>The loan wish (<see cref="BorrowPlanner.WantsLoanFrom(JobSpec, NationalTopology, IEnumerable{CandidateState}, ScoredCandidate?, Func{string, bool})"/>) with the pool's best place from the index.</summary>
    private string? WantsLoanFrom(JobSpec spec, PlacementShortlist plan) =>
        Loans.Enabled
            ? BorrowPlanner.WantsLoanFrom(spec, _candidates.Best(spec, hub => hub == spec.OriginHub || MayAsk(hub)), plan.Ranked.Count > 0 ? plan.Ranked[0] : null)
            : null;

    private bool IsBackedOff(string? hub) => hub is not null && _backoff.TryGetValue(hub, out var until) && clock.Now < until;

    private bool MayAsk(string hub) =>
        hub != HubId
        && !(_backoff.TryGetValue(hub, out var until) && clock.Now < until)
        && (QuotaMath.BorrowingRoom(Quota, BorrowedNow()) is not { } room || !QuotaMath.IsUseless(room));

    private async Task<JobPlacement?> TryPlaceAsync(string jobId, JobSpec spec, PlacementShortlist plan, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.GridTracing.Start("place job", jobId, spec.Tenant, HubId);
        foreach (var candidate in plan.Ranked.Take(options.Value.MaxPlacementAttempts))
        {
            var dataCenter = GrainFactory.GetGrain<IDataCenterGrain>(candidate.DataCenterId);
            var energy = _topology.DataCenters[candidate.DataCenterId].Energy;
            if (candidate.HubId == HubId)
            {
                var result = await dataCenter.ReserveAsync(jobId, spec.Resources, HubId, null, spec.Priority, cancellationToken);
                if (_view.TryGetValue(candidate.DataCenterId, out var seen))
                {
                    See(seen with { Free = result.Free, Status = result.Status });
                }

                if (result.Holds)
                {
                    return new JobPlacement(candidate.DataCenterId, candidate.HubId, plan.ReasonFor(candidate), candidate.LatencyMs, candidate.Estimate, energy);
                }

                continue;
            }

            foreach (var (loanId, loan) in Record.Borrowed.Where(b => b.Value.State.TakesPlacements()).ToList())
            {
                if (loan.Terms.Slices.FirstOrDefault(s => s.DataCenterId == candidate.DataCenterId) is not { } slice || !SliceRoom(loanId, slice).Fits(spec.Resources))
                {
                    continue;
                }

                var result = await dataCenter.ReserveAsync(jobId, spec.Resources, HubId, loanId, spec.Priority, cancellationToken);
                if (result.Holds)
                {
                    var reason = $"{plan.ReasonFor(candidate)}; on loan {loanId} from {loan.Terms.Lender}";
                    return new JobPlacement(candidate.DataCenterId, candidate.HubId, reason, candidate.LatencyMs, candidate.Estimate, energy, loanId);
                }

                if (result.Outcome == ReservationOutcome.NoLoan)
                {
                    // The slice closed (a recall or the end of the term we have not heard of yet): stop placing on it.
                    Record.Borrowed[loanId] = loan with { State = LoanState.Draining };
                    Book.RecordChanged();
                }
            }
        }

        return null;
    }

    private ResourceVector Nominal() => _topology.DataCentersOf(HubId).Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity));

    private ResourceVector LentNow() => Record.Lent.Values.Aggregate(ResourceVector.Zero, (sum, l) => sum.Plus(l.Amount));

    private ResourceVector BorrowedNow() => Record.Borrowed.Values.Aggregate(ResourceVector.Zero, (sum, b) => sum.Plus(b.Terms.Amount));

    /// <summary>
    /// <see cref="PlacementEngine.WhyNeverFits"/> over the whole pool, remembered per job shape until the directory changes:
    /// the answer depends only on the shape and the directory, and submissions repeat a few shapes.
    /// </summary>
    private ValidationError? WhyNeverFits(JobSpec spec)
    {
        var shape = (spec.OriginHub, spec.LatencyClass, string.Join(',', spec.AllowedHubs), spec.Resources);
        if (_neverFits.TryGetValue(shape, out var known))
        {
            return known ?? PlacementEngine.WhyOverCap(spec, _topology, _view.Values);
        }

        if (_neverFits.Count >= NeverFitsShapes)
        {
            _neverFits.Clear();
        }

        var never = PlacementEngine.WhyNeverFits(spec, _topology, _topology.DataCenters.Values);
        _neverFits[shape] = never;
        return never ?? PlacementEngine.WhyOverCap(spec, _topology, _view.Values);
    }

    /// <summary>A job with a command needs an agent (online or not, it may come back) that runs its tenant's commands in an allowed hub.</summary>
    private ValidationError? WhyNoAgent(JobSpec spec) =>
        spec.Command is null || _candidates.AnyAgentRuns(spec)
            ? null
            : new ValidationError("command", $"no data center in an allowed hub has an agent that runs commands of tenant '{spec.Tenant}'");

    private async Task<bool> RefreshDirectoryAsync(CancellationToken cancellationToken)
    {
        var directory = await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken);
        if (directory.Version <= _directoryVersion)
        {
            return false;
        }

        Apply(directory);
        return true;
    }

    private void Apply(PoolDirectory directory)
    {
        _directoryVersion = directory.Version;
        _topology = catalog.WithDataCenters(directory.DataCenters.Select(d => d.Spec));
        _neverFits.Clear();
        var previous = new Dictionary<string, CandidateState>(_view, StringComparer.Ordinal);
        _view.Clear();
        foreach (var entry in directory.DataCenters)
        {
            // Keep what we learnt of a known data center's free capacity; a new one starts optimistic (fully free)
            // and its first reservation answer corrects us.
            var free = previous.TryGetValue(entry.Spec.Id, out var seen) && seen.Spec.Capacity.Equals(entry.Spec.Capacity) ? seen.Free : entry.Spec.Capacity;
            _view[entry.Spec.Id] = new CandidateState(entry.Spec, entry.Status, free, entry.CommandTenants, entry.Prices);
        }

        // The directory is ordered by id: the index keeps that order for the jobs that take the full scan.
        _candidates = new CandidateIndex(_topology, HubId, _view.Values);
    }

    /// <summary>Records what we now know of a data center, in the view and in its index.</summary>
    private void See(CandidateState seen)
    {
        _view[seen.Spec.Id] = seen;
        _candidates.Update(seen.Spec.Id, seen.Free, seen.Status);
    }

    private void UpdateRetryTimer()
    {
        // Waiting jobs and borrowed loans both need the safety net (a lost signal must not strand a job or keep an unused loan).
        var needed = _queue.Count > 0 || Record.Borrowed.Count > 0;
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
        foreach (var seen in _view.Values.ToList())
        {
            See(seen with { Free = seen.Spec.Capacity });
        }

        await DrainQueueAsync(CancellationToken.None);
    }

    /// <summary>Writes the region's record and the shards of its queue and placed jobs that changed.</summary>
    private Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        Book.RecordChanged();
        return WritePlacementsAsync(cancellationToken);
    }

    /// <summary>
    /// A turn's write: the shards it changed, and the record only when something changed it (a loan found closed while
    /// placing, or any caller of <see cref="WriteStateAsync"/>), in <see cref="RegionWritePlan"/>'s order. Unlike a data
    /// center's record, the region's is no fence: the data center's ledger is the authority over capacity (it refuses
    /// what it does not hold), so a placed-job entry that a stale activation wrote is dropped by reconciliation and one it
    /// lost costs only the loan and fair-share accounting of a job that is placed anyway.
    /// </summary>
    private async Task WritePlacementsAsync(CancellationToken cancellationToken)
    {
        var (plan, changes) = Book.TakeWritePlan();
        Record.NextSequence = Book.NextSequence;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} dropped its record of job {JobId} at {RecordedAt}: the job is {State} at {PlacedAt}")]
    private static partial void LogRecordDropped(ILogger logger, string hubId, string jobId, string? recordedAt, JobState? state, string? placedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} placed job {JobId} again: {DataCenterId} no longer holds its earlier placement ({Outcome})")]
    private static partial void LogPlacementLapsed(ILogger logger, string hubId, string jobId, string dataCenterId, ReservationOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} assigned job {JobId} to {DataCenterId} again: its first assignment never reached it")]
    private static partial void LogReassigned(ILogger logger, string hubId, string jobId, string dataCenterId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} queued in {HubId} ({QueueLength} waiting)")]
    private static partial void LogQueued(ILogger logger, string jobId, string hubId, int queueLength);
}
