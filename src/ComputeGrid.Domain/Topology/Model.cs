using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Topology;

/// <summary>The two zones of the national network: the demand side (east) and the resource side (west).</summary>
public enum Zone
{
    /// <summary>Demand side: Beijing-Tianjin-Hebei, Yangtze River Delta, Greater Bay Area, Chengdu-Chongqing.</summary>
    East,

    /// <summary>Resource side: Inner Mongolia, Guizhou, Gansu, Ningxia.</summary>
    West,
}

/// <summary>Whether a data center takes new work.</summary>
public enum DataCenterStatus
{
    /// <summary>Takes new work.</summary>
    Online,

    /// <summary>Takes no new work; work already there runs to its end.</summary>
    Draining,

    /// <summary>Unreachable; takes no work.</summary>
    Offline,
}

/// <summary>A national hub node (a Region).</summary>
/// <param name="Id">Stable id, lower-case, for example <c>yangtze</c>.</param>
/// <param name="Name">English name.</param>
/// <param name="NameZh">Chinese name.</param>
/// <param name="Zone">East (demand) or west (resource).</param>
/// <param name="Location">The point latency is measured from: the hub's main demand centre, or its cluster.</param>
/// <param name="Quota">Its lending and borrowing limits and reclaim policy; null for <see cref="HubQuota.Default"/>.</param>
public sealed record Hub(string Id, string Name, string NameZh, Zone Zone, GeoPoint Location, HubQuota? Quota = null)
{
    /// <summary>The quota that applies: <see cref="Quota"/> or the default (no limits, recall from lower priorities).</summary>
    public HubQuota EffectiveQuota => Quota ?? HubQuota.Default;
}

/// <summary>A data center's energy and price profile.</summary>
/// <param name="Pue">Power usage effectiveness, facility energy / IT energy, at least 1.</param>
/// <param name="GridKgCo2PerKwh">Grid emission factor in kgCO2/kWh.</param>
/// <param name="GreenShare">Share of the facility's energy from its own green supply, 0..1; that share emits nothing.</param>
/// <param name="PriceCnyPerKwh">Electricity price in CNY/kWh.</param>
public sealed record EnergyProfile(double Pue, double GridKgCo2PerKwh, double GreenShare, double PriceCnyPerKwh)
{
    /// <summary>Effective emissions per kWh of IT energy: PUE x grid factor x (1 - green share), kgCO2/kWh.</summary>
    public double EffectiveKgCo2PerItKwh => Pue * GridKgCo2PerKwh * (1 - GreenShare);
}

/// <summary>One data center (a national cluster or any site registered at run time).</summary>
/// <param name="Id">Stable id, lower-case, for example <c>guian</c>.</param>
/// <param name="Name">Display name.</param>
/// <param name="HubId">The hub (Region) it belongs to.</param>
/// <param name="Location">Its coordinates.</param>
/// <param name="Capacity">Its total capacity.</param>
/// <param name="Energy">Its energy and price profile.</param>
public sealed record DataCenterSpec(string Id, string Name, string HubId, GeoPoint Location, ResourceVector Capacity, EnergyProfile Energy);

/// <summary>How IT power is estimated from resources.</summary>
/// <param name="WattsPerCore">Watts per allocated CPU core.</param>
/// <param name="WattsPerGiB">Watts per allocated GiB of memory.</param>
/// <param name="GpuWatts">Watts per GPU by model; a model absent here draws <paramref name="DefaultGpuWatts"/>.</param>
/// <param name="DefaultGpuWatts">Watts of a GPU whose model has no entry.</param>
public sealed record PowerModel(double WattsPerCore, double WattsPerGiB, IReadOnlyDictionary<string, double> GpuWatts, double DefaultGpuWatts)
{
    /// <summary>IT power in watts of <paramref name="request"/>.</summary>
    public double WattsOf(ResourceRequest request)
    {
        var gpu = request.EffectiveGpuModel is { } model ? request.Gpus * GpuWatts.GetValueOrDefault(model, DefaultGpuWatts) : 0;
        return (request.Cores * WattsPerCore) + (request.MemoryGiB * WattsPerGiB) + gpu;
    }
}

/// <summary>
/// One-way network latency estimated from great-circle distance: route factor x distance / fibre speed + switching,
/// unless a measured hub-to-hub value overrides it.
/// </summary>
/// <param name="FibreKmPerMs">Light in fibre, km per ms (about 200).</param>
/// <param name="RouteFactor">Real routes over straight lines (about 1.5).</param>
/// <param name="SwitchingMs">Fixed switching cost per path, ms.</param>
/// <param name="Overrides">Measured one-way ms between hub ids (both directions), replacing the estimate.</param>
public sealed record LatencyModel(double FibreKmPerMs, double RouteFactor, double SwitchingMs, IReadOnlyDictionary<(string From, string To), double> Overrides)
{
    /// <summary>The defaults of shared/data/hubs.md: 200 km/ms, 1.5x route factor, 0.5 ms switching, no overrides.</summary>
    public static LatencyModel Default { get; } = new(200, 1.5, 0.5, new Dictionary<(string, string), double>());

    /// <summary>Estimated one-way latency in ms between two points.</summary>
    public double EstimateMs(GeoPoint from, GeoPoint to) => (RouteFactor * from.DistanceKmTo(to) / FibreKmPerMs) + SwitchingMs;

    /// <summary>A measured hub-to-hub latency if one is configured.</summary>
    public double? OverrideMs(string fromHub, string toHub) =>
        Overrides.TryGetValue((fromHub, toHub), out var ms) || Overrides.TryGetValue((toHub, fromHub), out ms) ? ms : null;
}
