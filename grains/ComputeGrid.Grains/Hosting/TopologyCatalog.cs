using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Grains.Hosting;

/// <summary>
/// The topology file as loaded at start-up: hubs, power and latency models, and the seed data centers. Data centers
/// registered, drained or removed at run time live in the pool's directory (the PoolGrain), not here.
/// </summary>
public sealed class TopologyCatalog(NationalTopology topology)
{
    /// <summary>The topology from the file.</summary>
    public NationalTopology Seed { get; } = topology;

    /// <summary>The topology with the directory's data centers in place of the seed's.</summary>
    public NationalTopology WithDataCenters(IEnumerable<DataCenterSpec> dataCenters) =>
        new(Seed.Hubs.Values, dataCenters, Seed.Power, Seed.Latency, Seed.TransferCnyPerGiB, Seed.Assumptions);
}
