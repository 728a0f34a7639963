using ComputeGrid.Contracts.Loans;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Pool;

namespace ComputeGrid.Gateway.Loans;

/// <summary>Part of a loan in one of the lender's data centers.</summary>
/// <param name="DataCenterId">The lender's data center.</param>
/// <param name="Amount">Capacity lent there.</param>
/// <param name="KgCo2PerItKwh">Effective emissions of that data center per kWh of IT energy (PUE x grid factor x (1 - green share)), kgCO2/kWh.</param>
/// <param name="LatencyMs">One-way latency from the borrowing hub, ms.</param>
public sealed record LoanSliceView(string DataCenterId, CapacityView Amount, double KgCo2PerItKwh, double LatencyMs);

/// <summary>What was used of a loan, and what it saved.</summary>
/// <param name="Jobs">Borrowed jobs that ended on the loan (each is settled when it leaves its slice; those running now are the loan's <c>jobsRunning</c>).</param>
/// <param name="CoreHours">CPU core-hours used.</param>
/// <param name="GpuHours">GPU-hours used.</param>
/// <param name="Footprint">Energy (kWh), carbon (kgCO2) and energy cost (CNY) of that use at the lender.</param>
/// <param name="AtHome">The footprint the same work would have had in the borrowing hub.</param>
/// <param name="Saved">AtHome minus Footprint: what borrowing saved (negative when it cost more).</param>
/// <param name="ChargeCny">What the borrower owes the lender at the loan's price, CNY.</param>
public sealed record LoanUsageView(long Jobs, double CoreHours, double GpuHours, FootprintView Footprint, FootprintView AtHome, FootprintView Saved, double ChargeCny)
{
    internal static LoanUsageView Of(LoanUsage u) =>
        new(u.Jobs, u.CoreHours, u.GpuHours, FootprintView.Of(u.Footprint), FootprintView.Of(u.AtHome), FootprintView.Of(u.Saved), u.ChargeCny);
}

/// <summary>One step in a loan's history.</summary>
/// <param name="Sequence">1, 2, 3... in order.</param>
/// <param name="State">The state entered.</param>
/// <param name="At">When (UTC, ISO 8601).</param>
/// <param name="Detail">Why, in a sentence.</param>
public sealed record LoanEventView(int Sequence, LoanState State, DateTimeOffset At, string Detail);

/// <summary>A capacity loan between two hubs, as listed.</summary>
/// <param name="LoanId">The loan's id.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="Amount">Capacity lent.</param>
/// <param name="State">Offered, Active, Recalling, Draining, Returned, Expired, Recalled or Declined.</param>
/// <param name="CnyPerCoreHour">Price per CPU core-hour used, CNY.</param>
/// <param name="CnyPerGpuHour">Price per GPU-hour used, CNY.</param>
/// <param name="Usage">Settled use so far.</param>
/// <param name="OfferedAt">When it was offered.</param>
/// <param name="AcceptedAt">When it was accepted; null if never.</param>
/// <param name="JobsRunning">Borrowed jobs holding capacity on the loan now, as its lender's data centers report them.</param>
public sealed record LoanSummaryView(
    string LoanId,
    string Lender,
    string Borrower,
    CapacityView Amount,
    LoanState State,
    double CnyPerCoreHour,
    double CnyPerGpuHour,
    LoanUsageView Usage,
    DateTimeOffset OfferedAt,
    DateTimeOffset? AcceptedAt,
    int JobsRunning)
{
    internal static LoanSummaryView Of(LoanSummary l, IReadOnlyDictionary<string, int> running) => new(
        l.LoanId, l.Lender, l.Borrower, CapacityView.Of(l.Amount), l.State, l.Price.CnyPerCoreHour, l.Price.CnyPerGpuHour, LoanUsageView.Of(l.Usage), l.OfferedAt, l.AcceptedAt,
        running.GetValueOrDefault(l.LoanId));
}

/// <summary>
/// Borrowed jobs running on each loan now, summed over the lender data centers that report them. A loan's usage is
/// settled job by job as each leaves its slice, so it counts none of these; the data centers hold the live count.
/// </summary>
internal static class RunningLoanJobs
{
    /// <summary>By loan id, from <paramref name="pool"/>'s data-center snapshots.</summary>
    public static IReadOnlyDictionary<string, int> Of(PoolSnapshot pool) =>
        pool.Hubs.SelectMany(h => h.DataCenters).SelectMany(d => d.BorrowedJobsByLoan ?? new Dictionary<string, int>())
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);
}

/// <summary>A page of loans, newest first.</summary>
/// <param name="Loans">The loans on this page.</param>
/// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
public sealed record LoanPageView(IReadOnlyList<LoanSummaryView> Loans, string? NextCursor);

/// <summary>Everything known about one loan.</summary>
/// <param name="LoanId">The loan's id.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="State">Offered, Active, Recalling, Draining, Returned, Expired, Recalled or Declined.</param>
/// <param name="Amount">Capacity lent, over all slices.</param>
/// <param name="Slices">The capacity per lender data center, with its carbon and latency.</param>
/// <param name="CnyPerCoreHour">Price per CPU core-hour used, CNY.</param>
/// <param name="CnyPerGpuHour">Price per GPU-hour used, CNY.</param>
/// <param name="TermSeconds">How long the loan runs once accepted, seconds.</param>
/// <param name="RecallNoticeSeconds">Notice before borrowed jobs on a recalled loan are preempted, seconds.</param>
/// <param name="OnExpiry">FinishRunning (jobs run to their end) or Preempt.</param>
/// <param name="OfferedAt">When it was offered.</param>
/// <param name="OfferExpiresAt">The offer lapses unless accepted by then.</param>
/// <param name="AcceptedAt">When accepted; null if never.</param>
/// <param name="EndsAt">When its term ends; null before acceptance.</param>
/// <param name="RecallEffectiveAt">When a recall's notice ends; null unless recalled.</param>
/// <param name="Usage">Settled use so far, and what it saved.</param>
/// <param name="Events">Every state it entered, oldest first.</param>
/// <param name="JobsRunning">Borrowed jobs holding capacity on the loan now, as its lender's data centers report them.</param>
public sealed record LoanView(
    string LoanId,
    string Lender,
    string Borrower,
    LoanState State,
    CapacityView Amount,
    IReadOnlyList<LoanSliceView> Slices,
    double CnyPerCoreHour,
    double CnyPerGpuHour,
    long TermSeconds,
    long RecallNoticeSeconds,
    ExpiryTerms OnExpiry,
    DateTimeOffset OfferedAt,
    DateTimeOffset OfferExpiresAt,
    DateTimeOffset? AcceptedAt,
    DateTimeOffset? EndsAt,
    DateTimeOffset? RecallEffectiveAt,
    LoanUsageView Usage,
    IReadOnlyList<LoanEventView> Events,
    int JobsRunning)
{
    internal static LoanView Of(LoanSnapshot l, IReadOnlyDictionary<string, int> running)
    {
        var t = l.Terms;
        return new LoanView(
            t.LoanId,
            t.Lender,
            t.Borrower,
            l.State,
            CapacityView.Of(t.Amount),
            [.. t.Slices.Select(s => new LoanSliceView(s.DataCenterId, CapacityView.Of(s.Amount), s.KgCo2PerItKwh, s.LatencyMs))],
            t.Price.CnyPerCoreHour,
            t.Price.CnyPerGpuHour,
            (long)t.Term.TotalSeconds,
            (long)t.RecallNotice.TotalSeconds,
            t.OnExpiry,
            l.OfferedAt,
            t.OfferExpiresAt,
            l.AcceptedAt,
            l.EndsAt,
            l.RecallEffectiveAt,
            LoanUsageView.Of(l.Usage),
            [.. l.History.Select(e => new LoanEventView(e.Sequence, e.State, e.At, e.Detail))],
            running.GetValueOrDefault(t.LoanId));
    }
}

/// <summary>A hub's position in the federation's loans.</summary>
/// <param name="HubId">The hub.</param>
/// <param name="LentNow">Capacity lent out in open loans now.</param>
/// <param name="BorrowedNow">Capacity borrowed in open loans now.</param>
/// <param name="LoansLent">Accepted loans it made, in any state.</param>
/// <param name="LoansBorrowed">Accepted loans it took, in any state.</param>
/// <param name="LentUsage">What borrowers used of its capacity.</param>
/// <param name="BorrowedUsage">What it used of other hubs' capacity, with what that saved against running at home.</param>
/// <param name="EarnedCny">Charges owed to it, CNY.</param>
/// <param name="PaidCny">Charges it owes, CNY.</param>
/// <param name="BalanceCny">Earned minus paid, CNY.</param>
public sealed record HubBalanceView(
    string HubId,
    CapacityView LentNow,
    CapacityView BorrowedNow,
    int LoansLent,
    int LoansBorrowed,
    LoanUsageView LentUsage,
    LoanUsageView BorrowedUsage,
    double EarnedCny,
    double PaidCny,
    double BalanceCny)
{
    internal static HubBalanceView Of(HubBalance b) => new(
        b.HubId,
        CapacityView.Of(b.LentNow),
        CapacityView.Of(b.BorrowedNow),
        b.LoansLent,
        b.LoansBorrowed,
        LoanUsageView.Of(b.LentUsage),
        LoanUsageView.Of(b.BorrowedUsage),
        b.EarnedCny,
        b.PaidCny,
        b.BalanceCny);
}
