using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Tests;

/// <summary>The shipped national topology (copied next to the test assembly) and a valid job to vary.</summary>
internal static class Shipped
{
    private static readonly Lazy<NationalTopology> LazyTopology = new(() => TopologyLoader.Load(Path));

    /// <summary>Where the build copies silo/ComputeGrid.Silo/Topology/national.json.</summary>
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "national.json");

    /// <summary>The shipped topology, loaded once.</summary>
    public static NationalTopology Topology => LazyTopology.Value;

    /// <summary>A valid batch job from the Yangtze River Delta: 4 cores, 16 GiB, 2 hours, no GPU, policy Greenest.</summary>
    public static JobSpec ValidJob { get; } = new(
        Tenant: "acme",
        OriginHub: "yangtze",
        Resources: new ResourceRequest(4_000, 16 * 1024),
        RunTime: TimeSpan.FromHours(2),
        LatencyClass: LatencyClass.Batch,
        AllowedHubs: [],
        Priority: 500,
        Policy: PlacementPolicy.Greenest);
}
