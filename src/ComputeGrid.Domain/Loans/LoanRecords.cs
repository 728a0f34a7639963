namespace ComputeGrid.Domain.Loans;

/// <summary>What a region does with its cached record of a loan after asking the loan itself.</summary>
public enum LoanRecordVerdict
{
    /// <summary>The cache agrees (or is ahead of a loan that will catch up): nothing to do.</summary>
    Keep,

    /// <summary>The loan moved on and the message that said so was lost: take the loan's state.</summary>
    Refresh,

    /// <summary>The loan ended (or never came to be): forget the record, as its LoanSettled would have.</summary>
    Forget,
}

/// <summary>
/// The loan grain is the one source of truth about a loan; a region's Lent and Borrowed records are caches of it, fed by
/// the loan's messages and refreshed by reconciliation, so that a lost message cannot leave a record open forever.
/// </summary>
public static class LoanRecords
{
    /// <summary>
    /// Judges a region's cached state of a loan against the loan's own: a terminal loan is forgotten; a loan that never
    /// came to be (<paramref name="truth"/> null: the region recorded its offer, then crashed before the loan opened) is
    /// forgotten once its offer could no longer be accepted; a cache behind the loan takes its state. A cache is never
    /// moved backwards: the region may know first (it saw a slice closed, or sent the return itself).
    /// </summary>
    public static (LoanRecordVerdict Verdict, LoanState State) Judge(LoanState cached, LoanState? truth, DateTimeOffset since, DateTimeOffset now, TimeSpan offerTtl)
    {
        if (truth is not { } state)
        {
            return cached == LoanState.Offered && now - since <= offerTtl ? (LoanRecordVerdict.Keep, cached) : (LoanRecordVerdict.Forget, cached);
        }

        if (state.IsTerminal())
        {
            return (LoanRecordVerdict.Forget, state);
        }

        return Order(state) > Order(cached) ? (LoanRecordVerdict.Refresh, state) : (LoanRecordVerdict.Keep, cached);
    }

    /// <summary>The lifecycle order of the states a loan can be in before it ends.</summary>
    private static int Order(LoanState state) => state switch
    {
        LoanState.Offered => 0,
        LoanState.Active => 1,
        LoanState.Recalling => 2,
        LoanState.Draining => 3,
        _ => 4,
    };
}
