using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Market;

/// <summary>How far an owner may move a data center's prices from its default list prices.</summary>
/// <param name="MinFactor">Lowest price as a multiple of the default list price (0.5: half of it).</param>
/// <param name="MaxFactor">Highest price as a multiple of the default list price (100: a hundred times it).</param>
public sealed record PriceBounds(decimal MinFactor, decimal MaxFactor)
{
    /// <summary>The defaults: 0.5x to 100x the default list price (an owner may sell below cost plus margin, never for nothing).</summary>
    public static PriceBounds Default { get; } = new(0.5m, 100m);
}

/// <summary>
/// Default list prices and the rules for an owner's prices. The default price of a unit is today's cost model plus
/// <see cref="DefaultMargin"/>: IT watts of one unit (power model) / 1000 x PUE x the data center's CNY/kWh x (1 + margin),
/// rounded to <see cref="PriceDecimals"/> decimals half away from zero.
/// </summary>
public static class ListPrices
{
    /// <summary>The margin over the energy cost in default list prices: 25%.</summary>
    public const decimal DefaultMargin = 0.25m;

    /// <summary>Decimals a unit price may have: 6 (a millionth of a CNY; a core-hour costs about a hundredth).</summary>
    public const int PriceDecimals = 6;

    /// <summary>The default list prices of <paramref name="spec"/>: cost plus <see cref="DefaultMargin"/> for CPU, memory and each GPU model it has.</summary>
    public static PriceList Default(DataCenterSpec spec, PowerModel power) =>
        PriceList.Of(
            UnitPrice(power.WattsPerCore, spec.Energy),
            UnitPrice(power.WattsPerGiB, spec.Energy),
            spec.Capacity.Gpus.Keys.Select(m => KeyValuePair.Create(m, UnitPrice(power.GpuWatts.GetValueOrDefault(m, power.DefaultGpuWatts), spec.Energy))));

    /// <summary>The prices in force: <paramref name="set"/> by the owner, or the defaults; a GPU model the owner left out takes its default.</summary>
    public static PriceList Effective(PriceList? set, DataCenterSpec spec, PowerModel power)
    {
        var defaults = Default(spec, power);
        if (set is null)
        {
            return defaults;
        }

        var gpus = defaults.GpuHourCny.ToBuilder();
        foreach (var (model, price) in set.GpuHourCny.Where(g => defaults.GpuHourCny.ContainsKey(g.Key)))
        {
            gpus[model] = price;
        }

        return new PriceList(set.CpuCoreHourCny, set.MemoryGiBHourCny, gpus.ToImmutable());
    }

    /// <summary>
    /// What is wrong with <paramref name="proposed"/> for <paramref name="spec"/> within <paramref name="bounds"/>: each
    /// price at least 0, at most <see cref="PriceDecimals"/> decimals, between the bounds of its default, and GPU prices
    /// only for models the data center has. Fields: <c>cpuCoreHourCny</c>, <c>memoryGiBHourCny</c>, <c>gpuHourCny.&lt;model&gt;</c>.
    /// </summary>
    public static List<ValidationError> Validate(PriceList proposed, DataCenterSpec spec, PowerModel power, PriceBounds bounds)
    {
        var defaults = Default(spec, power);
        var errors = new List<ValidationError>();
        Check("cpuCoreHourCny", proposed.CpuCoreHourCny, defaults.CpuCoreHourCny, bounds, errors);
        Check("memoryGiBHourCny", proposed.MemoryGiBHourCny, defaults.MemoryGiBHourCny, bounds, errors);
        foreach (var (model, price) in proposed.GpuHourCny)
        {
            if (defaults.GpuHourCny.TryGetValue(model, out var standard))
            {
                Check($"gpuHourCny.{model}", price, standard, bounds, errors);
            }
            else
            {
                errors.Add(new($"gpuHourCny.{model}", $"{spec.Id} has no {ValidationError.Quote(model)} GPUs; it prices {(defaults.GpuHourCny.Count == 0 ? "no GPU model" : string.Join(", ", defaults.GpuHourCny.Keys))}"));
            }
        }

        return errors;
    }

    private static void Check(string field, decimal price, decimal standard, PriceBounds bounds, List<ValidationError> errors)
    {
        var low = Math.Round(standard * bounds.MinFactor, PriceDecimals, MidpointRounding.AwayFromZero);
        var high = Math.Round(standard * bounds.MaxFactor, PriceDecimals, MidpointRounding.AwayFromZero);
        if (price < 0)
        {
            errors.Add(new(field, "must not be negative"));
        }
        else if (decimal.Round(price, PriceDecimals) != price)
        {
            errors.Add(new(field, $"must have at most {PriceDecimals} decimals"));
        }
        else if (price < low || price > high)
        {
            errors.Add(new(field, $"must be between {Format(low)} and {Format(high)} CNY ({bounds.MinFactor}x to {bounds.MaxFactor}x the default list price {Format(standard)} CNY)"));
        }
    }

    private static string Format(decimal price) => price.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);

    private static decimal UnitPrice(double watts, EnergyProfile energy)
    {
        var cost = (decimal)watts / 1000m * (decimal)energy.Pue * (decimal)energy.PriceCnyPerKwh;
        return Math.Round(cost * (1 + DefaultMargin), PriceDecimals, MidpointRounding.AwayFromZero);
    }

    /// <summary>The units of each product <paramref name="resources"/> holds per hour: cores, GiB and GPUs of its model.</summary>
    public static IEnumerable<(ProductKey Product, decimal Units)> UnitsOf(ResourceRequest resources)
    {
        yield return (ProductKey.CpuCoreHour, resources.CpuMillicores / 1000m);
        yield return (ProductKey.MemoryGiBHour, resources.MemoryMiB / 1024m);
        if (resources.EffectiveGpuModel is { } model)
        {
            yield return (ProductKey.GpuHour(model), resources.Gpus);
        }
    }
}
