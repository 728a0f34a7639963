using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Targets;

/// <summary>
/// The national plans' targets for hub data centers (shared/data/hubs.md): PUE within 1.25 on the demand side and 1.2
/// on the resource side, rack utilisation at least 65%, green power at least 80%.
/// </summary>
/// <param name="PueEast">Highest PUE allowed in an east (demand-side) hub; 1.25.</param>
/// <param name="PueWest">Highest PUE allowed in a west (resource-side) hub; 1.2.</param>
/// <param name="MinUtilisation">Lowest utilisation that meets the target, 0..1; 0.65.</param>
/// <param name="MinGreenShare">Lowest green-power share that meets the target, 0..1; 0.80.</param>
public sealed record NationalTargets(double PueEast, double PueWest, double MinUtilisation, double MinGreenShare)
{
    /// <summary>The targets of the national plans.</summary>
    public static NationalTargets Default { get; } = new(1.25, 1.2, 0.65, 0.80);

    /// <summary>The PUE target of a hub in <paramref name="zone"/>.</summary>
    public double PueTargetOf(Zone zone) => zone == Zone.East ? PueEast : PueWest;
}

/// <summary>What a reading is weighted by, so a reader knows how far to trust it.</summary>
public enum ReadingBasis
{
    /// <summary>Weighted by the facility energy (kWh) of the work that finished in each data center: what the hub actually drew.</summary>
    FinishedWork,

    /// <summary>No work finished there yet: the data centers' profiles weighted by their CPU capacity (millicores).</summary>
    Capacity,

    /// <summary>Capacity reserved now (jobs and capacity held for loans) over total capacity.</summary>
    ReservedNow,

    /// <summary>The hub has no data centers; the value is 0 and does not meet the target.</summary>
    NoDataCenters,
}

/// <summary>One hub's value against one national target.</summary>
/// <param name="Value">The hub's value: a PUE (facility / IT energy), or a share 0..1.</param>
/// <param name="Target">The target: the highest PUE allowed, or the lowest share.</param>
/// <param name="Meets">True when the value is within the target.</param>
/// <param name="Basis">What the value is weighted by.</param>
public sealed record TargetReading(double Value, double Target, bool Meets, ReadingBasis Basis);

/// <summary>A hub's readings against the three national targets.</summary>
/// <param name="Pue">Power usage effectiveness against the zone's PUE target (lower is better).</param>
/// <param name="Utilisation">Dominant-resource utilisation against the 65% rack-utilisation target.</param>
/// <param name="GreenShare">Share of energy from the data centers' own green supply against the 80% target.</param>
public sealed record HubAssessment(TargetReading Pue, TargetReading Utilisation, TargetReading GreenShare);

/// <summary>One data center's part in its hub's readings.</summary>
/// <param name="Spec">Its description (capacity and energy profile).</param>
/// <param name="Used">Capacity reserved there now.</param>
/// <param name="Executed">Footprint of the work that finished there.</param>
public sealed record DataCenterUse(DataCenterSpec Spec, ResourceVector Used, Footprint Executed);

/// <summary>Measures a hub against the national targets from its data centers' profiles, use and finished work.</summary>
public static class HubTargets
{
    // Tolerates the rounding of a PUE computed as a ratio of sums (1.2 can come back as 1.2000000000000002).
    private const double Tolerance = 1e-9;

    /// <summary>
    /// PUE: total facility kWh over total IT kWh (IT kWh = facility kWh / PUE) of the finished work; before any,
    /// the CPU-capacity-weighted mean PUE. Utilisation: the dominant share (largest of CPU, memory and GPUs) of the
    /// hub's reserved capacity in its total capacity, the nearest measure to rack utilisation the pool has. Green share:
    /// green kWh (facility kWh x green share) over total kWh of the finished work; before any, the CPU-capacity-weighted
    /// mean green share.
    /// </summary>
    public static HubAssessment Assess(Zone zone, IReadOnlyCollection<DataCenterUse> dataCenters, NationalTargets targets)
    {
        ArgumentNullException.ThrowIfNull(dataCenters);
        ArgumentNullException.ThrowIfNull(targets);
        var pueTarget = targets.PueTargetOf(zone);
        if (dataCenters.Count == 0)
        {
            return new HubAssessment(
                new TargetReading(0, pueTarget, false, ReadingBasis.NoDataCenters),
                new TargetReading(0, targets.MinUtilisation, false, ReadingBasis.NoDataCenters),
                new TargetReading(0, targets.MinGreenShare, false, ReadingBasis.NoDataCenters));
        }

        double pue, green;
        ReadingBasis basis;
        var energy = dataCenters.Sum(d => Math.Max(0, d.Executed.EnergyKwh));
        if (energy > 0)
        {
            basis = ReadingBasis.FinishedWork;
            pue = energy / dataCenters.Sum(d => Math.Max(0, d.Executed.EnergyKwh) / d.Spec.Energy.Pue);
            green = dataCenters.Sum(d => Math.Max(0, d.Executed.EnergyKwh) * d.Spec.Energy.GreenShare) / energy;
        }
        else
        {
            basis = ReadingBasis.Capacity;
            var weights = dataCenters.Select(d => (double)Math.Max(0, d.Spec.Capacity.CpuMillicores)).ToList();
            var total = weights.Sum();
            var shares = total > 0 ? weights.Select(w => w / total).ToList() : [.. weights.Select(_ => 1.0 / weights.Count)];
            pue = dataCenters.Zip(shares, (d, s) => d.Spec.Energy.Pue * s).Sum();
            green = dataCenters.Zip(shares, (d, s) => d.Spec.Energy.GreenShare * s).Sum();
        }

        var capacity = dataCenters.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Spec.Capacity));
        var used = dataCenters.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Used));
        var utilisation = used.DominantShareOf(capacity);
        return new HubAssessment(
            new TargetReading(pue, pueTarget, pue <= pueTarget + Tolerance, basis),
            new TargetReading(utilisation, targets.MinUtilisation, utilisation >= targets.MinUtilisation - Tolerance, ReadingBasis.ReservedNow),
            new TargetReading(green, targets.MinGreenShare, green >= targets.MinGreenShare - Tolerance, basis));
    }
}
