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
    private readonly ConcurrentDictionary<GrainId, TaskCompletionSource> _holds = new();
    private readonly ConcurrentDictionary<GrainId, TimeSpan> _latency = new();

    /// <summary>Successful and failed writes of <paramref name="grain"/> so far.</summary>
    public int WritesOf(GrainId grain) => _writes.GetValueOrDefault(grain);

    /// <summary>The next <paramref name="count"/> writes of <paramref name="grain"/> fail.</summary>
    public void FailNextWrites(GrainId grain, int count) => _failNext[grain] = count;

    /// <summary>
    /// Writes of <paramref name="grain"/> are counted and then wait until <see cref="ReleaseWrites"/>: a test sees what
    /// arrives while a write is in flight, however fast the machine.
    /// </summary>
    public void HoldWrites(GrainId grain) =>
        _holds[grain] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the held writes of <paramref name="grain"/> go, and the later ones pass at once.</summary>
    public void ReleaseWrites(GrainId grain)
    {
        if (_holds.TryRemove(grain, out var hold))
        {
            hold.SetResult();
        }
    }

    /// <summary>Each write of <paramref name="grain"/> takes at least <paramref name="latency"/>, as a storage round trip does.</summary>
    public void SlowWrites(GrainId grain, TimeSpan latency) => _latency[grain] = latency;

    /// <summary>Writes of <paramref name="grain"/> take no added time again.</summary>
    public void FastWrites(GrainId grain) => _latency.TryRemove(grain, out _);

    internal async Task BeforeWriteAsync(GrainId grain)
    {
        OnWrite(grain);
        if (_holds.TryGetValue(grain, out var hold))
        {
            await hold.Task;
        }

        if (_latency.TryGetValue(grain, out var latency))
        {
            await Task.Delay(latency);
        }
    }

    private void OnWrite(GrainId grain)
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
        await faults.BeforeWriteAsync(grainId);
        await inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
