using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Loans;

/// <summary>
/// One loan: the single source of truth between a lender and a borrower. Offers hold capacity at the lender's data
/// centers; the borrower's accept commits here exactly once; recall, return and expiry close the slices, and the loan
/// settles when every slice is empty again. Its <see cref="LoanBook"/> decides every step and plans it; this grain
/// carries the plans out: every change is persisted before it is acknowledged or announced; the other party learns of it
/// on its inbox stream, the federation's book through a one-way call.
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

    private LoanBook Book => new(LoanId, Record);

    public override Task OnActivateAsync(CancellationToken cancellationToken) => UpdateDeadlinesAsync();

    /// <summary>The reminder only wakes an open loan after a restart of the whole cluster; its timer checks the deadlines.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status) => TickAsync();

    public async Task<LoanSnapshot> OpenAsync(LoanTerms proposed, CancellationToken cancellationToken = default)
    {
        var proposal = Book.Propose(proposed, clock.Now);
        if (proposal.Count == 0)
        {
            return Snapshot();
        }

        var holds = await CarryOutAsync(proposal, cancellationToken);
        await CarryOutAsync(Book.Held(holds.Held, clock.Now), cancellationToken);
        if (Record.State == LoanState.Offered)
        {
            LogOffered(logger, LoanId, proposed.Lender, proposed.Borrower, Record.Terms!.Amount);
        }

        await UpdateDeadlinesAsync();
        return Snapshot();
    }

    public async Task<AcceptResult> AcceptAsync(string borrower, CancellationToken cancellationToken = default)
    {
        using var activity = Telemetry.GridTracing.Start("accept loan", hub: borrower, loanId: LoanId);
        var accept = Book.Accept(borrower, clock.Now);
        await CarryOutAsync(accept.Plan, cancellationToken);
        if (accept.Answer == LoanAcceptVerdict.Accepted)
        {
            LogAccepted(logger, LoanId, Record.Terms!.Lender, borrower);
        }

        await UpdateDeadlinesAsync();
        return accept.Answer switch
        {
            LoanAcceptVerdict.Accepted => new AcceptResult(AcceptOutcome.Accepted, Snapshot()),
            LoanAcceptVerdict.AlreadyAccepted => new AcceptResult(AcceptOutcome.AlreadyAccepted, Snapshot()),
            LoanAcceptVerdict.Lapsed => new AcceptResult(AcceptOutcome.Lapsed, Snapshot()),
            _ => new AcceptResult(AcceptOutcome.NotYours, null),
        };
    }

    public async Task DeclineAsync(string borrower, string reason, CancellationToken cancellationToken = default)
    {
        if (Book.MayDecline(borrower))
        {
            await CloseAsync(new LoanClosing(LoanState.Declined, false, reason), cancellationToken);
        }
    }

    public async Task<bool> RecallAsync(string lender, string reason, CancellationToken cancellationToken = default)
    {
        var recall = Book.Recall(lender, reason, clock.Now);
        if (recall.Then is { } closing)
        {
            await CarryOutAsync(recall.Plan, cancellationToken);
            LogRecalled(logger, LoanId, lender, reason);

            // No new placements from now on; an unused loan comes back at once.
            await CloseAsync(closing, cancellationToken);
        }

        return recall.Answer;
    }

    public async Task<bool> ReturnAsync(string borrower, string reason, CancellationToken cancellationToken = default)
    {
        var giveBack = Book.Return(borrower, reason, clock.Now);
        if (giveBack.Then is { } closing)
        {
            await CarryOutAsync(giveBack.Plan, cancellationToken);
            await CloseAsync(closing, cancellationToken);
        }

        return giveBack.Answer;
    }

    public Task OnJobSettledAsync(string dataCenterId, string jobId, ResourceRequest resources, TimeSpan ranFor, Footprint footprint) =>
        CarryOutAsync(Book.SettleJob(dataCenterId, jobId, resources, ranFor, footprint, catalog.Seed), CancellationToken.None);

    public async Task OnSliceDrainedAsync(string dataCenterId)
    {
        await CarryOutAsync(Book.SliceDrained(dataCenterId, clock.Now), CancellationToken.None);
        await UpdateDeadlinesAsync();
    }

    public async Task TickAsync(CancellationToken cancellationToken = default)
    {
        if (Book.Due(clock.Now) is { } closing)
        {
            await CloseAsync(closing, cancellationToken);
        }

        await UpdateDeadlinesAsync();
    }

    public Task<LoanSnapshot?> GetAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Record.Terms is null ? null : Snapshot());

    /// <summary>Closes the slices as the book plans, tells it which emptied, and carries out what that settles.</summary>
    private async Task CloseAsync(LoanClosing closing, CancellationToken cancellationToken)
    {
        var closed = await CarryOutAsync(Book.Close(closing, clock.Now), cancellationToken);
        await CarryOutAsync(Book.Closed(closing, closed.Emptied, clock.Now), cancellationToken);
        await UpdateDeadlinesAsync();
    }

    /// <summary>
    /// Carries out a plan in order. A step that fails before the plan's last write leaves memory ahead of storage: the
    /// activation then goes, and the next one loads what storage holds (the callers retry idempotently).
    /// </summary>
    private async Task<LoanReplies> CarryOutAsync(IReadOnlyList<LoanIntent> plan, CancellationToken cancellationToken)
    {
        var replies = new LoanReplies();
        var lastWrite = plan.Select((intent, i) => intent is WriteLoan ? i : -1).DefaultIfEmpty(-1).Max();
        for (var i = 0; i < plan.Count; i++)
        {
            try
            {
                await CarryOutStepAsync(plan[i], replies, cancellationToken);
            }
            catch when (i <= lastWrite)
            {
                DeactivateOnIdle();
                throw;
            }
        }

        return replies;
    }

    private async Task CarryOutStepAsync(LoanIntent intent, LoanReplies replies, CancellationToken cancellationToken)
    {
        switch (intent)
        {
            case WriteLoan:
                await state.WriteStateAsync(cancellationToken);
                break;
            case AnnounceLoan:
                await GrainFactory.GetGrain<ILoanBookGrain>(PoolGrainKey.National).OnLoanChangedAsync(Snapshot().Summarize());
                break;
            case HoldSlice hold:
                // The term runs from acceptance, at the latest when the offer lapses: nothing an advance reservation's window needs within it is lent.
                var until = Record.Terms is { } terms ? terms.OfferExpiresAt + terms.Term : DateTimeOffset.MaxValue;
                var held = await DataCenter(hold.Slice.DataCenterId).HoldForLoanUntilAsync(LoanId, hold.Borrower, hold.Slice.Amount, until, cancellationToken);
                replies.Held.Add((hold.Slice, held));
                break;
            case OpenSlice open:
                await DataCenter(open.DataCenterId).OpenLoanAsync(LoanId, cancellationToken);
                break;
            case CloseSlice close:
                if (await DataCenter(close.DataCenterId).CloseLoanAsync(LoanId, close.Preempt, close.Reason, cancellationToken))
                {
                    replies.Emptied.Add(close.DataCenterId);
                }

                break;
            case TellHub tell:
                await SendAsync(tell);
                break;
        }
    }

    private IDataCenterGrain DataCenter(string dataCenterId) => GrainFactory.GetGrain<IDataCenterGrain>(dataCenterId);

    private async Task SendAsync(TellHub tell)
    {
        LoanMessage message = tell switch
        {
            TellAccepted a => new OfferAccepted(a.MessageId, a.FromHub, a.At, LoanId),
            TellDeclined d => new OfferDeclined(d.MessageId, d.FromHub, d.At, LoanId, d.Reason),
            TellRecall r => new RecallNotice(r.MessageId, r.FromHub, r.At, LoanId, r.EffectiveAt, r.Reason),
            TellReturned r => new LoanReturned(r.MessageId, r.FromHub, r.At, LoanId, r.Reason),
            TellSettled s => new LoanSettled(s.MessageId, s.FromHub, s.At, LoanId, s.Final, s.Usage),
            _ => throw new ArgumentOutOfRangeException(nameof(tell), tell, "an unknown message"),
        };
        if (tell is TellSettled { Final: not LoanState.Declined } settled && settled.ToHub == settled.FromHub)
        {
            LogSettled(logger, LoanId, settled.Final, settled.Usage.ChargeCny);
        }

        try
        {
            await this.GetStreamProvider(GridStreams.Provider)
                .GetStream<LoanMessage>(StreamId.Create(GridStreams.RegionInboxNamespace, tell.ToHub))
                .OnNextAsync(message);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OrleansException)
        {
            // The loan's state is durable; regions reconcile their view from the loan on their next pass.
            LogSendFailed(logger, LoanId, tell.ToHub, e);
        }
    }

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
