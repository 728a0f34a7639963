using ComputeGrid.Contracts.Pool;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;
using ComputeGrid.Gateway.Jobs;

namespace ComputeGrid.Gateway.Pool;

/// <summary>An amount of capacity.</summary>
/// <param name="CpuMillicores">CPU in millicores (1000 = one core).</param>
/// <param name="MemoryMiB">Memory in MiB.</param>
/// <param name="Gpus">Whole GPUs by model, for example {"910B": 512}; a model absent counts as zero.</param>
public sealed record CapacityView(long CpuMillicores, long MemoryMiB, IReadOnlyDictionary<string, int> Gpus)
{
    internal static CapacityView Of(ResourceVector v) => new(v.CpuMillicores, v.MemoryMiB, v.Gpus);
}

/// <summary>A point on Earth (WGS 84).</summary>
/// <param name="Lat">Latitude, degrees, -90..90.</param>
/// <param name="Lon">Longitude, degrees, -180..180.</param>
public sealed record LocationView(double Lat, double Lon);

/// <summary>A data center's energy and price profile.</summary>
/// <param name="Pue">Power usage effectiveness (facility energy / IT energy), 1.0..3.0.</param>
/// <param name="GridKgCo2PerKwh">Grid emission factor, kgCO2/kWh, 0..2.</param>
/// <param name="GreenShare">Share of its energy from its own green supply, 0..1; that share emits nothing.</param>
/// <param name="PriceCnyPerKwh">Electricity price, CNY/kWh, 0..100.</param>
public sealed record EnergyView(double Pue, double GridKgCo2PerKwh, double GreenShare, double PriceCnyPerKwh);

/// <summary>One data center's capacity and use now.</summary>
/// <param name="Id">Its id, for example guian.</param>
/// <param name="Name">Display name.</param>
/// <param name="HubId">Its hub.</param>
/// <param name="Status">Online (takes new work), Draining (takes none; running work finishes) or Offline.</param>
/// <param name="Location">Its coordinates.</param>
/// <param name="Capacity">Total capacity.</param>
/// <param name="Used">Capacity reserved by jobs.</param>
/// <param name="Free">Capacity minus use.</param>
/// <param name="Reservations">Jobs holding capacity there.</param>
/// <param name="Energy">Energy and price profile.</param>
/// <param name="Executed">Energy (kWh), carbon (kgCO2) and cost (CNY) of the work that finished there.</param>
/// <param name="JobsFinished">Jobs that finished there.</param>
public sealed record DataCenterView(
    string Id,
    string Name,
    string HubId,
    DataCenterStatus Status,
    LocationView Location,
    CapacityView Capacity,
    CapacityView Used,
    CapacityView Free,
    int Reservations,
    EnergyView Energy,
    FootprintView Executed,
    long JobsFinished)
{
    internal static DataCenterView Of(DataCenterSnapshot d)
    {
        var spec = d.Spec;
        var e = spec.Energy;
        return new DataCenterView(
            spec.Id,
            spec.Name,
            spec.HubId,
            d.Status,
            new LocationView(spec.Location.Lat, spec.Location.Lon),
            CapacityView.Of(spec.Capacity),
            CapacityView.Of(d.Used),
            CapacityView.Of(d.Free),
            d.Reservations,
            new EnergyView(e.Pue, e.GridKgCo2PerKwh, e.GreenShare, e.PriceCnyPerKwh),
            FootprintView.Of(d.Executed),
            d.JobsFinished);
    }
}

/// <summary>One national hub node.</summary>
/// <param name="Id">Its id, for example yangtze.</param>
/// <param name="Name">English name.</param>
/// <param name="NameZh">Chinese name.</param>
/// <param name="Zone">East (demand side) or West (resource side).</param>
/// <param name="Location">The point latency is measured from.</param>
/// <param name="DataCenterIds">Its data centers.</param>
/// <param name="QueueLength">Jobs waiting in its queue.</param>
/// <param name="Capacity">Total capacity of its data centers.</param>
/// <param name="Used">Capacity reserved there.</param>
/// <param name="Executed">Energy (kWh), carbon (kgCO2) and cost (CNY) of the work that finished there.</param>
public sealed record HubView(
    string Id,
    string Name,
    string NameZh,
    Zone Zone,
    LocationView Location,
    IReadOnlyList<string> DataCenterIds,
    int QueueLength,
    CapacityView Capacity,
    CapacityView Used,
    FootprintView Executed)
{
    internal static HubView Of(HubSnapshot h) => new(
        h.Hub.Id,
        h.Hub.Name,
        h.Hub.NameZh,
        h.Hub.Zone,
        new LocationView(h.Hub.Location.Lat, h.Hub.Location.Lon),
        [.. h.DataCenters.Select(d => d.Spec.Id)],
        h.QueueLength,
        CapacityView.Of(h.Capacity),
        CapacityView.Of(h.Used),
        FootprintView.Of(h.Executed));
}

/// <summary>The national pool's totals.</summary>
/// <param name="Hubs">Hub nodes.</param>
/// <param name="DataCenters">Data centers.</param>
/// <param name="Capacity">Total capacity.</param>
/// <param name="Used">Capacity reserved by jobs.</param>
/// <param name="Free">Capacity minus use.</param>
/// <param name="Queued">Jobs waiting in every hub's queue.</param>
/// <param name="Executed">Energy (kWh), carbon (kgCO2) and cost (CNY) of all finished work.</param>
public sealed record PoolView(int Hubs, int DataCenters, CapacityView Capacity, CapacityView Used, CapacityView Free, int Queued, FootprintView Executed)
{
    internal static PoolView Of(PoolSnapshot p) => new(
        p.Hubs.Count,
        p.Hubs.Sum(h => h.DataCenters.Count),
        CapacityView.Of(p.Capacity),
        CapacityView.Of(p.Used),
        CapacityView.Of(p.Capacity.Minus(p.Used)),
        p.Queued,
        FootprintView.Of(p.Executed));
}
