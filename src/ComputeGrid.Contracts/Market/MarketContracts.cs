using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Market;

namespace ComputeGrid.Contracts.Market;

/// <summary>The audit actions of the market.</summary>
public static class MarketAuditActions
{
    /// <summary>A data center's list prices were set.</summary>
    public const string PricesSet = "data-center.prices";
}

/// <summary>One product of the catalog: a resource class at one data center, in a hub and a latency class, with its list price.</summary>
/// <param name="Sku">The product (<c>cpu-core-hour</c>, <c>memory-gib-hour</c>, <c>gpu-hour:910B</c>).</param>
/// <param name="ResourceClass">Its resource class.</param>
/// <param name="GpuModel">The GPU model of a GPU-hour; null otherwise.</param>
/// <param name="HubId">The hub of the data center that sells it.</param>
/// <param name="DataCenterId">The data center.</param>
/// <param name="LatencyClass">The tightest latency class a job from the catalog's origin hub gets there (Interactive 5 ms, Regional 20 ms, else Batch).</param>
/// <param name="LatencyMs">One-way latency from the origin hub, ms.</param>
/// <param name="Unit">What one unit is (core-hour, GiB-hour, GPU-hour).</param>
/// <param name="ListPriceCny">CNY per unit, as the data center's owner set it or by default.</param>
/// <param name="DefaultPriceCny">The default list price: today's energy cost plus the documented margin.</param>
/// <param name="Fp16Tflops">Peak FP16 TFLOPS of one unit (null for memory, or a model without a published rating).</param>
/// <param name="Fp32Tflops">Peak FP32 TFLOPS of one unit (null likewise).</param>
/// <param name="CnyPerPflopsHourFp16">The list price per FP16 PFLOPS-hour (null when unrated): products of different models compared in the standard unit.</param>
/// <param name="Status">The data center's status (Online, Draining, Offline).</param>
[GenerateSerializer, Immutable, Alias("cg.CatalogProduct")]
public sealed record CatalogProduct(
    [property: Id(0)] string Sku,
    [property: Id(1)] ResourceClass ResourceClass,
    [property: Id(2)] string? GpuModel,
    [property: Id(3)] string HubId,
    [property: Id(4)] string DataCenterId,
    [property: Id(5)] LatencyClass LatencyClass,
    [property: Id(6)] double LatencyMs,
    [property: Id(7)] string Unit,
    [property: Id(8)] decimal ListPriceCny,
    [property: Id(9)] decimal DefaultPriceCny,
    [property: Id(10)] double? Fp16Tflops,
    [property: Id(11)] double? Fp32Tflops,
    [property: Id(12)] decimal? CnyPerPflopsHourFp16,
    [property: Id(13)] Domain.Topology.DataCenterStatus Status);

/// <summary>The catalog: every product of every data center, cheapest first within each SKU.</summary>
/// <param name="OriginHub">The hub latency classes are stated from (each product's own hub when null).</param>
/// <param name="Margin">The margin of default list prices over the energy cost (0.25 = 25%).</param>
/// <param name="TransferCnyPerGiB">The national price of a GiB of input data moved between hubs.</param>
/// <param name="Products">The products.</param>
[GenerateSerializer, Immutable, Alias("cg.Catalog")]
public sealed record Catalog(
    [property: Id(0)] string? OriginHub,
    [property: Id(1)] decimal Margin,
    [property: Id(2)] decimal TransferCnyPerGiB,
    [property: Id(3)] IReadOnlyList<CatalogProduct> Products);

/// <summary>One way a quoted job could be placed.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="PriceCny">The job's price there for its declared run time (list prices, transfer included), CNY.</param>
/// <param name="EstimatedStart">When it would start: now when the data center has room now; null when it waits for capacity to free.</param>
/// <param name="CarbonKg">Its estimated carbon there, kgCO2.</param>
/// <param name="EnergyKwh">Its estimated facility energy there, kWh.</param>
/// <param name="PflopsHoursFp16">Its compute in the standard unit, FP16 PFLOPS-hours.</param>
/// <param name="LatencyMs">One-way latency from its origin, ms.</param>
/// <param name="Rank">Its rank under the job's policy among the placements feasible now (1 = the choice); null when it waits.</param>
[GenerateSerializer, Immutable, Alias("cg.QuoteOption")]
public sealed record QuoteOption(
    [property: Id(0)] string DataCenterId,
    [property: Id(1)] string HubId,
    [property: Id(2)] decimal PriceCny,
    [property: Id(3)] DateTimeOffset? EstimatedStart,
    [property: Id(4)] double CarbonKg,
    [property: Id(5)] double EnergyKwh,
    [property: Id(6)] double PflopsHoursFp16,
    [property: Id(7)] double LatencyMs,
    [property: Id(8)] int? Rank);

/// <summary>A data center a quote ruled out, and why.</summary>
[GenerateSerializer, Immutable, Alias("cg.QuoteExclusion")]
public sealed record QuoteExclusion([property: Id(0)] string DataCenterId, [property: Id(1)] string HubId, [property: Id(2)] string Constraint, [property: Id(3)] string Detail);

/// <summary>A quote: for each feasible placement of a job its price, estimated start and carbon, and the placement its policy would choose.</summary>
/// <param name="QuotedAt">When it was made.</param>
/// <param name="ValidUntil">Until when it stands: price changes take effect only after the notice, which is at least this long.</param>
/// <param name="Policy">The job's policy.</param>
/// <param name="MaxPriceCny">The job's cap, if any.</param>
/// <param name="Options">Placements feasible now (ranked) and those that wait for capacity.</param>
/// <param name="Choice">The data center the policy would choose now; null when none is feasible now.</param>
/// <param name="Reason">Why, in the placement engine's sentence; or why nothing is feasible.</param>
/// <param name="Excluded">Data centers ruled out, with the constraint (price names the cap).</param>
[GenerateSerializer, Immutable, Alias("cg.Quote")]
public sealed record Quote(
    [property: Id(0)] DateTimeOffset QuotedAt,
    [property: Id(1)] DateTimeOffset ValidUntil,
    [property: Id(2)] PlacementPolicy Policy,
    [property: Id(3)] decimal? MaxPriceCny,
    [property: Id(4)] IReadOnlyList<QuoteOption> Options,
    [property: Id(5)] string? Choice,
    [property: Id(6)] string Reason,
    [property: Id(7)] IReadOnlyList<QuoteExclusion> Excluded);

/// <summary>One version of a data center's list prices.</summary>
/// <param name="Prices">The prices (GPU models left out take their defaults).</param>
/// <param name="EffectiveFrom">From when they apply to placement, quotes and new placements' bills.</param>
/// <param name="SetAt">When they were set.</param>
/// <param name="SetBy">Who set them (an operator's key name, or <c>agent:&lt;id&gt;</c> for a provider).</param>
[GenerateSerializer, Immutable, Alias("cg.PriceBookEntry")]
public sealed record PriceBookEntry([property: Id(0)] PriceList Prices, [property: Id(1)] DateTimeOffset EffectiveFrom, [property: Id(2)] DateTimeOffset SetAt, [property: Id(3)] string SetBy);

/// <summary>A data center's price book.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="Current">The prices in force now.</param>
/// <param name="Defaults">Its default list prices (cost plus margin).</param>
/// <param name="MinFactor">Lowest price an owner may set, as a multiple of the default.</param>
/// <param name="MaxFactor">Highest, likewise.</param>
/// <param name="History">Every version set, oldest first (a scheduled one has EffectiveFrom in the future).</param>
[GenerateSerializer, Immutable, Alias("cg.PriceBook")]
public sealed record PriceBook(
    [property: Id(0)] string DataCenterId,
    [property: Id(1)] PriceList Current,
    [property: Id(2)] PriceList Defaults,
    [property: Id(3)] decimal MinFactor,
    [property: Id(4)] decimal MaxFactor,
    [property: Id(5)] IReadOnlyList<PriceBookEntry> History);

/// <summary>The answer to a price change: the book, or why it was refused (then nothing changed).</summary>
[GenerateSerializer, Immutable, Alias("cg.PriceChangeResult")]
public sealed record PriceChangeResult([property: Id(0)] PriceBook? Book, [property: Id(1)] IReadOnlyList<ValidationError> Errors, [property: Id(2)] bool NotFound);

/// <summary>Operators' revenue in a period: per data center and per hub.</summary>
/// <param name="Period">The period id.</param>
/// <param name="DataCenters">Revenue per data center (key: data center id).</param>
/// <param name="Hubs">Revenue per hub (key: hub id).</param>
/// <param name="Total">Over the pool.</param>
[GenerateSerializer, Immutable, Alias("cg.RevenueReport")]
public sealed record RevenueReport(
    [property: Id(0)] string Period,
    [property: Id(1)] IReadOnlyList<RevenueRow> DataCenters,
    [property: Id(2)] IReadOnlyList<RevenueRow> Hubs,
    [property: Id(3)] RevenueRow Total);

/// <summary>Revenue of one data center, hub or the pool in a period.</summary>
/// <param name="Key">The data center, hub, or <c>total</c>.</param>
/// <param name="AmountCny">CNY charged.</param>
/// <param name="EnergyKwh">kWh.</param>
/// <param name="CarbonKg">kgCO2.</param>
/// <param name="PflopsHoursFp16">FP16 PFLOPS-hours sold.</param>
/// <param name="Closed">True when every statement summed is closed.</param>
[GenerateSerializer, Immutable, Alias("cg.RevenueRow")]
public sealed record RevenueRow(
    [property: Id(0)] string Key,
    [property: Id(1)] decimal AmountCny,
    [property: Id(2)] double EnergyKwh,
    [property: Id(3)] double CarbonKg,
    [property: Id(4)] double PflopsHoursFp16,
    [property: Id(5)] bool Closed);

/// <summary>The key of the market's stateless grain.</summary>
public static class MarketGrainKey
{
    /// <summary>The national market.</summary>
    public const string National = "national";
}

/// <summary>A data center's price book: the one owner of its list prices (the pool's directory keeps a copy for placement).</summary>
[Alias("cg.IPriceBookGrain")]
public interface IPriceBookGrain : IGrainWithStringKey
{
    /// <summary>The book; null when the data center does not exist.</summary>
    [Alias("GetPriceBook")]
    Task<PriceBook?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Sets new list prices, within bounds, effective after the notice; refused with the fields when out of bounds.</summary>
    [Alias("SetPrices")]
    Task<PriceChangeResult> SetAsync(PriceList prices, string setBy, CancellationToken cancellationToken = default);

    /// <summary>The prices in force at <paramref name="at"/> (the defaults before any was set).</summary>
    [Alias("PricesAt")]
    Task<PriceList?> PricesAtAsync(DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>One statement (key: <see cref="StatementRules.KeyOf"/>): lines added until its period closes, immutable after.</summary>
[Alias("cg.IStatementGrain")]
public interface IStatementGrain : IGrainWithStringKey
{
    /// <summary>Adds a run's charge; a run already on it is ignored; a closed statement refuses it.</summary>
    [Alias("Record")]
    Task<StatementOutcome> RecordAsync(RunCharge charge);

    /// <summary>The statement (closing it first when its period has closed).</summary>
    [Alias("GetStatement")]
    Task<Statement> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>The market's reads: the catalog, quotes and revenue. Stateless; any silo answers.</summary>
[Alias("cg.IMarketGrain")]
public interface IMarketGrain : IGrainWithStringKey
{
    /// <summary>The catalog, latency classes from <paramref name="originHub"/> (each product's own hub when null); errors when the hub is unknown.</summary>
    [Alias("GetCatalog")]
    Task<CatalogResult> GetCatalogAsync(string? originHub, CancellationToken cancellationToken = default);

    /// <summary>A quote for <paramref name="spec"/>; errors when the spec is invalid against the pool.</summary>
    [Alias("Quote")]
    Task<QuoteResult> QuoteAsync(JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Revenue per data center and per hub in <paramref name="period"/>.</summary>
    [Alias("GetRevenue")]
    Task<RevenueReport> GetRevenueAsync(BillingPeriod period, CancellationToken cancellationToken = default);
}

/// <summary>The catalog, or why it cannot be read (an unknown origin hub).</summary>
[GenerateSerializer, Immutable, Alias("cg.CatalogResult")]
public sealed record CatalogResult([property: Id(0)] Catalog? Catalog, [property: Id(1)] IReadOnlyList<ValidationError> Errors);

/// <summary>A quote, or why the spec cannot be quoted.</summary>
[GenerateSerializer, Immutable, Alias("cg.QuoteResult")]
public sealed record QuoteResult([property: Id(0)] Quote? Quote, [property: Id(1)] IReadOnlyList<ValidationError> Errors, [property: Id(2)] PriceCapRefusal? OverCap = null);

/// <summary>Why a job cannot run under its cap: the cap and the cheapest price available.</summary>
/// <param name="MaxPriceCny">The job's cap.</param>
/// <param name="CheapestPriceCny">The cheapest price of any data center that could run it.</param>
/// <param name="CheapestDataCenterId">Where.</param>
[GenerateSerializer, Immutable, Alias("cg.PriceCapRefusal")]
public sealed record PriceCapRefusal([property: Id(0)] decimal MaxPriceCny, [property: Id(1)] decimal CheapestPriceCny, [property: Id(2)] string CheapestDataCenterId);
