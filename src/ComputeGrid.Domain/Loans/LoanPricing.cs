using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Loans;

/// <summary>How a lender prices its capacity: the energy cost of a core-hour or GPU-hour in that data center, plus a margin.</summary>
public static class LoanPricing
{
    /// <summary>Memory assumed per core when pricing a core-hour, GiB (the national topology's ratio).</summary>
    public const double GiBPerCore = 4;

    /// <summary>
    /// CNY per core-hour = (W per core + 4 x W per GiB) / 1000 x PUE x CNY/kWh x (1 + margin); CNY per GPU-hour likewise from
    /// the GPU's board power (the most power-hungry model the slice lends, or the default GPU power).
    /// </summary>
    public static LoanPrice PriceOf(DataCenterSpec dataCenter, PowerModel power, IEnumerable<string> gpuModels, double margin)
    {
        var perKwh = dataCenter.Energy.Pue * dataCenter.Energy.PriceCnyPerKwh * (1 + margin);
        var coreWatts = power.WattsPerCore + (GiBPerCore * power.WattsPerGiB);
        var gpuWatts = gpuModels.Select(m => power.GpuWatts.GetValueOrDefault(m, power.DefaultGpuWatts)).DefaultIfEmpty(power.DefaultGpuWatts).Max();
        return new LoanPrice(Math.Round(coreWatts / 1000 * perKwh, 6), Math.Round(gpuWatts / 1000 * perKwh, 6));
    }

    /// <summary>The dearer of two prices in each dimension (an offer over several data centers charges the dearest).</summary>
    public static LoanPrice Max(LoanPrice a, LoanPrice b) => new(Math.Max(a.CnyPerCoreHour, b.CnyPerCoreHour), Math.Max(a.CnyPerGpuHour, b.CnyPerGpuHour));
}
