using ComputeGrid.Contracts.Market;
using ComputeGrid.Domain.Market;

namespace ComputeGrid.Client;

/// <summary>Computing power as a product: the catalog, quotes, data centers' prices, statements and revenue.</summary>
public interface IComputeGridMarket
{
    /// <summary>Every product of every data center with its list price, latency classes stated from <paramref name="originHub"/> (each product's own hub when null).</summary>
    /// <exception cref="ComputeGridValidationException">originHub is malformed or names no hub of the pool.</exception>
    Task<Catalog> GetCatalogAsync(string? originHub = null, CancellationToken cancellationToken = default);

    /// <summary>For each feasible placement of the job: its price, estimated start and carbon, and the placement its policy would choose.</summary>
    /// <exception cref="ComputeGridValidationException">A field is invalid.</exception>
    /// <exception cref="JobRejectedException">The job can never run anywhere in the pool.</exception>
    /// <exception cref="PriceCapException">No data center that can run it charges its maxPriceCny or less.</exception>
    Task<Quote> QuoteAsync(JobRequest request, CancellationToken cancellationToken = default);

    /// <summary>A data center's price book: its prices in force, defaults, bounds and history.</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    Task<PriceBook> GetPriceBookAsync(string dataCenterId, CancellationToken cancellationToken = default);

    /// <summary>Sets a data center's list prices (audited; operators, or the data center's own provider through the gateway).</summary>
    /// <exception cref="ComputeGridNotFoundException">No such data center.</exception>
    /// <exception cref="ComputeGridValidationException">A price is out of bounds; nothing was changed.</exception>
    Task<PriceBook> SetPricesAsync(string dataCenterId, PriceList prices, CancellationToken cancellationToken = default);

    /// <summary>A tenant's statement for a period (<c>yyyy-MM</c> or <c>yyyy-MM-dd</c>, Asia/Shanghai).</summary>
    /// <exception cref="ComputeGridValidationException">A bad tenant or period.</exception>
    Task<Statement> GetStatementAsync(string tenant, string period, CancellationToken cancellationToken = default);

    /// <summary>A data center's revenue statement for a period: what the jobs that ran there were charged.</summary>
    /// <exception cref="ComputeGridValidationException">A bad data center id or period.</exception>
    /// <exception cref="ComputeGridNotFoundException">No data center has this id, and none by it charged anything in the period.</exception>
    Task<Statement> GetDataCenterStatementAsync(string dataCenterId, string period, CancellationToken cancellationToken = default);

    /// <summary>Revenue per data center and per hub in a period.</summary>
    /// <exception cref="ComputeGridValidationException">A bad period.</exception>
    Task<RevenueReport> GetRevenueAsync(string period, CancellationToken cancellationToken = default);
}
