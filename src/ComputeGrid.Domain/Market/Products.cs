using System.Collections.Immutable;

namespace ComputeGrid.Domain.Market;

/// <summary>What a product sells: a resource for a time, or data moved between hubs.</summary>
public enum ResourceClass
{
    /// <summary>One CPU core (1,000 millicores) for one hour.</summary>
    CpuCoreHour,

    /// <summary>One GiB of memory for one hour.</summary>
    MemoryGiBHour,

    /// <summary>One GPU of a model for one hour.</summary>
    GpuHour,

    /// <summary>One GiB of input data moved between hubs (charged once per run outside the origin hub).</summary>
    TransferGiB,
}

/// <summary>One product's identity: its resource class and, for a GPU-hour, the model.</summary>
/// <param name="Class">The resource class.</param>
/// <param name="GpuModel">The GPU model of a <see cref="ResourceClass.GpuHour"/>; null otherwise.</param>
public sealed record ProductKey(ResourceClass Class, string? GpuModel = null)
{
    /// <summary>One CPU core-hour.</summary>
    public static ProductKey CpuCoreHour { get; } = new(ResourceClass.CpuCoreHour);

    /// <summary>One GiB-hour of memory.</summary>
    public static ProductKey MemoryGiBHour { get; } = new(ResourceClass.MemoryGiBHour);

    /// <summary>One GiB moved between hubs.</summary>
    public static ProductKey TransferGiB { get; } = new(ResourceClass.TransferGiB);

    /// <summary>One GPU-hour of <paramref name="model"/>.</summary>
    public static ProductKey GpuHour(string model) => new(ResourceClass.GpuHour, model);

    /// <summary>The stable name used in the catalog, statements and CSV: <c>cpu-core-hour</c>, <c>memory-gib-hour</c>, <c>gpu-hour:910B</c>, <c>transfer-gib</c>.</summary>
    public string Sku => Class switch
    {
        ResourceClass.CpuCoreHour => "cpu-core-hour",
        ResourceClass.MemoryGiBHour => "memory-gib-hour",
        ResourceClass.GpuHour => $"gpu-hour:{GpuModel}",
        _ => "transfer-gib",
    };

    /// <summary>The unit a quantity of it is counted in.</summary>
    public string Unit => Class switch
    {
        ResourceClass.CpuCoreHour => "core-hour",
        ResourceClass.MemoryGiBHour => "GiB-hour",
        ResourceClass.GpuHour => "GPU-hour",
        _ => "GiB",
    };

    /// <inheritdoc />
    public override string ToString() => Sku;
}

/// <summary>
/// A data center's list prices in CNY per unit, at most <see cref="ListPrices.PriceDecimals"/> decimals: per CPU
/// core-hour, per memory GiB-hour and per GPU-hour of each model it has.
/// </summary>
/// <param name="CpuCoreHourCny">CNY per CPU core-hour.</param>
/// <param name="MemoryGiBHourCny">CNY per GiB-hour of memory.</param>
/// <param name="GpuHourCny">CNY per GPU-hour, by model.</param>
public sealed record PriceList(decimal CpuCoreHourCny, decimal MemoryGiBHourCny, ImmutableSortedDictionary<string, decimal> GpuHourCny)
{
    /// <summary>Creates a list from plain values.</summary>
    public static PriceList Of(decimal cpuCoreHourCny, decimal memoryGiBHourCny, IEnumerable<KeyValuePair<string, decimal>>? gpuHourCny = null) =>
        new(cpuCoreHourCny, memoryGiBHourCny, (gpuHourCny ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal));

    /// <summary>The unit price of <paramref name="product"/>, CNY; null for a GPU model the list does not price (transfer is national, not here).</summary>
    public decimal? UnitPrice(ProductKey product) => product.Class switch
    {
        ResourceClass.CpuCoreHour => CpuCoreHourCny,
        ResourceClass.MemoryGiBHour => MemoryGiBHourCny,
        ResourceClass.GpuHour when product.GpuModel is { } model && GpuHourCny.TryGetValue(model, out var price) => price,
        _ => null,
    };

    /// <summary>Value equality that compares the GPU prices by content.</summary>
    public bool Equals(PriceList? other) =>
        other is not null
        && CpuCoreHourCny == other.CpuCoreHourCny
        && MemoryGiBHourCny == other.MemoryGiBHourCny
        && GpuHourCny.Count == other.GpuHourCny.Count
        && GpuHourCny.All(g => other.GpuHourCny.TryGetValue(g.Key, out var p) && p == g.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(CpuCoreHourCny, MemoryGiBHourCny, GpuHourCny.Count);
}
