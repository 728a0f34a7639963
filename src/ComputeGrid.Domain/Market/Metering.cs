using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Market;

/// <summary>What the borrower hub pays the lender hub per unit used when a run was on a loan, CNY (the loan's price).</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Lender">The lending hub (where the run was).</param>
/// <param name="Borrower">The borrowing hub (the job's origin).</param>
/// <param name="CnyPerCoreHour">CNY per core-hour used.</param>
/// <param name="CnyPerGpuHour">CNY per GPU-hour used.</param>
public sealed record LoanRate(string LoanId, string Lender, string Borrower, decimal CnyPerCoreHour, decimal CnyPerGpuHour);

/// <summary>
/// One run of a job at a data center, as the job's own accounting booked it (the run's footprint, its start and end),
/// with the list prices it is charged at: those in force when the job was placed there.
/// </summary>
/// <param name="RunKey">The booking's id: the job id for its last run, <c>jobId#n</c> for a run cut short by preemption.</param>
/// <param name="JobId">The job.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="OriginHub">Its origin hub.</param>
/// <param name="DataCenterId">Where it ran.</param>
/// <param name="HubId">That data center's hub.</param>
/// <param name="Resources">What it held while it ran.</param>
/// <param name="Start">When the run started.</param>
/// <param name="End">When it ended (finished, failed, cancelled or preempted).</param>
/// <param name="Footprint">Its energy, carbon and energy cost as the job booked them.</param>
/// <param name="Prices">The data center's list prices at placement.</param>
/// <param name="TransferGiB">Input data moved for it (0 at home), GiB.</param>
/// <param name="TransferCnyPerGiB">The price of moving a GiB between hubs.</param>
/// <param name="Loan">The loan's rate when it ran on a loan; null at home.</param>
public sealed record RunUsage(
    string RunKey,
    string JobId,
    string Tenant,
    string OriginHub,
    string DataCenterId,
    string HubId,
    ResourceRequest Resources,
    DateTimeOffset Start,
    DateTimeOffset End,
    Footprint Footprint,
    PriceList Prices,
    double TransferGiB,
    decimal TransferCnyPerGiB,
    LoanRate? Loan = null);

/// <summary>One line of a statement: one product of one run within one period.</summary>
/// <param name="RunKey">The run (booking) it charges.</param>
/// <param name="JobId">The job.</param>
/// <param name="Tenant">The job's tenant.</param>
/// <param name="DataCenterId">Where it ran.</param>
/// <param name="HubId">That data center's hub.</param>
/// <param name="Sku">The product (<see cref="ProductKey.Sku"/>).</param>
/// <param name="From">Start of the part of the run in the period.</param>
/// <param name="To">End of that part.</param>
/// <param name="Quantity">Units x hours (or GiB moved), exact.</param>
/// <param name="Unit">The unit of <paramref name="Quantity"/>.</param>
/// <param name="UnitPriceCny">The list price per unit, CNY.</param>
/// <param name="AmountCny">Quantity x unit price, rounded to the fen (<see cref="Money.Fen"/>).</param>
/// <param name="EnergyKwh">The share of the run's facility energy this product drew in the part, kWh.</param>
/// <param name="CarbonKg">Likewise of its carbon, kgCO2.</param>
/// <param name="PflopsHoursFp16">PFLOPS-hours at FP16 (<see cref="FlopsTable"/>).</param>
/// <param name="PflopsHoursFp32">PFLOPS-hours at FP32.</param>
public sealed record StatementLine(
    string RunKey,
    string JobId,
    string Tenant,
    string DataCenterId,
    string HubId,
    string Sku,
    DateTimeOffset From,
    DateTimeOffset To,
    decimal Quantity,
    string Unit,
    decimal UnitPriceCny,
    decimal AmountCny,
    double EnergyKwh,
    double CarbonKg,
    double PflopsHoursFp16,
    double PflopsHoursFp32);

/// <summary>What a borrower hub owes a lender hub for one run's part in a period, at the loan's price.</summary>
/// <param name="RunKey">The run.</param>
/// <param name="JobId">The job.</param>
/// <param name="LoanId">The loan.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="CoreHours">Core-hours used, exact.</param>
/// <param name="GpuHours">GPU-hours used, exact.</param>
/// <param name="AmountCny">Core-hours x core price + GPU-hours x GPU price, rounded to the fen.</param>
public sealed record LoanSettlement(string RunKey, string JobId, string LoanId, string Lender, string Borrower, decimal CoreHours, decimal GpuHours, decimal AmountCny);

/// <summary>What one run adds to one period's statement.</summary>
/// <param name="RunKey">The run.</param>
/// <param name="Lines">Its product lines in the period.</param>
/// <param name="Loans">Its loan settlement in the period, if it ran on a loan.</param>
public sealed record RunCharge(string RunKey, IReadOnlyList<StatementLine> Lines, IReadOnlyList<LoanSettlement> Loans)
{
    /// <summary>The sum of its lines, CNY.</summary>
    public decimal AmountCny => Lines.Sum(l => l.AmountCny);

    /// <summary>
    /// Its identity on a statement: the run and the start of its part (a late part charged in a later period keeps its
    /// own, so it never collides with the same run's part of that period).
    /// </summary>
    public string PartKey => $"{RunKey}@{(Lines.Count > 0 ? Lines[0].From.UtcTicks : 0)}";
}

/// <summary>
/// Turns runs into statement lines. A run is cut at period boundaries (Asia/Shanghai) and each part is charged for its
/// own run time: quantity = units x hours of the part, amount = quantity x unit price rounded to the fen. The run's
/// energy and carbon are shared between the parts by time and between products by their share of its IT power. Input
/// data moves once, when the run starts: its transfer line goes to the period the run starts in.
/// </summary>
public static class Metering
{
    /// <summary>The charges of <paramref name="run"/> per period of <paramref name="kind"/>, in order; nothing for a run of no time.</summary>
    public static IEnumerable<(BillingPeriod Period, RunCharge Charge)> Charge(RunUsage run, PowerModel power, PeriodKind kind)
    {
        var total = run.End - run.Start;
        if (total <= TimeSpan.Zero)
        {
            yield break;
        }

        var watts = ListPrices.UnitsOf(run.Resources).Select(u => (u.Product, u.Units, Watts: WattsOf(u.Product, u.Units, power))).ToList();
        var allWatts = watts.Sum(w => w.Watts);
        var first = true;
        foreach (var (period, from, to) in BillingPeriod.Split(run.Start, run.End, kind))
        {
            var hours = Money.Hours(to - from);
            var timeShare = (double)((to - from).Ticks) / total.Ticks;
            var lines = new List<StatementLine>();
            foreach (var (product, units, w) in watts)
            {
                var quantity = units * hours;
                var price = run.Prices.UnitPrice(product) ?? 0m;
                var powerShare = allWatts > 0 ? w / allWatts : 0;
                var (fp16, fp32) = FlopsTable.PflopsHours(product, quantity);
                lines.Add(new StatementLine(
                    run.RunKey, run.JobId, run.Tenant, run.DataCenterId, run.HubId, product.Sku, from, to, quantity, product.Unit, price,
                    Money.Fen(quantity * price), run.Footprint.EnergyKwh * timeShare * powerShare, run.Footprint.CarbonKg * timeShare * powerShare, fp16, fp32));
            }

            if (first && run.TransferGiB > 0)
            {
                var gib = (decimal)run.TransferGiB;
                lines.Add(new StatementLine(
                    run.RunKey, run.JobId, run.Tenant, run.DataCenterId, run.HubId, ProductKey.TransferGiB.Sku, from, from, gib, ProductKey.TransferGiB.Unit,
                    run.TransferCnyPerGiB, Money.Fen(gib * run.TransferCnyPerGiB), 0, 0, 0, 0));
            }

            var loans = run.Loan is { } loan ? [Settle(run, loan, hours)] : Array.Empty<LoanSettlement>();
            first = false;
            yield return (period, new RunCharge(run.RunKey, lines, loans));
        }
    }

    /// <summary>
    /// The price of running <paramref name="resources"/> for <paramref name="runTime"/> at <paramref name="prices"/>, plus
    /// <paramref name="transferGiB"/> moved: the sum of its lines, each rounded to the fen, as a statement charges a run
    /// that stays in one period (a run cut by a period boundary may differ by at most a fen per line and boundary).
    /// </summary>
    public static decimal PriceOf(ResourceRequest resources, TimeSpan runTime, PriceList prices, double transferGiB, decimal transferCnyPerGiB)
    {
        var hours = Money.Hours(runTime);
        var amount = ListPrices.UnitsOf(resources).Sum(u => Money.Fen(u.Units * hours * (prices.UnitPrice(u.Product) ?? 0m)));
        return transferGiB > 0 ? amount + Money.Fen((decimal)transferGiB * transferCnyPerGiB) : amount;
    }

    private static LoanSettlement Settle(RunUsage run, LoanRate loan, decimal hours)
    {
        var coreHours = run.Resources.CpuMillicores / 1000m * hours;
        var gpuHours = (run.Resources.EffectiveGpuModel is null ? 0 : run.Resources.Gpus) * hours;
        return new LoanSettlement(run.RunKey, run.JobId, loan.LoanId, loan.Lender, loan.Borrower, coreHours, gpuHours, Money.Fen((coreHours * loan.CnyPerCoreHour) + (gpuHours * loan.CnyPerGpuHour)));
    }

    private static double WattsOf(ProductKey product, decimal units, PowerModel power) => product.Class switch
    {
        ResourceClass.CpuCoreHour => (double)units * power.WattsPerCore,
        ResourceClass.MemoryGiBHour => (double)units * power.WattsPerGiB,
        ResourceClass.GpuHour => (double)units * power.GpuWatts.GetValueOrDefault(product.GpuModel!, power.DefaultGpuWatts),
        _ => 0,
    };
}
