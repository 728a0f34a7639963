using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Gateway.DataCenters;

/// <summary>A data center to register in an existing hub.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class RegisterDataCenterBody
{
    /// <summary>Its id: 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit; not a hub id.</summary>
    /// <example>horinger-2</example>
    [StringLength(DataCenterRules.MaxIdLength, MinimumLength = 1)]
    [RegularExpression("^[a-z0-9][a-z0-9-]*$")]
    public required string Id { get; init; }

    /// <summary>Display name, 1-200 printable characters.</summary>
    /// <example>Horinger phase 2</example>
    [StringLength(DataCenterRules.MaxNameLength, MinimumLength = 1)]
    public required string Name { get; init; }

    /// <summary>The hub it belongs to (a hub id from <c>GET /v1/hubs</c>).</summary>
    /// <example>inner-mongolia</example>
    [StringLength(DataCenterRules.MaxIdLength, MinimumLength = 1)]
    public required string HubId { get; init; }

    /// <summary>Its coordinates.</summary>
    public required LocationBody Location { get; init; }

    /// <summary>Its total capacity.</summary>
    public required CapacityBody Capacity { get; init; }

    /// <summary>Its energy and price profile.</summary>
    public required EnergyBody Energy { get; init; }

    internal DataCenterSpec ToSpec() => new(
        Id,
        Name,
        HubId,
        new GeoPoint(Location.Lat, Location.Lon),
        ResourceVector.Of(Capacity.CpuMillicores, Capacity.MemoryMiB, Capacity.Gpus),
        new EnergyProfile(Energy.Pue, Energy.GridKgCo2PerKwh, Energy.GreenShare, Energy.PriceCnyPerKwh));
}

/// <summary>A point on Earth (WGS 84).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class LocationBody
{
    /// <summary>Latitude, degrees, -90..90.</summary>
    /// <example>40.38</example>
    [Range(-90, 90)]
    public required double Lat { get; init; }

    /// <summary>Longitude, degrees, -180..180.</summary>
    /// <example>111.82</example>
    [Range(-180, 180)]
    public required double Lon { get; init; }
}

/// <summary>A data center's total capacity.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CapacityBody
{
    /// <summary>CPU in millicores (1000 = one core), 0..100,000,000,000 (100 million cores).</summary>
    /// <example>1000000</example>
    [Range(0d, DataCenterRules.MaxCpuMillicores)]
    public required long CpuMillicores { get; init; }

    /// <summary>Memory in MiB, 0..1,099,511,627,776 (1 EiB).</summary>
    /// <example>4096000</example>
    [Range(0d, DataCenterRules.MaxMemoryMiB)]
    public required long MemoryMiB { get; init; }

    /// <summary>
    /// Whole GPUs by model, each 0..1,000,000; at most 64 models, each named by 1-32 letters, digits, '.', '_' or '-'
    /// (starting with a letter or digit); default none.
    /// </summary>
    /// <example>{"A800": 64}</example>
    public IReadOnlyDictionary<string, int> Gpus { get; init; } = new Dictionary<string, int>();
}

/// <summary>A data center's energy and price profile.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class EnergyBody
{
    /// <summary>Power usage effectiveness (facility energy / IT energy), 1.0..3.0.</summary>
    /// <example>1.2</example>
    [Range(1.0, 3.0)]
    public required double Pue { get; init; }

    /// <summary>Grid emission factor, kgCO2/kWh, 0..2.</summary>
    /// <example>0.6849</example>
    [Range(0.0, 2.0)]
    public required double GridKgCo2PerKwh { get; init; }

    /// <summary>Share of its energy from its own green supply, 0..1.</summary>
    /// <example>0.8</example>
    [Range(0.0, 1.0)]
    public required double GreenShare { get; init; }

    /// <summary>Electricity price, CNY/kWh, 0..100.</summary>
    /// <example>0.38</example>
    [Range(0.0, 100.0)]
    public required double PriceCnyPerKwh { get; init; }
}
