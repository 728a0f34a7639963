using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Topology;

/// <summary>The whole pool's static description: hubs, data centers, GPU models, power, latency and transfer prices.</summary>
public sealed class NationalTopology
{
    private readonly Dictionary<string, Hub> _hubs;
    private readonly Dictionary<string, DataCenterSpec> _dataCenters;
    private readonly Lazy<IReadOnlySet<string>> _gpuModels;
    private readonly Lazy<ResourceVector> _totalCapacity;

    /// <summary>Creates a topology; use <see cref="TopologyLoader"/> to read and validate one from JSON.</summary>
    public NationalTopology(
        IEnumerable<Hub> hubs,
        IEnumerable<DataCenterSpec> dataCenters,
        PowerModel power,
        LatencyModel latency,
        double transferCnyPerGiB,
        IEnumerable<string> assumptions)
    {
        _hubs = hubs.ToDictionary(h => h.Id, StringComparer.Ordinal);
        _dataCenters = dataCenters.ToDictionary(d => d.Id, StringComparer.Ordinal);
        Power = power;
        Latency = latency;
        TransferCnyPerGiB = transferCnyPerGiB;
        Assumptions = [.. assumptions];

        // Both walk every data center: a submission's validation and every queue pass ask for them, so they are worked
        // out once (the topology never changes; a changed pool is a new topology).
        _gpuModels = new(() => _dataCenters.Values.SelectMany(d => d.Capacity.Gpus.Keys).Concat(Power.GpuWatts.Keys).ToHashSet(StringComparer.Ordinal));
        _totalCapacity = new(() => _dataCenters.Values.Aggregate(ResourceVector.Zero, (sum, d) => sum.Plus(d.Capacity)));
    }

    /// <summary>Hubs by id.</summary>
    public IReadOnlyDictionary<string, Hub> Hubs => _hubs;

    /// <summary>Data centers by id.</summary>
    public IReadOnlyDictionary<string, DataCenterSpec> DataCenters => _dataCenters;

    /// <summary>How IT power follows from resources.</summary>
    public PowerModel Power { get; }

    /// <summary>How latency is estimated.</summary>
    public LatencyModel Latency { get; }

    /// <summary>Price of moving one GiB of input data between hubs, CNY/GiB.</summary>
    public double TransferCnyPerGiB { get; }

    /// <summary>Values the topology assumes because they are not published (stated in the file).</summary>
    public IReadOnlyList<string> Assumptions { get; }

    /// <summary>Every GPU model any data center has, or the power model knows.</summary>
    public IReadOnlySet<string> GpuModels => _gpuModels.Value;

    /// <summary>The data centers of one hub.</summary>
    public IEnumerable<DataCenterSpec> DataCentersOf(string hubId) => _dataCenters.Values.Where(d => d.HubId == hubId);

    /// <summary>One-way latency in ms from the origin hub's location to a data center.</summary>
    public double LatencyMs(string originHubId, DataCenterSpec dataCenter)
    {
        var origin = _hubs[originHubId];
        if (dataCenter.HubId != originHubId && Latency.OverrideMs(originHubId, dataCenter.HubId) is { } measured)
        {
            return measured;
        }

        return Latency.EstimateMs(origin.Location, dataCenter.Location);
    }

    /// <summary>One-way latency in ms between two hubs' locations (measured override first).</summary>
    public double HubLatencyMs(string fromHub, string toHub) =>
        fromHub == toHub ? Latency.SwitchingMs
        : Latency.OverrideMs(fromHub, toHub) ?? Latency.EstimateMs(_hubs[fromHub].Location, _hubs[toHub].Location);

    /// <summary>A copy with one data center added or replaced.</summary>
    public NationalTopology With(DataCenterSpec dataCenter) =>
        new(_hubs.Values, _dataCenters.Values.Where(d => d.Id != dataCenter.Id).Append(dataCenter), Power, Latency, TransferCnyPerGiB, Assumptions);

    /// <summary>The total capacity of all data centers.</summary>
    public ResourceVector TotalCapacity => _totalCapacity.Value;
}
