using System.Collections.Immutable;
using ComputeGrid.Domain.Market;

namespace ComputeGrid.Contracts.Market;

// The market's domain types cross grain boundaries through these surrogates, as the rest of the domain does
// (Surrogates/DomainSurrogates.cs): one stable wire shape per type, versioned by [Id] and [Alias].

[GenerateSerializer, Immutable, Alias("cg.PriceList")]
internal readonly struct PriceListSurrogate
{
    [Id(0)] public decimal CpuCoreHourCny { get; init; }
    [Id(1)] public decimal MemoryGiBHourCny { get; init; }
    [Id(2)] public Dictionary<string, decimal>? GpuHourCny { get; init; }
}

[RegisterConverter]
internal sealed class PriceListConverter : IConverter<PriceList, PriceListSurrogate>
{
    public PriceList ConvertFromSurrogate(in PriceListSurrogate s) =>
        new(s.CpuCoreHourCny, s.MemoryGiBHourCny, (s.GpuHourCny ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal));

    public PriceListSurrogate ConvertToSurrogate(in PriceList v) =>
        new() { CpuCoreHourCny = v.CpuCoreHourCny, MemoryGiBHourCny = v.MemoryGiBHourCny, GpuHourCny = v.GpuHourCny.ToDictionary(StringComparer.Ordinal) };
}

[GenerateSerializer, Immutable, Alias("cg.BillingPeriod")]
internal readonly struct BillingPeriodSurrogate
{
    [Id(0)] public PeriodKind Kind { get; init; }
    [Id(1)] public DateOnly FirstDay { get; init; }
}

[RegisterConverter]
internal sealed class BillingPeriodConverter : IConverter<BillingPeriod, BillingPeriodSurrogate>
{
    public BillingPeriod ConvertFromSurrogate(in BillingPeriodSurrogate s) => new(s.Kind, s.FirstDay);

    public BillingPeriodSurrogate ConvertToSurrogate(in BillingPeriod v) => new() { Kind = v.Kind, FirstDay = v.FirstDay };
}

[GenerateSerializer, Immutable, Alias("cg.StatementLine")]
internal readonly struct StatementLineSurrogate
{
    [Id(0)] public string RunKey { get; init; }
    [Id(1)] public string JobId { get; init; }
    [Id(2)] public string Tenant { get; init; }
    [Id(3)] public string DataCenterId { get; init; }
    [Id(4)] public string HubId { get; init; }
    [Id(5)] public string Sku { get; init; }
    [Id(6)] public DateTimeOffset From { get; init; }
    [Id(7)] public DateTimeOffset To { get; init; }
    [Id(8)] public decimal Quantity { get; init; }
    [Id(9)] public string Unit { get; init; }
    [Id(10)] public decimal UnitPriceCny { get; init; }
    [Id(11)] public decimal AmountCny { get; init; }
    [Id(12)] public double EnergyKwh { get; init; }
    [Id(13)] public double CarbonKg { get; init; }
    [Id(14)] public double PflopsHoursFp16 { get; init; }
    [Id(15)] public double PflopsHoursFp32 { get; init; }
}

[RegisterConverter]
internal sealed class StatementLineConverter : IConverter<StatementLine, StatementLineSurrogate>
{
    public StatementLine ConvertFromSurrogate(in StatementLineSurrogate s) =>
        new(s.RunKey, s.JobId, s.Tenant, s.DataCenterId, s.HubId, s.Sku, s.From, s.To, s.Quantity, s.Unit, s.UnitPriceCny, s.AmountCny, s.EnergyKwh, s.CarbonKg, s.PflopsHoursFp16, s.PflopsHoursFp32);

    public StatementLineSurrogate ConvertToSurrogate(in StatementLine v) => new()
    {
        RunKey = v.RunKey,
        JobId = v.JobId,
        Tenant = v.Tenant,
        DataCenterId = v.DataCenterId,
        HubId = v.HubId,
        Sku = v.Sku,
        From = v.From,
        To = v.To,
        Quantity = v.Quantity,
        Unit = v.Unit,
        UnitPriceCny = v.UnitPriceCny,
        AmountCny = v.AmountCny,
        EnergyKwh = v.EnergyKwh,
        CarbonKg = v.CarbonKg,
        PflopsHoursFp16 = v.PflopsHoursFp16,
        PflopsHoursFp32 = v.PflopsHoursFp32,
    };
}

[GenerateSerializer, Immutable, Alias("cg.LoanSettlement")]
internal readonly struct LoanSettlementSurrogate
{
    [Id(0)] public string RunKey { get; init; }
    [Id(1)] public string JobId { get; init; }
    [Id(2)] public string LoanId { get; init; }
    [Id(3)] public string Lender { get; init; }
    [Id(4)] public string Borrower { get; init; }
    [Id(5)] public decimal CoreHours { get; init; }
    [Id(6)] public decimal GpuHours { get; init; }
    [Id(7)] public decimal AmountCny { get; init; }
}

[RegisterConverter]
internal sealed class LoanSettlementConverter : IConverter<LoanSettlement, LoanSettlementSurrogate>
{
    public LoanSettlement ConvertFromSurrogate(in LoanSettlementSurrogate s) => new(s.RunKey, s.JobId, s.LoanId, s.Lender, s.Borrower, s.CoreHours, s.GpuHours, s.AmountCny);

    public LoanSettlementSurrogate ConvertToSurrogate(in LoanSettlement v) => new()
    {
        RunKey = v.RunKey,
        JobId = v.JobId,
        LoanId = v.LoanId,
        Lender = v.Lender,
        Borrower = v.Borrower,
        CoreHours = v.CoreHours,
        GpuHours = v.GpuHours,
        AmountCny = v.AmountCny,
    };
}

[GenerateSerializer, Immutable, Alias("cg.RunCharge")]
internal readonly struct RunChargeSurrogate
{
    [Id(0)] public string RunKey { get; init; }
    [Id(1)] public StatementLine[] Lines { get; init; }
    [Id(2)] public LoanSettlement[] Loans { get; init; }
}

[RegisterConverter]
internal sealed class RunChargeConverter : IConverter<RunCharge, RunChargeSurrogate>
{
    public RunCharge ConvertFromSurrogate(in RunChargeSurrogate s) => new(s.RunKey, s.Lines ?? [], s.Loans ?? []);

    public RunChargeSurrogate ConvertToSurrogate(in RunCharge v) => new() { RunKey = v.RunKey, Lines = [.. v.Lines], Loans = [.. v.Loans] };
}

[GenerateSerializer, Immutable, Alias("cg.Statement")]
internal readonly struct StatementSurrogate
{
    [Id(0)] public string Owner { get; init; }
    [Id(1)] public StatementOwner OwnerKind { get; init; }
    [Id(2)] public BillingPeriod Period { get; init; }
    [Id(3)] public DateTimeOffset? ClosedAt { get; init; }
    [Id(4)] public StatementLine[] Lines { get; init; }
    [Id(5)] public LoanSettlement[] Loans { get; init; }
}

[RegisterConverter]
internal sealed class StatementConverter : IConverter<Statement, StatementSurrogate>
{
    public Statement ConvertFromSurrogate(in StatementSurrogate s) => new(s.Owner, s.OwnerKind, s.Period, s.ClosedAt, s.Lines ?? [], s.Loans ?? []);

    public StatementSurrogate ConvertToSurrogate(in Statement v) => new()
    {
        Owner = v.Owner,
        OwnerKind = v.OwnerKind,
        Period = v.Period,
        ClosedAt = v.ClosedAt,
        Lines = [.. v.Lines],
        Loans = [.. v.Loans],
    };
}
