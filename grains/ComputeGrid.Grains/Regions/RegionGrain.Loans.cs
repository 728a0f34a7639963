using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Domain.Resources;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// The loan protocol as a region speaks it. Every decision is the <see cref="RegionLoanBook"/>'s; this part delivers the
/// inbox's messages to it, carries out the intents it returns (in their order: a <see cref="Persist"/> is written before
/// anything after it is sent) and reports what the loans answered.
/// </summary>
internal sealed partial class RegionGrain
{
    private readonly Dictionary<string, IGrainTimer> _windows = new(StringComparer.Ordinal);

    private async Task AskAsync(IReadOnlyCollection<string> hubs, IReadOnlyList<WaitingJob> jobs, string reason, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.GridTracing.StartBorrowing(jobs, HubId, hubs);
        if (Loans.Ask(hubs, jobs, reason, $"{HubId}.{Guid.NewGuid():n}", clock.Now) is { } ask)
        {
            await CarryOutAsync([ask], cancellationToken);
        }
    }

    /// <remarks>
    /// Also the window timer's callback, which disposes that timer: Orleans then cancels the token it gave the callback,
    /// and the accepts, declines, write and drain that follow would be cut short (a chaos run left whole classes of
    /// jobs waiting that way, their offers never accepted). So it takes no token; every call is bounded by the response
    /// timeout anyway.
    /// </remarks>
    private async Task CloseWindowAsync(string requestId)
    {
        if (_windows.Remove(requestId, out var window))
        {
            window.Dispose();
        }

        await CarryOutAsync(Loans.Close(requestId, clock.Now), CancellationToken.None);
    }

    private Task OnLoanMessageAsync(LoanMessage message) => CarryOutAsync(
        message switch
        {
            CapacityRequest request when IsHub => Loans.Answer(request.ToAsk(), Topology, View.DataCenters, clock.Now),
            CapacityOffer offer => Loans.OnOffer(offer.RequestId, offer.FromHub, offer.Terms),
            CapacityRefused refused => Loans.OnRefused(refused.RequestId, refused.FromHub, clock.Now),
            OfferAccepted accepted => Loans.OnOfferAccepted(accepted.LoanId, accepted.SentAt),
            RecallNotice recall => Loans.OnRecallNotice(recall.LoanId),
            LoanReturned returned => Loans.OnLoanReturned(returned.LoanId),
            OfferDeclined declined => Loans.Forget(declined.LoanId, clock.Now),
            LoanSettled settled => Loans.Forget(settled.LoanId, clock.Now),
            _ => [],
        },
        CancellationToken.None);

    /// <summary>The lender's side: recall lent capacity for our own waiting work, per our reclaim policy.</summary>
    private async Task ReclaimAsync(List<WaitingJob> stuck, CancellationToken cancellationToken)
    {
        if (Loans.Reclaim(stuck, Topology, View.DataCenters) is not { } query)
        {
            return;
        }

        var uses = new Dictionary<string, IReadOnlyList<SliceUse>>(StringComparer.Ordinal);
        foreach (var (dataCenterId, _) in query.Sites)
        {
            var held = await GrainFactory.GetGrain<IDataCenterGrain>(dataCenterId).GetLoanSlicesAsync(cancellationToken);
            uses[dataCenterId] = [.. held.Select(u => u.ToUse())];
        }

        await CarryOutAsync(Loans.ChooseRecalls(query, uses, View.Nominal), cancellationToken);
    }

    /// <summary>Carries out the loan book's intents in order, reporting to it what the loans answered and carrying out what follows.</summary>
    private async Task CarryOutAsync(IReadOnlyList<RegionIntent> intents, CancellationToken cancellationToken)
    {
        foreach (var intent in intents)
        {
            switch (intent)
            {
                case Persist:
                    await WritePlacementsAsync(cancellationToken);
                    UpdateRetryTimer();
                    break;
                case AskPeers ask:
                    _windows[ask.RequestId] = this.RegisterGrainTimer((id, _) => CloseWindowAsync(id), ask.RequestId, loanOptions.Value.OfferWindow, Timeout.InfiniteTimeSpan);
                    var peerList = string.Join(", ", ask.Peers);
                    LogAsking(logger, HubId, peerList, ask.Demand.Amount, ask.Demand.Forecast, ask.Reason);
                    foreach (var peer in ask.Peers)
                    {
                        var demand = ask.Demand;
                        await SendAsync(peer, new CapacityRequest($"{ask.RequestId}/{peer}", HubId, ask.At, ask.RequestId, demand.Amount, demand.Term, demand.MaxLatencyMs, loanOptions.Value.Ceiling, demand.Policy, ask.Reason));
                    }

                    break;
                case CloseWindow close:
                    await CloseWindowAsync(close.RequestId);
                    break;
                case AcceptOffer { Offer: var offer }:
                    var result = await GrainFactory.GetGrain<ILoanGrain>(offer.LoanId).AcceptAsync(HubId, cancellationToken);
                    var now = clock.Now;
                    if (Loans.Accepted(offer, result is { Holds: true, Loan: { } loan } ? new BorrowedLoan(loan.Terms, loan.State, loan.EndsAt ?? now) : null, now))
                    {
                        LogBorrowed(logger, HubId, offer.Amount, offer.Lender, offer.LoanId);
                    }

                    break;
                case DeclineOffer decline:
                    await GrainFactory.GetGrain<ILoanGrain>(decline.LoanId).DeclineAsync(HubId, decline.Reason, cancellationToken);
                    break;
                case OpenLoan open:
                    using (Telemetry.GridTracing.Start("lend", hub: HubId, peerHub: open.Terms.Borrower))
                    {
                        var offered = await GrainFactory.GetGrain<ILoanGrain>(open.Terms.LoanId).OpenAsync(open.Terms, cancellationToken);
                        await CarryOutAsync(Loans.Opened(open.Terms, offered.State, offered.Terms, open.At), cancellationToken);
                    }

                    break;
                case HoldInView hold:
                    View.Hold(hold.Slices);
                    break;
                case SendOffer offer:
                    LogOffering(logger, HubId, offer.Terms.Borrower, offer.Terms.Amount, offer.Terms.Price.CnyPerCoreHour);
                    await SendAsync(offer.Terms.Borrower, new CapacityOffer($"{offer.Terms.LoanId}/offer", HubId, offer.At, offer.Terms.RequestId, offer.Terms));
                    break;
                case RefuseRequest refuse:
                    LogRefused(logger, HubId, refuse.Borrower, refuse.Reason);
                    await SendAsync(refuse.Borrower, new CapacityRefused($"{refuse.RequestId}/refused/{HubId}", HubId, refuse.At, refuse.RequestId, refuse.Reason));
                    break;
                case RecallLoan recall:
                    if (await GrainFactory.GetGrain<ILoanGrain>(recall.LoanId).RecallAsync(HubId, recall.Reason, cancellationToken) && Loans.Recalling(recall.LoanId))
                    {
                        LogRecalling(logger, HubId, recall.LoanId, recall.Reason);
                    }

                    break;
                case ReturnLoan give:
                    if (await GrainFactory.GetGrain<ILoanGrain>(give.LoanId).ReturnAsync(HubId, give.Reason, cancellationToken))
                    {
                        await CarryOutAsync(Loans.Returning(give.LoanId), cancellationToken);
                    }

                    break;
                case DrainQueue:
                    await DrainQueueAsync(cancellationToken);
                    break;
                default:
                    throw new InvalidOperationException($"the region cannot carry out {intent}");
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

    [LoggerMessage(Level = LogLevel.Information, Message = "{HubId} asks {Peers} for {Amount} ({Forecast} of it for jobs its recent arrivals predict): {Reason}")]
    private static partial void LogAsking(ILogger logger, string hubId, string peers, ResourceVector amount, ResourceVector forecast, string reason);

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
