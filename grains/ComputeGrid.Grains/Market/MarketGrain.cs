using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Market;
using ComputeGrid.Domain.Placement;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace ComputeGrid.Grains.Market;

/// <summary>
/// The market's reads: the catalog and quotes, from the pool's directory (prices, status) and its data centers' free
/// capacity, with the placement engine placement uses; and revenue, from the data centers' statements. Holds nothing.
/// </summary>
[StatelessWorker]
internal sealed class MarketGrain(TopologyCatalog catalog, GridClock clock, IOptions<MarketOptions> options) : Grain, IMarketGrain
{
    public async Task<CatalogResult> GetCatalogAsync(string? originHub, CancellationToken cancellationToken = default)
    {
        var directory = await Pool.GetDirectoryAsync(cancellationToken);
        var topology = catalog.WithDataCenters(directory.DataCenters.Select(d => d.Spec));
        if (originHub is not null && !topology.Hubs.ContainsKey(originHub))
        {
            return new CatalogResult(null, [new("originHub", $"unknown hub {ValidationError.Quote(originHub)}; known hubs: {string.Join(", ", topology.Hubs.Keys.Order())}")]);
        }

        var products = new List<CatalogProduct>();
        foreach (var entry in directory.DataCenters)
        {
            var spec = entry.Spec;
            var prices = ListPrices.Effective(entry.Prices, spec, topology.Power);
            var defaults = ListPrices.Default(spec, topology.Power);
            var latency = topology.LatencyMs(originHub ?? spec.HubId, spec);
            var keys = new List<ProductKey> { ProductKey.CpuCoreHour, ProductKey.MemoryGiBHour };
            keys.AddRange(spec.Capacity.Gpus.Keys.Select(ProductKey.GpuHour));
            foreach (var key in keys)
            {
                var price = prices.UnitPrice(key) ?? 0m;
                var rating = FlopsTable.RatingOf(key);
                decimal? perPflopsHour = rating is { Fp16Tflops: > 0 } r ? Math.Round(price * 1000m / (decimal)r.Fp16Tflops, ListPrices.PriceDecimals, MidpointRounding.AwayFromZero) : null;
                products.Add(new CatalogProduct(
                    key.Sku, key.Class, key.GpuModel, spec.HubId, spec.Id, Quoting.LatencyClassAt(latency), latency, key.Unit, price, defaults.UnitPrice(key) ?? 0m,
                    rating?.Fp16Tflops, rating?.Fp32Tflops, perPflopsHour, entry.Status));
            }
        }

        return new CatalogResult(
            new Catalog(
                originHub,
                ListPrices.DefaultMargin,
                (decimal)topology.TransferCnyPerGiB,
                [.. products.OrderBy(p => p.ResourceClass).ThenBy(p => p.GpuModel, StringComparer.Ordinal).ThenBy(p => p.ListPriceCny).ThenBy(p => p.DataCenterId, StringComparer.Ordinal)]),
            []);
    }

    public async Task<QuoteResult> QuoteAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        var directory = await Pool.GetDirectoryAsync(cancellationToken);
        var topology = catalog.WithDataCenters(directory.DataCenters.Select(d => d.Spec));
        var errors = JobSpecRules.Validate(spec, topology);
        if (errors.Count > 0)
        {
            return new QuoteResult(null, errors);
        }

        var free = (await Pool.GetPoolAsync(cancellationToken)).Hubs.SelectMany(h => h.DataCenters).ToDictionary(d => d.Spec.Id, d => d.Free, StringComparer.Ordinal);
        var candidates = directory.DataCenters
            .Select(d => new CandidateState(d.Spec, d.Status, free.GetValueOrDefault(d.Spec.Id) ?? d.Spec.Capacity, d.CommandTenants, d.Prices))
            .ToList();
        if (PlacementEngine.WhyNeverFits(spec, topology, topology.DataCenters.Values) is { } never)
        {
            return new QuoteResult(null, [never]);
        }

        if (PlacementEngine.WhyOverCap(spec, topology, candidates) is { } over)
        {
            var cheapest = PlacementEngine.Cheapest(spec, topology, candidates)!.Value;
            return new QuoteResult(null, [over], new PriceCapRefusal(spec.MaxPriceCny!.Value, cheapest.PriceCny, cheapest.DataCenterId));
        }

        var now = clock.Now;
        var plan = Quoting.Quote(spec, topology, candidates, now);
        return new QuoteResult(
            new Quote(
                now,
                now + options.Value.QuoteValidity,
                spec.Policy,
                spec.MaxPriceCny,
                [.. plan.Options.Select(o => new QuoteOption(o.DataCenterId, o.HubId, o.PriceCny, o.EstimatedStart, o.CarbonKg, o.EnergyKwh, o.PflopsHoursFp16, o.LatencyMs, o.Rank))],
                plan.Choice,
                plan.Reason,
                [.. plan.Excluded.Select(x => new QuoteExclusion(x.DataCenterId, x.HubId, x.Constraint, x.Detail))]),
            []);
    }

    public async Task<RevenueReport> GetRevenueAsync(BillingPeriod period, CancellationToken cancellationToken = default)
    {
        var directory = await Pool.GetDirectoryAsync(cancellationToken);
        var statements = await Task.WhenAll(directory.DataCenters.Select(async d =>
            (d.Spec.HubId, Statement: await GrainFactory.GetGrain<IStatementGrain>(StatementRules.KeyOf(StatementOwner.DataCenter, d.Spec.Id, period)).GetAsync(cancellationToken))));
        var dataCenters = statements.Select(s => Row(s.Statement.Owner, [s.Statement])).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        var hubs = statements.GroupBy(s => s.HubId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Row(g.Key, [.. g.Select(s => s.Statement)])).ToList();
        return new RevenueReport(period.Id, dataCenters, hubs, Row("total", [.. statements.Select(s => s.Statement)]));
    }

    private static RevenueRow Row(string key, IReadOnlyList<Statement> statements)
    {
        var total = StatementTotal.Of(key, statements.SelectMany(s => s.Lines));
        return new RevenueRow(key, total.AmountCny, total.EnergyKwh, total.CarbonKg, total.PflopsHoursFp16, statements.All(s => s.Closed));
    }

    private IPoolGrain Pool => GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National);
}
