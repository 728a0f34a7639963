using ComputeGrid.Contracts;
using ComputeGrid.Contracts.Market;
using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Market;
using ComputeGrid.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Market;

/// <summary>A data center's persisted price book: every version of its list prices, oldest first.</summary>
[GenerateSerializer, Alias("cg.PriceBookRecord")]
internal sealed class PriceBookRecord
{
    [Id(0)] public List<PriceBookEntry> History { get; set; } = [];
}

/// <summary>
/// The one owner of a data center's list prices (key: data-center id). A change is checked against the bounds, persisted
/// with who made it, and copied into the pool's directory, which every region places with (a cache this grain
/// refreshes: a change whose copy failed is copied again by the next read or change). Bills look prices up here by the
/// time a job was placed, so a later change never reprices a placed job.
/// </summary>
internal sealed partial class PriceBookGrain(
    [PersistentState("price-book", GridStorage.Name)] IPersistentState<PriceBookRecord> state,
    TopologyCatalog catalog,
    GridClock clock,
    IOptions<MarketOptions> options,
    ILogger<PriceBookGrain> logger) : Grain, IPriceBookGrain
{
    private string Id => this.GetPrimaryKeyString();

    public async Task<PriceBook?> GetAsync(CancellationToken cancellationToken = default)
    {
        if (await EntryAsync(cancellationToken) is not { } entry)
        {
            return null;
        }

        var book = Book(entry);
        if (!Equals(entry.Prices ?? book.Defaults, book.Current))
        {
            // The directory's copy is behind (a change whose copy failed): make it good.
            await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).SetPricesAsync(Id, book.Current, cancellationToken);
        }

        return book;
    }

    public async Task<PriceChangeResult> SetAsync(PriceList prices, string setBy, CancellationToken cancellationToken = default)
    {
        if (await EntryAsync(cancellationToken) is not { } entry)
        {
            return new PriceChangeResult(null, [new("dataCenterId", $"no data center '{Id}'")], true);
        }

        var errors = ListPrices.Validate(prices, entry.Spec, catalog.Seed.Power, options.Value.Bounds);
        if (errors.Count > 0)
        {
            return new PriceChangeResult(null, errors, false);
        }

        var now = clock.Now;
        state.State.History.Add(new PriceBookEntry(prices, now, now, setBy));
        await state.WriteStateAsync(cancellationToken);
        var book = Book(entry);
        await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).SetPricesAsync(Id, book.Current, cancellationToken);
        LogSet(logger, Id, setBy);
        return new PriceChangeResult(book, [], false);
    }

    public Task<PriceList?> PricesAtAsync(DateTimeOffset at, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.State.History.LastOrDefault(e => e.EffectiveFrom <= at)?.Prices);

    private PriceBook Book(DirectoryEntry entry)
    {
        var power = catalog.Seed.Power;
        var set = state.State.History.LastOrDefault(e => e.EffectiveFrom <= clock.Now)?.Prices;
        return new PriceBook(
            Id,
            ListPrices.Effective(set, entry.Spec, power),
            ListPrices.Default(entry.Spec, power),
            options.Value.MinPriceFactor,
            options.Value.MaxPriceFactor,
            [.. state.State.History]);
    }

    /// <summary>The data center as the pool's directory lists it, so a made-up id has no book.</summary>
    private async Task<DirectoryEntry?> EntryAsync(CancellationToken cancellationToken) =>
        (await GrainFactory.GetGrain<IPoolGrain>(PoolGrainKey.National).GetDirectoryAsync(cancellationToken)).DataCenters.FirstOrDefault(d => d.Spec.Id == Id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data center {DataCenterId} repriced by {SetBy}")]
    private static partial void LogSet(ILogger logger, string dataCenterId, string setBy);
}
