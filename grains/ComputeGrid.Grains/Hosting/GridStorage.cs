namespace ComputeGrid.Grains.Hosting;

/// <summary>Names of the storage providers the grains use.</summary>
public static class GridStorage
{
    /// <summary>Grain state of jobs, data centers, regions, tenants and the pool.</summary>
    public const string Name = "grid";

    /// <summary>Stream pub-sub state (the name Orleans' default pub-sub requires).</summary>
    public const string PubSub = "PubSubStore";
}
