using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>The loan protocol as a region speaks it: borrowing, lending, recalling and returning.</summary>
internal sealed partial class RegionGrain
{
    /// <summary>One open request for capacity: the peers asked, their answers so far, and the window that closes it.</summary>
    private sealed class Negotiation(string requestId, BorrowDemand demand, IReadOnlyCollection<string> asked, IReadOnlyList<ResourceRequest> jobs)
    {
        public string RequestId { get; } = requestId;

        public BorrowDemand Demand { get; } = demand;

        /// <summary>The waiting jobs' resources: an offer no one of them fits in is useless.</summary>
        public IReadOnlyList<ResourceRequest> Jobs { get; } = jobs;

        public HashSet<string> Asked { get; } = [.. asked];

        public HashSet<string> Answered { get; } = new(StringComparer.Ordinal);

        public List<LoanTerms> Offers { get; } = [];

        public IGrainTimer? Window { get; set; }
    }

    private async Task AskAsync(IReadOnlyCollection<string> hubs, IReadOnlyList<WaitingJob> jobs, string reason, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.GridTracing.StartBorrowing(jobs, HubId, hubs);
        var peers = hubs.Where(h => MayAsk(h) && !_asking.ContainsKey(h)).ToList();
        if (peers.Count == 0)
        {
            return;
        }

        var room = QuotaMath.BorrowingRoom(Quota, BorrowedNow().Plus(PendingAsk()));
        if (BorrowPlanner.Demand(jobs.Select(j => j.Spec), Loans.MaxJobsPerRequest, room, Loans.TermFactor, Loans.MinTerm, Loans.MaxTerm) is not { } demand)
        {
            return;
        }

        var requestId = $"{HubId}.{Guid.NewGuid():n}";
        var negotiation = new Negotiation(requestId, demand, peers, [.. jobs.Select(j => j.Spec.Resources)]);
        _negotiations[requestId] = negotiation;
        foreach (var peer in peers)
        {
            _asking[peer] = requestId;
        }

        negotiation.Window = this.RegisterGrainTimer((id, _) => CloseWindowAsync(id), requestId, Loans.OfferWindow, Timeout.InfiniteTimeSpan);
        var peerList = string.Join(", ", peers);
        LogAsking(logger, HubId, peerList, demand.Amount, reason);
        var now = clock.Now;
        foreach (var peer in peers)
        {
            await SendAsync(peer, new CapacityRequest($"{requestId}/{peer}", HubId, now, requestId, demand.Amount, demand.Term, demand.MaxLatencyMs, Loans.Ceiling, demand.Policy, reason));
        }
    }

    private ResourceVector PendingAsk() =>
        _negotiations.Values.Aggregate(ResourceVector.Zero, (sum, n) => sum.Plus(n.Demand.Amount));

    /// <remarks>
    /// Also the window timer's callback, which disposes that timer: Orleans then cancels the token it gave the callback,
    /// and the accepts, declines, write and drain that follow would be cut short (a chaos run left whole classes of
    /// jobs waiting that way, their offers never accepted). So it takes no token; every call is bounded by the response
    /// timeout anyway.
    /// </remarks>
    private async Task CloseWindowAsync(string requestId)
    {
        var cancellationToken = CancellationToken.None;
        if (!_negotiations.Remove(requestId, out var negotiation))
        {
            return;
        }

        negotiation.Window?.Dispose();
        foreach (var peer in negotiation.Asked.Where(p => _asking.GetValueOrDefault(p) == requestId))
        {
            _asking.Remove(peer);
        }

        var now = clock.Now;
        foreach (var silent in negotiation.Asked.Where(p => !negotiation.Answered.Contains(p)))
        {
            _backoff[silent] = now + Loans.AskBackoff;
        }

        var useful = negotiation.Offers.Where(o => LendingPlanner.IsUseful(o, negotiation.Jobs)).ToList();
        foreach (var useless in negotiation.Offers.Except(useful))
        {
            _backoff[useless.Lender] = now + Loans.AskBackoff;
            await GrainFactory.GetGrain<ILoanGrain>(useless.LoanId).DeclineAsync(HubId, "none of the waiting jobs fits in it", cancellationToken);
        }

        var choice = OfferRanking.Choose(useful, negotiation.Demand.Policy, negotiation.Demand.Amount, QuotaMath.BorrowingRoom(Quota, BorrowedNow()), Loans.Ceiling);
        var changed = false;
        foreach (var offer in choice.Accept)
        {
            var result = await GrainFactory.GetGrain<ILoanGrain>(offer.LoanId).AcceptAsync(HubId, cancellationToken);
            if (result is { Holds: true, Loan: { } loan })
            {
                Record.Borrowed[offer.LoanId] = new BorrowedLoanRecord(loan.Terms, loan.State, loan.EndsAt ?? now);
                changed = true;
                LogBorrowed(logger, HubId, offer.Amount, offer.Lender, offer.LoanId);
            }
            else
            {
                _backoff[offer.Lender] = now + Loans.AskBackoff;
            }
        }

        foreach (var (offer, reason) in choice.Decline)
        {
            await GrainFactory.GetGrain<ILoanGrain>(offer.LoanId).DeclineAsync(HubId, reason, cancellationToken);
        }

        if (changed)
        {
            await WriteStateAsync(cancellationToken);
            UpdateRetryTimer();
        }

        await DrainQueueAsync(cancellationToken);
    }

    private async Task OnLoanMessageAsync(LoanMessage message)
    {
        switch (message)
        {
            case CapacityRequest request:
                await AnswerAsync(request);
                break;
            case CapacityOffer offer:
                await OnOfferAsync(offer);
                break;
            case CapacityRefused refused when _negotiations.TryGetValue(refused.RequestId, out var negotiation):
                _backoff[refused.FromHub] = clock.Now + Loans.AskBackoff;
                negotiation.Answered.Add(refused.FromHub);
                await CloseIfAllAnsweredAsync(negotiation);
                break;
            case OfferAccepted accepted when Record.Lent.TryGetValue(accepted.LoanId, out var lent) && lent.State == LoanState.Offered:
                Record.Lent[accepted.LoanId] = lent with { State = LoanState.Active, Since = accepted.SentAt };
                await WriteStateAsync();
                break;
            case OfferDeclined declined:
                await ForgetAsync(declined.LoanId);
                break;
            case RecallNotice recall when Record.Borrowed.TryGetValue(recall.LoanId, out var borrowed) && borrowed.State == LoanState.Active:
                Record.Borrowed[recall.LoanId] = borrowed with { State = LoanState.Recalling };
                await WriteStateAsync();
                break;
            case LoanReturned returned when Record.Lent.TryGetValue(returned.LoanId, out var lent) && !lent.State.IsTerminal():
                Record.Lent[returned.LoanId] = lent with { State = LoanState.Draining };
                await WriteStateAsync();
                break;
            case LoanSettled settled:
                await ForgetAsync(settled.LoanId);
                break;
            default:
                break;
        }
    }

    private async Task OnOfferAsync(CapacityOffer offer)
    {
        var loanId = offer.Terms.LoanId;
        if (Record.Borrowed.ContainsKey(loanId) || Record.Closed.ContainsKey(loanId))
        {
            return;
        }

        if (!_negotiations.TryGetValue(offer.RequestId, out var negotiation))
        {
            await GrainFactory.GetGrain<ILoanGrain>(loanId).DeclineAsync(HubId, "arrived after the offer window closed");
            return;
        }

        if (negotiation.Offers.All(o => o.LoanId != loanId))
        {
            negotiation.Offers.Add(offer.Terms);
        }

        negotiation.Answered.Add(offer.FromHub);
        await CloseIfAllAnsweredAsync(negotiation);
    }

    private async Task CloseIfAllAnsweredAsync(Negotiation negotiation)
    {
        if (negotiation.Asked.IsSubsetOf(negotiation.Answered))
        {
            await CloseWindowAsync(negotiation.RequestId);
        }
    }

    private async Task ForgetAsync(string loanId)
    {
        var wasLent = Record.Lent.Remove(loanId);
        var wasBorrowed = Record.Borrowed.Remove(loanId);
        var now = clock.Now;
        Record.Closed[loanId] = now;
        foreach (var old in Record.Closed.Where(c => now - c.Value > MemoryOfClosed).Select(c => c.Key).ToList())
        {
            Record.Closed.Remove(old);
        }

        await WriteStateAsync();
        if (wasLent)
        {
            // The capacity is back: our own queue may use it.
            await DrainQueueAsync(CancellationToken.None);
        }
        else if (wasBorrowed)
        {
            Book.ForgetLoan(loanId);
            UpdateRetryTimer();
        }
    }

    /// <summary>The lender's side: offer what the quota and the spare capacity allow, held at the data centers, or refuse.</summary>
    private async Task AnswerAsync(CapacityRequest request)
    {
        if (!IsHub || Record.Answered.ContainsKey(request.RequestId) || request.FromHub == HubId)
        {
            return;
        }

        var now = clock.Now;
        Record.Answered[request.RequestId] = now;
        foreach (var old in Record.Answered.Where(a => now - a.Value > MemoryOfClosed).Select(a => a.Key).ToList())
        {
            Record.Answered.Remove(old);
        }

        var refusal = await OfferAsync(request, now);
        if (refusal is not null)
        {
            await WriteStateAsync();
            LogRefused(logger, HubId, request.FromHub, refusal);
            await SendAsync(request.FromHub, new CapacityRefused($"{request.RequestId}/refused/{HubId}", HubId, now, request.RequestId, refusal));
        }
    }

    private async Task<string?> OfferAsync(CapacityRequest request, DateTimeOffset now)
    {
        using var activity = Telemetry.GridTracing.Start("lend", hub: HubId, peerHub: request.FromHub);
        if (!Loans.Enabled)
        {
            return "lending is disabled here";
        }

        // What our own waiting jobs need stays home: we lend only the spare capacity beyond it.
        var proposal = LendingPlanner.Propose(HubId, request.FromHub, request.Amount, request.MaxLatencyMs, Quota, _topology, _view.Values, LentNow(), QuotaMath.Sum(_queue.Values.Select(q => q.Spec.Resources)), _queue.Count);
        if (proposal.Refusal is { } refusal)
        {
            return refusal;
        }

        var proposed = proposal.Slices;
        var price = proposed
            .Select(s => LoanPricing.PriceOf(_topology.DataCenters[s.DataCenterId], _topology.Power, s.Amount.Gpus.Keys, Loans.PriceMargin))
            .Aggregate(LoanPricing.Max);
        var loanId = $"{request.RequestId}.{HubId}";
        var terms = new LoanTerms(loanId, request.RequestId, HubId, request.FromHub, proposed, price, request.Term, Loans.RecallNotice, Loans.OnExpiry, now + Loans.OfferTtl);

        // Count the proposal against the lending limit before the loan holds anything, so a crash cannot over-lend.
        Record.Lent[loanId] = new LentLoanRecord(request.FromHub, proposed, LoanState.Offered, now);
        await WriteStateAsync();
        var offered = await GrainFactory.GetGrain<ILoanGrain>(loanId).OpenAsync(terms);
        if (offered.State != LoanState.Offered)
        {
            Record.Lent.Remove(loanId);
            Record.Closed[loanId] = now;
            return "our data centers filled up meanwhile";
        }

        Record.Lent[loanId] = new LentLoanRecord(request.FromHub, offered.Terms.Slices, LoanState.Offered, now);
        foreach (var slice in offered.Terms.Slices)
        {
            if (_view.TryGetValue(slice.DataCenterId, out var seen))
            {
                See(seen with { Free = QuotaMath.ClipAtZero(seen.Free.Minus(slice.Amount)) });
            }
        }

        await WriteStateAsync();
        LogOffering(logger, HubId, request.FromHub, offered.Terms.Amount, offered.Terms.Price.CnyPerCoreHour);
        await SendAsync(request.FromHub, new CapacityOffer($"{loanId}/offer", HubId, now, request.RequestId, offered.Terms));
        return null;
    }

    /// <summary>The borrower's side under queue pressure: jobs waiting too long make it ask every peer that could run them.</summary>
    private async Task RelieveQueuePressureAsync(List<WaitingJob> stuck, CancellationToken cancellationToken)
    {
        if (!Loans.Enabled || stuck.Count == 0)
        {
            return;
        }

        var now = clock.Now;
        var pressed = stuck.Where(q => now - q.EnqueuedAt >= Loans.QueuePressureThreshold).ToList();
        if (pressed.Count == 0)
        {
            return;
        }

        var peers = _topology.Hubs.Keys
            .Where(h => h != HubId && pressed.Any(q => BorrowPlanner.CouldRunIn(q.Spec, _topology, h)))
            .ToList();
        if (peers.Count > 0)
        {
            await AskAsync(peers, pressed, $"{pressed.Count} jobs have waited longer than {Loans.QueuePressureThreshold}", cancellationToken);
        }
    }

    /// <summary>The lender's side: recall lent capacity for our own waiting work, per our reclaim policy.</summary>
    private async Task ReclaimAsync(List<WaitingJob> stuck, CancellationToken cancellationToken)
    {
        if (Quota.Reclaim == ReclaimPolicy.Never || stuck.Count == 0 || !Record.Lent.Values.Any(l => l.State == LoanState.Active))
        {
            return;
        }

        var waiting = stuck[0];
        var ownUse = Book.OwnUse();
        var feasible = PlacementEngine.Plan(
            waiting.Spec,
            _topology,
            _view.Values.Where(v => v.Spec.HubId == HubId).Select(v => v with { Free = v.Spec.Capacity })).Ranked;
        var sites = new List<ReclaimSite>();
        foreach (var candidate in feasible)
        {
            var lentHere = Record.Lent.Where(l => l.Value.State == LoanState.Active && l.Value.Slices.Any(s => s.DataCenterId == candidate.DataCenterId)).ToList();
            if (lentHere.Count == 0)
            {
                continue;
            }

            var uses = await GrainFactory.GetGrain<IDataCenterGrain>(candidate.DataCenterId).GetLoanSlicesAsync(cancellationToken);
            var slices = lentHere
                .Select(l => (Loan: l, Use: uses.FirstOrDefault(u => u.LoanId == l.Key)))
                .Where(x => x.Use is not null)
                .Select(x => new LentSlice(x.Loan.Key, x.Use!.Amount, x.Use.HighestPriority, x.Loan.Value.Since))
                .ToList();
            sites.Add(new ReclaimSite(candidate.DataCenterId, QuotaMath.ClipAtZero(_view[candidate.DataCenterId].Free), slices));
        }

        var recalls = ReclaimPlanner.Choose(Quota.Reclaim, waiting.Spec.Resources, waiting.Spec.Priority, ownUse, Nominal(), sites);
        foreach (var loanId in recalls)
        {
            var reason = $"our job {waiting.JobId} (priority {waiting.Spec.Priority}) needs the capacity ({Quota.Reclaim})";
            if (await GrainFactory.GetGrain<ILoanGrain>(loanId).RecallAsync(HubId, reason, cancellationToken) && Record.Lent.TryGetValue(loanId, out var lent))
            {
                Record.Lent[loanId] = lent with { State = LoanState.Recalling };
                LogRecalling(logger, HubId, loanId, reason);
            }
        }

        if (recalls.Count > 0)
        {
            await WriteStateAsync(cancellationToken);
        }
    }

    /// <summary>The borrower's side: a loan nothing runs on and no waiting job could use goes back early.</summary>
    private async Task ReturnUnusedLoansAsync(CancellationToken cancellationToken)
    {
        foreach (var (loanId, loan) in Record.Borrowed.Where(b => b.Value.State is LoanState.Active or LoanState.Recalling).ToList())
        {
            if (!LendingPlanner.ShouldReturn(loan.State, loan.Terms, Book.LoanInUse(loanId), _queue.Values.Select(q => q.Spec)))
            {
                continue;
            }

            if (await GrainFactory.GetGrain<ILoanGrain>(loanId).ReturnAsync(HubId, "nothing runs on it and nothing waiting needs it", cancellationToken))
            {
                Record.Borrowed[loanId] = loan with { State = LoanState.Draining };
                await WriteStateAsync(cancellationToken);
            }
        }
    }

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
            // A lost request or answer only closes the window without it; offers lapse by themselves.
            LogSendFailed(logger, HubId, hub, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId} asks {Peers} for {Amount}: {Reason}")]
    private static partial void LogAsking(ILogger logger, string hubId, string peers, ResourceVector amount, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId} borrowed {Amount} from {Lender} (loan {LoanId})")]
    private static partial void LogBorrowed(ILogger logger, string hubId, ResourceVector amount, string lender, string loanId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId} offers {Amount} to {Borrower} at {CnyPerCoreHour} CNY/core-h")]
    private static partial void LogOffering(ILogger logger, string hubId, string borrower, ResourceVector amount, double cnyPerCoreHour);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{HubId} refuses {Borrower}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string hubId, string borrower, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId} recalls loan {LoanId}: {Reason}")]
    private static partial void LogRecalling(ILogger logger, string hubId, string loanId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{HubId}: a loan message to {Peer} could not be sent")]
    private static partial void LogSendFailed(ILogger logger, string hubId, string peer, Exception exception);
}
