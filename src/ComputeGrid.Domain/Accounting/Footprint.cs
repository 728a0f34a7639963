using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Accounting;

/// <summary>Energy, carbon and cost of some work.</summary>
/// <param name="EnergyKwh">Facility energy in kWh (IT energy x PUE).</param>
/// <param name="CarbonKg">Emissions in kgCO2.</param>
/// <param name="CostCny">Cost in CNY: energy plus input data transfer.</param>
public readonly record struct Footprint(double EnergyKwh, double CarbonKg, double CostCny)
{
    /// <summary>Nothing.</summary>
    public static Footprint Zero => default;

    /// <summary>Adds two footprints.</summary>
    public static Footprint operator +(Footprint a, Footprint b) =>
        new(a.EnergyKwh + b.EnergyKwh, a.CarbonKg + b.CarbonKg, a.CostCny + b.CostCny);

    /// <summary>Subtracts a footprint (to report savings).</summary>
    public static Footprint operator -(Footprint a, Footprint b) =>
        new(a.EnergyKwh - b.EnergyKwh, a.CarbonKg - b.CarbonKg, a.CostCny - b.CostCny);
}

/// <summary>The accounting arithmetic: how resources and time turn into kWh, kgCO2 and CNY.</summary>
public static class FootprintCalculator
{
    /// <summary>
    /// The footprint of running <paramref name="resources"/> for <paramref name="duration"/> in a data center:
    /// IT kWh = watts x hours / 1000; energy = IT kWh x PUE; carbon = energy x grid factor x (1 - green share);
    /// cost = energy x price, plus <paramref name="transferGiB"/> x <paramref name="transferCnyPerGiB"/>.
    /// </summary>
    public static Footprint Of(
        ResourceRequest resources,
        TimeSpan duration,
        EnergyProfile energy,
        PowerModel power,
        double transferGiB = 0,
        double transferCnyPerGiB = 0)
    {
        var hours = Math.Max(0, duration.TotalHours);
        var itKwh = power.WattsOf(resources) * hours / 1000.0;
        var facilityKwh = itKwh * energy.Pue;
        var carbon = facilityKwh * energy.GridKgCo2PerKwh * (1 - energy.GreenShare);
        var cost = (facilityKwh * energy.PriceCnyPerKwh) + (transferGiB * transferCnyPerGiB);
        return new Footprint(facilityKwh, carbon, cost);
    }
}
