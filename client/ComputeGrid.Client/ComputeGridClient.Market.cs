using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain;
using ComputeGrid.Domain.Market;
using ComputeGrid.Domain.Security;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Client;

/// <summary>The SDK's market: catalog, quotes, prices, statements and revenue.</summary>
public sealed partial class ComputeGridClient : IComputeGridMarket
{
    /// <inheritdoc />
    public IComputeGridMarket Market => this;

    /// <inheritdoc />
    public async Task<Catalog> GetCatalogAsync(string? originHub = null, CancellationToken cancellationToken = default)
    {
        if (originHub is not null && !DataCenterRules.IsValidId(originHub))
        {
            throw new ComputeGridValidationException([new ValidationError("originHub", "must be 1-64 characters of a-z, 0-9 and '-'")]);
        }

        var result = await MarketGrain.GetCatalogAsync(originHub, cancellationToken);
        return result.Catalog ?? throw new ComputeGridValidationException(result.Errors);
    }

    /// <inheritdoc />
    public async Task<Quote> QuoteAsync(JobRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new ComputeGridValidationException(errors);
        }

        var result = await MarketGrain.QuoteAsync(request.ToSpec(), cancellationToken);
        return result switch
        {
            { Quote: { } quote } => quote,
            { OverCap: { } over } => throw new PriceCapException(result.Errors, over.MaxPriceCny, over.CheapestPriceCny, over.CheapestDataCenterId),
            _ when result.Errors.Any(e => e.Field.StartsWith("resources", StringComparison.Ordinal) || e.Field is "latencyClass" or "allowedHubs")
                && !result.Errors.Any(e => e.Field is "originHub") => throw new JobRejectedException(result.Errors),
            _ => throw new ComputeGridValidationException(result.Errors),
        };
    }

    /// <inheritdoc />
    public async Task<PriceBook> GetPriceBookAsync(string dataCenterId, CancellationToken cancellationToken = default) =>
        await cluster.GetGrain<IPriceBookGrain>(RequireDataCenterId(dataCenterId)).GetAsync(cancellationToken)
            ?? throw new ComputeGridNotFoundException($"no data center '{dataCenterId}'");

    /// <inheritdoc />
    public async Task<PriceBook> SetPricesAsync(string dataCenterId, PriceList prices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prices);
        PriceBook? book = null;
        await AuditedAsync(MarketAuditActions.PricesSet, dataCenterId, async () =>
        {
            var result = await cluster.GetGrain<IPriceBookGrain>(RequireDataCenterId(dataCenterId)).SetAsync(prices, _actor.Name, cancellationToken);
            if (result.NotFound)
            {
                throw new ComputeGridNotFoundException($"no data center '{dataCenterId}'");
            }

            book = result.Errors.Count > 0 ? throw new ComputeGridValidationException(result.Errors) : result.Book!;
            return $"cpu {prices.CpuCoreHourCny}, memory {prices.MemoryGiBHourCny}" + string.Concat(prices.GpuHourCny.Select(g => $", {g.Key} {g.Value}")) + " CNY per unit-hour";
        });
        return book!;
    }

    /// <inheritdoc />
    public Task<Statement> GetStatementAsync(string tenant, string period, CancellationToken cancellationToken = default)
    {
        if (!ApiKeyRules.IsValidTenant(tenant))
        {
            throw new ComputeGridValidationException([new ValidationError("tenant", "must be 1-64 characters of a-z, 0-9 and '-'")]);
        }

        return Statement(StatementOwner.Tenant, tenant, period, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<Statement> GetDataCenterStatementAsync(string dataCenterId, string period, CancellationToken cancellationToken = default)
    {
        var statement = await Statement(StatementOwner.DataCenter, RequireDataCenterId(dataCenterId), period, cancellationToken);

        // A removed data center keeps the statements it earned; an id that never was one has none to read.
        if (statement.Lines.Count == 0 && (await Pool.GetDirectoryAsync(cancellationToken)).DataCenters.All(d => d.Spec.Id != dataCenterId))
        {
            throw new ComputeGridNotFoundException($"no data center '{dataCenterId}'");
        }

        return statement;
    }

    /// <inheritdoc />
    public Task<RevenueReport> GetRevenueAsync(string period, CancellationToken cancellationToken = default) =>
        MarketGrain.GetRevenueAsync(RequirePeriod(period), cancellationToken);

    /// <summary>The typed refusal of a submission over its cap, with the cheapest price the market quotes for it now.</summary>
    private async Task<Exception> PriceCapAsync(JobRequest request, IReadOnlyList<ValidationError> errors, CancellationToken cancellationToken)
    {
        var quote = await MarketGrain.QuoteAsync(request.ToSpec(), cancellationToken);
        return quote.OverCap is { } over
            ? new PriceCapException(errors, over.MaxPriceCny, over.CheapestPriceCny, over.CheapestDataCenterId)
            : new JobRejectedException(errors);
    }

    private Task<Statement> Statement(StatementOwner owner, string id, string period, CancellationToken cancellationToken) =>
        cluster.GetGrain<IStatementGrain>(StatementRules.KeyOf(owner, id, RequirePeriod(period))).GetAsync(cancellationToken);

    private static BillingPeriod RequirePeriod(string period) =>
        BillingPeriod.TryParse(period) ?? throw new ComputeGridValidationException([new ValidationError("period", "must be a month (yyyy-MM) or a day (yyyy-MM-dd), in Asia/Shanghai")]);

    private IMarketGrain MarketGrain => cluster.GetGrain<IMarketGrain>(MarketGrainKey.National);
}

/// <summary>No data center that can run the job charges its <c>maxPriceCny</c> or less; nothing was changed.</summary>
public sealed class PriceCapException : ComputeGridValidationException
{
    /// <summary>Creates the exception.</summary>
    public PriceCapException(IReadOnlyList<ValidationError> errors, decimal maxPriceCny, decimal cheapestPriceCny, string cheapestDataCenterId)
        : base(errors)
    {
        MaxPriceCny = maxPriceCny;
        CheapestPriceCny = cheapestPriceCny;
        CheapestDataCenterId = cheapestDataCenterId;
    }

    /// <summary>Creates the exception.</summary>
    public PriceCapException()
    {
        CheapestDataCenterId = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public PriceCapException(string message)
        : base(message)
    {
        CheapestDataCenterId = string.Empty;
    }

    /// <summary>Creates the exception.</summary>
    public PriceCapException(string message, Exception innerException)
        : base(message, innerException)
    {
        CheapestDataCenterId = string.Empty;
    }

    /// <summary>The job's cap, CNY.</summary>
    public decimal MaxPriceCny { get; }

    /// <summary>The cheapest price of a data center that could run the job, CNY.</summary>
    public decimal CheapestPriceCny { get; }

    /// <summary>Where that price is.</summary>
    public string CheapestDataCenterId { get; }
}
