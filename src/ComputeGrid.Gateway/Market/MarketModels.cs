using System.Text.Json.Serialization;
using ComputeGrid.Domain.Market;

namespace ComputeGrid.Gateway.Market;

/// <summary>A data center's new list prices, CNY per unit, at most 6 decimals each; a GPU model left out keeps its default.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class SetPricesBody
{
    /// <summary>CNY per CPU core-hour.</summary>
    /// <example>0.05</example>
    public required decimal CpuCoreHourCny { get; init; }

    /// <summary>CNY per GiB-hour of memory.</summary>
    /// <example>0.001</example>
    public required decimal MemoryGiBHourCny { get; init; }

    /// <summary>CNY per GPU-hour, by model (only models the data center has).</summary>
    /// <example>{"910B": 6.5}</example>
    public IReadOnlyDictionary<string, decimal> GpuHourCny { get; init; } = new Dictionary<string, decimal>();

    internal PriceList ToPrices() => PriceList.Of(CpuCoreHourCny, MemoryGiBHourCny, GpuHourCny ?? new Dictionary<string, decimal>());
}

/// <summary>A statement line as JSON.</summary>
/// <param name="JobId">The job.</param>
/// <param name="RunKey">The run (the job id, or jobId#n for a run cut short by preemption).</param>
/// <param name="Tenant">The job's tenant.</param>
/// <param name="DataCenterId">Where it ran.</param>
/// <param name="HubId">That data center's hub.</param>
/// <param name="Product">The product SKU.</param>
/// <param name="From">Start of the part of the run in the period (UTC).</param>
/// <param name="To">End of that part (UTC).</param>
/// <param name="Quantity">Units x hours (GiB for transfer).</param>
/// <param name="Unit">The unit.</param>
/// <param name="UnitPriceCny">CNY per unit.</param>
/// <param name="AmountCny">Quantity x unit price, rounded to the fen half away from zero.</param>
/// <param name="EnergyKwh">kWh.</param>
/// <param name="CarbonKg">kgCO2.</param>
/// <param name="PflopsHoursFp16">FP16 PFLOPS-hours.</param>
/// <param name="PflopsHoursFp32">FP32 PFLOPS-hours.</param>
public sealed record StatementLineView(
    string JobId, string RunKey, string Tenant, string DataCenterId, string HubId, string Product, DateTimeOffset From, DateTimeOffset To,
    decimal Quantity, string Unit, decimal UnitPriceCny, decimal AmountCny, double EnergyKwh, double CarbonKg, double PflopsHoursFp16, double PflopsHoursFp32);

/// <summary>A statement as JSON: its lines, its totals per product, hub, job and data center, and loans settled between hubs.</summary>
/// <param name="Owner">The tenant or data center.</param>
/// <param name="OwnerKind">Tenant or DataCenter.</param>
/// <param name="Period">yyyy-MM or yyyy-MM-dd (Asia/Shanghai).</param>
/// <param name="PeriodStart">Its first instant (UTC).</param>
/// <param name="PeriodEnd">The first instant after it (UTC).</param>
/// <param name="Closed">True once closed: it never changes again.</param>
/// <param name="ClosedAt">When it closed.</param>
/// <param name="Digest">SHA-256 of its CSV.</param>
/// <param name="Total">Every line summed.</param>
/// <param name="ByProduct">Totals per product.</param>
/// <param name="ByHub">Totals per hub.</param>
/// <param name="ByJob">Totals per job.</param>
/// <param name="ByDataCenter">Totals per data center.</param>
/// <param name="ByTenant">Totals per tenant.</param>
/// <param name="Loans">Loans between hubs the runs used, settled in CNY.</param>
/// <param name="LateLines">Lines of runs booked after their own period closed, charged here.</param>
/// <param name="Lines">Every line.</param>
public sealed record StatementView(
    string Owner,
    StatementOwner OwnerKind,
    string Period,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    bool Closed,
    DateTimeOffset? ClosedAt,
    string Digest,
    StatementTotal Total,
    IReadOnlyList<StatementTotal> ByProduct,
    IReadOnlyList<StatementTotal> ByHub,
    IReadOnlyList<StatementTotal> ByJob,
    IReadOnlyList<StatementTotal> ByDataCenter,
    IReadOnlyList<StatementTotal> ByTenant,
    IReadOnlyList<LoanTotal> Loans,
    int LateLines,
    IReadOnlyList<StatementLineView> Lines)
{
    internal static StatementView Of(Statement s) => new(
        s.Owner, s.OwnerKind, s.Period.Id, s.Period.Start, s.Period.End, s.Closed, s.ClosedAt, s.Digest, s.Total, s.ByProduct, s.ByHub, s.ByJob, s.ByDataCenter, s.ByTenant, s.LoanTotals, s.LateLines,
        [.. s.Lines.Select(l => new StatementLineView(l.JobId, l.RunKey, l.Tenant, l.DataCenterId, l.HubId, l.Sku, l.From, l.To, l.Quantity, l.Unit, l.UnitPriceCny, l.AmountCny, l.EnergyKwh, l.CarbonKg, l.PflopsHoursFp16, l.PflopsHoursFp32))]);
}
