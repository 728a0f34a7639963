using System.Collections.Concurrent;
using Orleans.Storage;

namespace ComputeGrid.Grains.Tests;

/// <summary>
/// The grid storage of the test cluster as the grains see it: memory storage that counts every write by grain and can be
/// told to fail the next writes of one grain, so tests observe group commit and what a failed write does.
/// </summary>
public sealed class StorageFaults
{
    private readonly ConcurrentDictionary<GrainId, int> _writes = new();
    private readonly ConcurrentDictionary<GrainId, int> _failNext = new();

    /// <summary>Successful and failed writes of <paramref name="grain"/> so far.</summary>
    public int WritesOf(GrainId grain) => _writes.GetValueOrDefault(grain);

    /// <summary>The next <paramref name="count"/> writes of <paramref name="grain"/> fail.</summary>
    public void FailNextWrites(GrainId grain, int count) => _failNext[grain] = count;

    internal void OnWrite(GrainId grain)
    {
        _writes.AddOrUpdate(grain, 1, (_, n) => n + 1);
        while (_failNext.TryGetValue(grain, out var left) && left > 0)
        {
            if (_failNext.TryUpdate(grain, left - 1, left))
            {
                throw new InvalidOperationException($"injected write failure for {grain}");
            }
        }
    }
}

/// <summary>Memory grain storage that reports each write to <see cref="StorageFaults"/> first.</summary>
internal sealed class FaultingGrainStorage(IGrainStorage inner, StorageFaults faults) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Yield first, as a real storage round trip would: callers that arrive meanwhile see a write in flight.
        await Task.Yield();
        faults.OnWrite(grainId);
        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
