using ComputeGrid.Contracts;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using Microsoft.Extensions.Logging;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// The region's Lent and Borrowed records are caches of the loan grains (the one source of truth per loan), fed by the
/// loans' messages and refreshed here, so that a lost message (a LoanSettled, a RecallNotice) or a loan that never opened
/// cannot leave a record open, and counted against the quotas, forever.
/// </summary>
internal sealed partial class RegionGrain
{
    private readonly ReconcileRotation _loanRotation = new();

    private async Task ReconcileLoanRecordsAsync(CancellationToken cancellationToken)
    {
        var turn = _loanRotation.Next(Record.Lent.Keys.Concat(Record.Borrowed.Keys), options.Value.ReconcileBatch);
        var now = clock.Now;
        var changed = false;
        foreach (var loanId in turn)
        {
            LoanState? truth;
            try
            {
                truth = (await GrainFactory.GetGrain<ILoanGrain>(loanId).GetAsync(cancellationToken))?.State;
            }
            catch (Exception e) when (e is TimeoutException or OrleansException && !cancellationToken.IsCancellationRequested)
            {
                continue;
            }

            var (cached, since) = Record.Lent.TryGetValue(loanId, out var lent) ? (lent.State, lent.Since)
                : Record.Borrowed.TryGetValue(loanId, out var borrowed) ? (borrowed.State, now)
                : ((LoanState?)null, now);
            if (cached is not { } state)
            {
                continue;
            }

            var (verdict, next) = LoanRecords.Judge(state, truth, since, now, Loans.OfferTtl);
            if (verdict == LoanRecordVerdict.Forget)
            {
                LogLoanRecordForgotten(logger, HubId, loanId, state, truth);
                await ForgetAsync(loanId);
            }
            else if (verdict == LoanRecordVerdict.Refresh)
            {
                LogLoanRecordRefreshed(logger, HubId, loanId, state, next);
                if (lent is not null)
                {
                    Record.Lent[loanId] = lent with { State = next };
                }
                else if (Record.Borrowed.TryGetValue(loanId, out var b))
                {
                    Record.Borrowed[loanId] = b with { State = next };
                }

                changed = true;
            }
        }

        if (changed)
        {
            await WriteStateAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Region {HubId} forgot its record of loan {LoanId} ({Cached}): the loan is {Truth} (null: it never opened)")]
    private static partial void LogLoanRecordForgotten(ILogger logger, string hubId, string loanId, LoanState cached, LoanState? truth);

    [LoggerMessage(Level = LogLevel.Information, Message = "Region {HubId} refreshed its record of loan {LoanId} from {Cached} to {Truth}: the message that said so was lost")]
    private static partial void LogLoanRecordRefreshed(ILogger logger, string hubId, string loanId, LoanState cached, LoanState truth);
}
