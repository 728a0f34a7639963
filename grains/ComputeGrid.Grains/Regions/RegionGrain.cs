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
/// <para>
/// A thin shell: the decisions are its books' (<see cref="RegionBook"/> for the queue and placed jobs and the order of
/// writes, <see cref="RegionLoanBook"/> for every loan decision, <see cref="PlacedJobAudit"/> for reconciliation) and the
/// placement engine's over its <see cref="RegionView"/>; the grain loads them, applies each call, persists what the write
/// plan says and carries out the intents they return.
/// </para>
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

    /// <summary>The loans lent and borrowed and the open negotiations, over the persisted record (a key that is no hub has none).</summary>
    private RegionLoanBook Loans => _loans ??= Record.LoadLoans(HubId, catalog.Seed.Hubs.TryGetValue(HubId, out var hub) ? hub.EffectiveQuota : HubQuota.Default, loanOptions.Value, Book);

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
        // The first pass comes soon: an activation after a silo's death (or a whole cluster's restart) has work to drive on.
        this.RegisterGrainTimer(ReconcileAsync, new GrainTimerCreationOptions(MembershipReactor.FirstPass(interval), interval) { Interleave = false, KeepAlive = false });

        // Wakes the region after a restart of the whole cluster: its queue and loans need it active to move.
        WakeReminders.RegisterSoon(this, WakeReminder, options.Value.WakeReminderPeriod);
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

    public Task OnCapacityFreedAsync(string dataCenterId, ResourceVector free)
    {
        NoteFreed(dataCenterId, free);
        View.See(dataCenterId, free);
        DrainSoon();
        return Task.CompletedTask;
    }

    public Task OnJobReleasedAsync(string jobId, ResourceVector? freeAtDataCenter = null)
    {
        if (Book.Release(jobId) is { } was)
        {
            // Backfill's gathered capacity changes held this job's end: a placement after it would keep the count.
            _changes = null;
            if (was.Placement.LoanId is null && freeAtDataCenter is { } free)
            {
                View.See(was.Placement.DataCenterId, free);
            }

            WriteReleasesSoon(fromLoan: was.Placement.LoanId is not null);
        }

        return Task.CompletedTask;
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

    public Task<bool> IsQueuePassPendingAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(_drainSoon is not null);

    public Task<RegionLoans> GetLoansAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new RegionLoans(
            HubId,
            View.Nominal,
            Loans.Lent.ToDictionary(l => l.Key, l => l.Value.Amount, StringComparer.Ordinal),
            Loans.Borrowed.ToDictionary(b => b.Key, b => b.Value.Terms.Amount, StringComparer.Ordinal),
            Loans.LendingRoom(View.Nominal),
            Loans.BorrowingRoom()));

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
}
