namespace ComputeGrid.Benchmarks.Floor;

/// <summary>The floor: a grain call that does nothing, so its cost is Orleans' own (client, messaging, scheduling).</summary>
public interface IPingGrain : IGrainWithIntegerKey
{
    /// <summary>Returns <paramref name="value"/> at once.</summary>
    Task<int> PingAsync(int value);
}

internal sealed class PingGrain : Grain, IPingGrain
{
    public Task<int> PingAsync(int value) => Task.FromResult(value);
}
