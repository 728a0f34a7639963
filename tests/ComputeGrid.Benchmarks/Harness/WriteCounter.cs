using System.Collections.Concurrent;
using Orleans.Storage;

namespace ComputeGrid.Benchmarks.Harness;

/// <summary>Counts grid storage writes by grain type, so a run can report how many writes a job costs and where.</summary>
public sealed class WriteCounter
{
    private readonly ConcurrentDictionary<string, long> _byGrainType = new(StringComparer.Ordinal);

    /// <summary>Writes so far by grain type (<c>job</c>, <c>region</c>, <c>datacenter</c>, <c>tenant</c>, ...).</summary>
    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_byGrainType, StringComparer.Ordinal);

    internal void Count(GrainId grain) => _byGrainType.AddOrUpdate(grain.Type.ToString()!, 1, (_, n) => n + 1);

    /// <summary>The writes between two snapshots, by grain type.</summary>
    public static IReadOnlyDictionary<string, long> Between(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        after.ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key), StringComparer.Ordinal);
}

/// <summary>Grain storage that counts each write, then passes it on.</summary>
internal sealed class CountingGrainStorage(IGrainStorage inner, WriteCounter counter) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        counter.Count(grainId);
        return inner.WriteStateAsync(stateName, grainId, grainState);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}
