using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Loans;

/// <summary>A loan's persisted state.</summary>
[GenerateSerializer, Alias("cg.LoanRecord")]
internal sealed class LoanRecord
{
    [Id(0)] public LoanTerms? Terms { get; set; }

    [Id(1)] public LoanState State { get; set; }

    [Id(2)] public DateTimeOffset OfferedAt { get; set; }

    [Id(3)] public DateTimeOffset? AcceptedAt { get; set; }

    [Id(4)] public DateTimeOffset? EndsAt { get; set; }

    [Id(5)] public DateTimeOffset? RecallAt { get; set; }

    [Id(6)] public LoanState? DrainingTo { get; set; }

    [Id(7)] public HashSet<string> Drained { get; set; } = new(StringComparer.Ordinal);

    [Id(8)] public HashSet<string> SettledJobs { get; set; } = new(StringComparer.Ordinal);

    [Id(9)] public LoanUsage Usage { get; set; }

    [Id(10)] public List<LoanEvent> History { get; set; } = [];

    [Id(11)] public bool DrainPreempts { get; set; }

    /// <summary>Bumped by every change, so that the book can tell a late announcement from a newer one.</summary>
    [Id(12)] public long Version { get; set; }
}

/// <summary>
/// One loan: the single source of truth between a lender and a borrower. Offers hold capacity at the lender's data
/// centers; the borrower's accept commits here exactly once; recall, return and expiry close the slices, and the loan
/// settles when every slice is empty again. Every change is persisted before it is acknowledged or announced; the other
/// party learns of it on its inbox stream, the federation's book through a one-way call.
/// </summary>
internal sealed partial class LoanGrain(
    [PersistentState("loan", GridStorage.Name)] IPersistentState<LoanRecord> state,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<LoanOptions> options,
    IOptions<ComputeGridOptions> gridOptions,
    ILogger<LoanGrain> logger) : Grain, ILoanGrain, IRemindable
{
    private const string DeadlineReminder = "deadline";
    private IGrainTimer? _timer;
    private bool? _reminded;

    private string LoanId => this.GetPrimaryKeyString();

    private LoanRecord Record => state.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken) => UpdateDeadlinesAsync();

    /// <summary>The reminder only wakes an open loan after a restart of the whole cluster; its timer checks the deadlines.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status) => TickAsync();

    public async Task<LoanSnapshot> OpenAsync(LoanTerms proposed, CancellationToken cancellationToken = default)
    {
        if (Record.Terms is not null)
        {
            return Snapshot();
        }

        // Persist the proposal first: should we crash while holding, the lapse of the offer releases whatever was held.
        Record.Terms = proposed with { LoanId = LoanId };
        Record.State = LoanState.Offered;
        Record.OfferedAt = clock.Now;
        await state.WriteStateAsync(cancellationToken);

        var held = new List<LoanSlice>();
        foreach (var slice in proposed.Slices)
        {
            var amount = await GrainFactory.GetGrain<IDataCenterGrain>(slice.DataCenterId).HoldForLoanAsync(LoanId, proposed.Borrower, slice.Amount, cancellationToken);
            if (!QuotaMath.IsUseless(amount))
            {
                held.Add(slice with { Amount = amount });
            }
        }

        Record.Terms = Record.Terms with { Slices = held };
        if (held.Count == 0)
        {
            Enter(LoanState.Declined, "nothing could be held: the lender's data centers are full");
            await state.WriteStateAsync(cancellationToken);
        }
        else
        {
            Append(LoanState.Offered, $"offered {Record.Terms.Amount} in {string.Join(", ", held.Select(s => s.DataCenterId))} until {proposed.OfferExpiresAt:O}");
            await state.WriteStateAsync(cancellationToken);
            LogOffered(logger, LoanId, proposed.Lender, proposed.Borrower, Record.Terms.Amount);
        }

        await AnnounceAsync();
        await UpdateDeadlinesAsync();
        return Snapshot();
    }

    public async Task<AcceptResult> AcceptAsync(string borrower, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("accept loan", hub: borrower, loanId: LoanId);
        if (Record.Terms is not { } terms || terms.Borrower != borrower)
        {
            return new AcceptResult(AcceptOutcome.NotYours, null);
        }

        if (Record.State == LoanState.Offered && clock.Now >= terms.OfferExpiresAt)
        {
            await DeclineCoreAsync("the offer lapsed before it was accepted", cancellationToken);
        }

        if (Record.State != LoanState.Offered)
        {
            return new AcceptResult(Record.AcceptedAt is null ? AcceptOutcome.Lapsed : AcceptOutcome.AlreadyAccepted, Snapshot());
        }

        // Open the slices before the state is durable: if we crash in between, the offer lapses and closes them again,
        // and the borrower, never told Accepted, never placed a job there.
        foreach (var slice in terms.Slices)
        {
            await GrainFactory.GetGrain<IDataCenterGrain>(slice.DataCenterId).OpenLoanAsync(LoanId, cancellationToken);
        }

        var now = clock.Now;
        Record.AcceptedAt = now;
        Record.EndsAt = now + terms.Term;
        Enter(LoanState.Active, $"accepted by {borrower}; term ends {Record.EndsAt:O}");
        await state.WriteStateAsync(cancellationToken);
        LogAccepted(logger, LoanId, terms.Lender, borrower);
        await SendAsync(terms.Lender, new OfferAccepted(MessageId("accepted"), borrower, now, LoanId));
        await AnnounceAsync();
        await UpdateDeadlinesAsync();
        return new AcceptResult(AcceptOutcome.Accepted, Snapshot());
    }

    public async Task DeclineAsync(string borrower, string reason, CancellationToken cancellationToken = default)
    {
        if (Record.Terms?.Borrower == borrower && Record.State == LoanState.Offered)
        {
            await DeclineCoreAsync(reason, cancellationToken);
        }
    }

    public async Task<bool> RecallAsync(string lender, string reason, CancellationToken cancellationToken = default)
    {
        if (Record.Terms is not { } terms || terms.Lender != lender || Record.State != LoanState.Active)
        {
            return Record.State == LoanState.Recalling;
        }

        var now = clock.Now;
        Record.RecallAt = now + terms.RecallNotice;
        Enter(LoanState.Recalling, $"recalled by {lender}: {reason}; borrowed jobs still on it at {Record.RecallAt:O} are preempted");
        await state.WriteStateAsync(cancellationToken);
        LogRecalled(logger, LoanId, lender, reason);
        await SendAsync(terms.Borrower, new RecallNotice(MessageId("recall"), lender, now, LoanId, Record.RecallAt.Value, reason));
        await AnnounceAsync();

        // No new placements from now on; an unused loan comes back at once.
        await CloseSlicesAsync(LoanState.Recalled, preempt: false, reason, cancellationToken, stayRecalling: true);
        await UpdateDeadlinesAsync();
        return true;
    }

    public async Task<bool> ReturnAsync(string borrower, string reason, CancellationToken cancellationToken = default)
    {
        if (Record.Terms is not { } terms || terms.Borrower != borrower || Record.State is not (LoanState.Active or LoanState.Recalling))
        {
            return false;
        }

        await SendAsync(terms.Lender, new LoanReturned(MessageId("returned"), borrower, clock.Now, LoanId, reason));
        await CloseSlicesAsync(LoanState.Returned, preempt: false, $"returned by {borrower}: {reason}", cancellationToken);
        await UpdateDeadlinesAsync();
        return true;
    }

    public async Task OnJobSettledAsync(string dataCenterId, string jobId, ResourceRequest resources, TimeSpan ranFor, Footprint footprint)
    {
        if (Record.Terms is not { } terms || Record.State.IsTerminal() || !Record.SettledJobs.Add($"{dataCenterId}/{jobId}/{ranFor.Ticks}"))
        {
            // A settled loan's usage is final (its slices were empty when it settled, so nothing is lost here).
            return;
        }

        Record.Usage += LoanUsage.Of(resources, ranFor, footprint, AtHome(terms.Borrower, resources, ranFor), terms.Price);
        Record.Version++;
        await state.WriteStateAsync();
        await AnnounceAsync();
    }

    public async Task OnSliceDrainedAsync(string dataCenterId)
    {
        if (Record.Terms is null || !Record.Drained.Add(dataCenterId))
        {
            return;
        }

        await state.WriteStateAsync();
        await SettleIfDrainedAsync(CancellationToken.None);
    }

    public async Task TickAsync(CancellationToken cancellationToken = default)
    {
        if (Record.Terms is not { } terms)
        {
            return;
        }

        var now = clock.Now;
        switch (Record.State)
        {
            case LoanState.Offered when now >= terms.OfferExpiresAt:
                await DeclineCoreAsync("the offer lapsed unanswered", cancellationToken);
                break;
            case LoanState.Active when now >= Record.EndsAt:
                await CloseSlicesAsync(LoanState.Expired, terms.OnExpiry == ExpiryTerms.Preempt, "the loan's term ended", cancellationToken);
                break;
            case LoanState.Recalling when now >= Record.RecallAt:
                await CloseSlicesAsync(LoanState.Recalled, preempt: true, "the recall's notice ended", cancellationToken);
                break;
            case LoanState.Draining:
                // Repeats the close (idempotent) so that a lost preemption or drain signal cannot leave the loan open forever.
                await CloseSlicesAsync(Record.DrainingTo ?? LoanState.Expired, Record.DrainPreempts, "settling", cancellationToken);
                break;
            default:
                break;
        }

        await UpdateDeadlinesAsync();
    }

    public Task<LoanSnapshot?> GetAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Record.Terms is null ? null : Snapshot());

    private async Task DeclineCoreAsync(string reason, CancellationToken cancellationToken)
    {
        var terms = Record.Terms!;
        foreach (var slice in terms.Slices)
        {
            await GrainFactory.GetGrain<IDataCenterGrain>(slice.DataCenterId).CloseLoanAsync(LoanId, preempt: false, reason, cancellationToken);
        }

        Enter(LoanState.Declined, reason);
        await state.WriteStateAsync(cancellationToken);
        await SendAsync(terms.Lender, new OfferDeclined(MessageId("declined"), terms.Borrower, clock.Now, LoanId, reason));
        await SettledAsync();
        await UpdateDeadlinesAsync();
    }

    private async Task CloseSlicesAsync(LoanState final, bool preempt, string reason, CancellationToken cancellationToken, bool stayRecalling = false)
    {
        var terms = Record.Terms!;
        if (!stayRecalling && Record.State != LoanState.Draining)
        {
            Record.DrainingTo = final;
            Record.DrainPreempts = preempt;
            Enter(LoanState.Draining, preempt ? $"{reason}; borrowed jobs on it are preempted" : $"{reason}; no new placements, jobs on it run to their end");
            await state.WriteStateAsync(cancellationToken);
            await AnnounceAsync();
        }

        var changed = false;
        foreach (var slice in terms.Slices.Where(s => !Record.Drained.Contains(s.DataCenterId)))
        {
            if (await GrainFactory.GetGrain<IDataCenterGrain>(slice.DataCenterId).CloseLoanAsync(LoanId, preempt, reason, cancellationToken))
            {
                changed |= Record.Drained.Add(slice.DataCenterId);
            }
        }

        if (changed)
        {
            await state.WriteStateAsync(cancellationToken);
        }

        if (stayRecalling && Record.Drained.Count == terms.Slices.Count)
        {
            Record.DrainingTo = final;
            Enter(LoanState.Draining, "nothing runs on it: it comes back at once");
        }

        await SettleIfDrainedAsync(cancellationToken);
    }

    private async Task SettleIfDrainedAsync(CancellationToken cancellationToken)
    {
        var terms = Record.Terms!;
        if (Record.State != LoanState.Draining || Record.Drained.Count < terms.Slices.Count)
        {
            return;
        }

        var final = Record.DrainingTo ?? LoanState.Expired;
        Enter(final, $"settled: {Record.Usage.Jobs} jobs, {Record.Usage.CoreHours:0.##} core-h, {Record.Usage.GpuHours:0.##} GPU-h, {Record.Usage.ChargeCny:0.##} CNY");
        await state.WriteStateAsync(cancellationToken);
        LogSettled(logger, LoanId, final, Record.Usage.ChargeCny);
        await SettledAsync();
    }

    private async Task SettledAsync()
    {
        var terms = Record.Terms!;
        var settled = new LoanSettled(MessageId("settled"), terms.Lender, clock.Now, LoanId, Record.State, Record.Usage);
        await SendAsync(terms.Lender, settled);
        await SendAsync(terms.Borrower, settled);
        await AnnounceAsync();
    }

    private Footprint AtHome(string borrower, ResourceRequest resources, TimeSpan ranFor)
    {
        var home = catalog.Seed.DataCentersOf(borrower).ToList();
        var cpu = home.Sum(d => (double)d.Capacity.CpuMillicores);
        if (home.Count == 0 || cpu <= 0)
        {
            return Footprint.Zero;
        }

        var energy = new EnergyProfile(
            home.Sum(d => d.Energy.Pue * d.Capacity.CpuMillicores) / cpu,
            home.Sum(d => d.Energy.GridKgCo2PerKwh * d.Capacity.CpuMillicores) / cpu,
            home.Sum(d => d.Energy.GreenShare * d.Capacity.CpuMillicores) / cpu,
            home.Sum(d => d.Energy.PriceCnyPerKwh * d.Capacity.CpuMillicores) / cpu);
        return FootprintCalculator.Of(resources, ranFor, energy, catalog.Seed.Power);
    }

    private void Enter(LoanState next, string detail)
    {
        if (!LoanStateMachine.CanTransition(Record.State, next))
        {
            throw new InvalidOperationException($"Loan {LoanId} cannot go from {Record.State} to {next}.");
        }

        Record.State = next;
        Append(next, detail);
    }

    private void Append(LoanState state, string detail)
    {
        Record.History.Add(new LoanEvent(Record.History.Count + 1, state, clock.Now, detail));
        Record.Version++;
    }

    private string MessageId(string kind) => $"{LoanId}/{kind}/{Record.History.Count}";

    private async Task SendAsync(string hub, LoanMessage message)
    {
        try
        {
            await this.GetStreamProvider(GridStreams.Provider)
                .GetStream<LoanMessage>(StreamId.Create(GridStreams.RegionInboxNamespace, hub))
                .OnNextAsync(message);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OrleansException)
        {
            // The loan's state is durable; regions reconcile their view from the loan on their next pass.
            LogSendFailed(logger, LoanId, hub, e);
        }
    }

    private Task AnnounceAsync() =>
        GrainFactory.GetGrain<ILoanBookGrain>(PoolGrainKey.National).OnLoanChangedAsync(Snapshot().Summarize());

    /// <summary>
    /// While the loan is open: a timer checks its deadlines against the federation clock, and a durable reminder wakes the
    /// loan if the whole cluster restarts (an offer lapsing, a term ending or a recall notice running out must still
    /// happen). Both go when the loan settles.
    /// </summary>
    private async Task UpdateDeadlinesAsync()
    {
        var needed = Record.Terms is not null && !Record.State.IsTerminal();
        if (_reminded != needed)
        {
            if (needed)
            {
                var period = gridOptions.Value.WakeReminderPeriod;
                await this.RegisterOrUpdateReminder(DeadlineReminder, period, period);
            }
            else if (Record.Terms is not null && await this.GetReminder(DeadlineReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            _reminded = needed;
        }

        if (needed && _timer is null)
        {
            var every = options.Value.TickInterval;
            _timer = this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions { DueTime = every, Period = every, KeepAlive = true });
        }
        else if (!needed && _timer is not null)
        {
            _timer.Dispose();
            _timer = null;
        }
    }

    private LoanSnapshot Snapshot() =>
        new(Record.Terms!, Record.State, Record.OfferedAt, Record.AcceptedAt, Record.EndsAt, Record.RecallAt, Record.Usage, [.. Record.History], Record.Version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loan {LoanId}: {Lender} offers {Amount} to {Borrower}")]
    private static partial void LogOffered(ILogger logger, string loanId, string lender, string borrower, ResourceVector amount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loan {LoanId} from {Lender} accepted by {Borrower}")]
    private static partial void LogAccepted(ILogger logger, string loanId, string lender, string borrower);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loan {LoanId} recalled by {Lender}: {Reason}")]
    private static partial void LogRecalled(ILogger logger, string loanId, string lender, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loan {LoanId} settled {State}: {ChargeCny:0.##} CNY")]
    private static partial void LogSettled(ILogger logger, string loanId, LoanState state, double chargeCny);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loan {LoanId}: a protocol message to {HubId} could not be sent")]
    private static partial void LogSendFailed(ILogger logger, string loanId, string hubId, Exception exception);
}
