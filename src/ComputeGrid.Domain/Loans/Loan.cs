using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>Where a loan is in its life.</summary>
public enum LoanState
{
    /// <summary>The lender holds the capacity for the borrower until the offer expires; nobody may place on it yet.</summary>
    Offered,

    /// <summary>Accepted: the borrower places jobs on the lender's data centers up to the loan's amount.</summary>
    Active,

    /// <summary>The lender recalled it: no new placements; when the notice ends, borrowed jobs still on it are preempted.</summary>
    Recalling,

    /// <summary>Closed to new placements; jobs still on it finish (expiry) or are being preempted (recall); then it settles.</summary>
    Draining,

    /// <summary>The borrower gave it back. Terminal.</summary>
    Returned,

    /// <summary>Its term ended. Terminal.</summary>
    Expired,

    /// <summary>The lender took it back after the notice. Terminal.</summary>
    Recalled,

    /// <summary>The offer was declined, or lapsed unanswered; nothing was lent. Terminal.</summary>
    Declined,
}

/// <summary>What happens to borrowed jobs still running when a loan's term ends.</summary>
public enum ExpiryTerms
{
    /// <summary>They run to their end; the loan takes no new work and settles when the last one leaves.</summary>
    FinishRunning,

    /// <summary>They are preempted and re-queued by their origin.</summary>
    Preempt,
}

/// <summary>Part of a loan in one of the lender's data centers.</summary>
/// <param name="DataCenterId">The lender's data center.</param>
/// <param name="Amount">Capacity lent there.</param>
/// <param name="KgCo2PerItKwh">Effective emissions of that data center per kWh of IT energy (PUE x grid factor x (1 - green share)).</param>
/// <param name="LatencyMs">One-way latency from the borrower's hub to that data center, ms.</param>
public sealed record LoanSlice(string DataCenterId, ResourceVector Amount, double KgCo2PerItKwh, double LatencyMs);

/// <summary>The price the borrower pays the lender for what it uses.</summary>
/// <param name="CnyPerCoreHour">CNY per CPU core-hour used.</param>
/// <param name="CnyPerGpuHour">CNY per GPU-hour used.</param>
public sealed record LoanPrice(double CnyPerCoreHour, double CnyPerGpuHour)
{
    /// <summary>The charge for some use.</summary>
    public double ChargeFor(double coreHours, double gpuHours) => (coreHours * CnyPerCoreHour) + (gpuHours * CnyPerGpuHour);
}

/// <summary>A loan's terms as offered. Immutable once offered.</summary>
/// <param name="LoanId">The loan's id (also the offer's id).</param>
/// <param name="RequestId">The capacity request it answers.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="Slices">The capacity, per lender data center.</param>
/// <param name="Price">What the borrower pays per core-hour and GPU-hour used.</param>
/// <param name="Term">How long the loan runs once accepted.</param>
/// <param name="RecallNotice">How long a recall's notice lasts before borrowed jobs are preempted.</param>
/// <param name="OnExpiry">What happens to running borrowed jobs when the term ends.</param>
/// <param name="OfferExpiresAt">The offer lapses (and its held capacity is released) unless accepted by then.</param>
public sealed record LoanTerms(
    string LoanId,
    string RequestId,
    string Lender,
    string Borrower,
    IReadOnlyList<LoanSlice> Slices,
    LoanPrice Price,
    TimeSpan Term,
    TimeSpan RecallNotice,
    ExpiryTerms OnExpiry,
    DateTimeOffset OfferExpiresAt)
{
    /// <summary>The total amount over all slices.</summary>
    public ResourceVector Amount => Slices.Aggregate(ResourceVector.Zero, (sum, s) => sum.Plus(s.Amount));

    /// <summary>The slices' effective emissions, weighted by CPU.</summary>
    public double KgCo2PerItKwh => Weighted(s => s.KgCo2PerItKwh);

    /// <summary>The slices' latency from the borrower, weighted by CPU.</summary>
    public double LatencyMs => Weighted(s => s.LatencyMs);

    private double Weighted(Func<LoanSlice, double> value)
    {
        var total = Slices.Sum(s => (double)s.Amount.CpuMillicores);
        return total <= 0 ? Slices.Select(value).DefaultIfEmpty(0).Average() : Slices.Sum(s => value(s) * s.Amount.CpuMillicores) / total;
    }
}

/// <summary>What a loan's capacity was used for, settled job by job.</summary>
/// <param name="Jobs">Borrowed jobs that ended on the loan.</param>
/// <param name="CoreHours">CPU core-hours used.</param>
/// <param name="GpuHours">GPU-hours used.</param>
/// <param name="Footprint">Energy (kWh), carbon (kgCO2) and energy cost (CNY) of that use at the lender's data centers.</param>
/// <param name="AtHome">The footprint the same work would have had in the borrower's own hub (its data centers' capacity-weighted
/// energy profile), so that <c>AtHome - Footprint</c> is what borrowing saved.</param>
/// <param name="ChargeCny">What the borrower owes the lender at the loan's price.</param>
public readonly record struct LoanUsage(long Jobs, double CoreHours, double GpuHours, Footprint Footprint, Footprint AtHome, double ChargeCny)
{
    /// <summary>What borrowing saved against running the same work at home (negative when it cost more).</summary>
    public Footprint Saved => AtHome - Footprint;

    /// <summary>The usage of one job of <paramref name="resources"/> that ran <paramref name="ranFor"/> on a loan priced <paramref name="price"/>.</summary>
    public static LoanUsage Of(ResourceRequest resources, TimeSpan ranFor, Footprint footprint, Footprint atHome, LoanPrice price)
    {
        var hours = Math.Max(0, ranFor.TotalHours);
        var coreHours = resources.Cores * hours;
        var gpuHours = resources.Gpus * hours;
        return new LoanUsage(1, coreHours, gpuHours, footprint, atHome, price.ChargeFor(coreHours, gpuHours));
    }

    /// <summary>Adds two usages.</summary>
    public static LoanUsage operator +(LoanUsage a, LoanUsage b) =>
        new(a.Jobs + b.Jobs, a.CoreHours + b.CoreHours, a.GpuHours + b.GpuHours, a.Footprint + b.Footprint, a.AtHome + b.AtHome, a.ChargeCny + b.ChargeCny);
}

/// <summary>The legal moves of a loan.</summary>
public static class LoanStateMachine
{
    /// <summary>True for Returned, Expired, Recalled and Declined.</summary>
    public static bool IsTerminal(this LoanState state) => state is LoanState.Returned or LoanState.Expired or LoanState.Recalled or LoanState.Declined;

    /// <summary>True while the loan counts against the lender's lending limit and the borrower's borrowing limit.</summary>
    public static bool IsOpen(this LoanState state) => !state.IsTerminal();

    /// <summary>True when the borrower may place new jobs on the loan.</summary>
    public static bool TakesPlacements(this LoanState state) => state == LoanState.Active;

    /// <summary>True when <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(LoanState from, LoanState to) => (from, to) switch
    {
        (LoanState.Offered, LoanState.Active or LoanState.Declined) => true,
        (LoanState.Active, LoanState.Recalling or LoanState.Draining or LoanState.Returned or LoanState.Expired) => true,
        (LoanState.Recalling, LoanState.Draining or LoanState.Recalled or LoanState.Returned) => true,
        (LoanState.Draining, LoanState.Returned or LoanState.Expired or LoanState.Recalled) => true,
        _ => false,
    };
}
