using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ComputeGrid.Grains.Persistence;

/// <summary>One shard of a <see cref="ShardedMap{TValue}"/> as stored.</summary>
[GenerateSerializer, Alias("cg.MapShard`1")]
internal sealed class MapShard<TValue>
{
    [Id(0)] public Dictionary<string, TValue> Items { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A grain's map keyed by id (a region's queue and placed jobs, a data center's reservations), persisted as a fixed number of shards, each its
/// own grain state, so that a change writes only the shards it touched rather than the whole map: the cost of a write
/// no longer grows with the number of jobs held. The shards are created with the grain (read on activation like any
/// <c>[PersistentState]</c>); a key's shard follows from a stable hash of the key, the same in every process.
/// </summary>
internal sealed class ShardedMap<TValue> : IDictionary<string, TValue>, IReadOnlyDictionary<string, TValue>
{
    private readonly IPersistentState<MapShard<TValue>>[] _shards;
    private readonly bool[] _dirty;

    /// <summary>Creates the map's shards for <paramref name="grain"/>: states <c>{name}-0</c> .. <c>{name}-{shards-1}</c> in <paramref name="storage"/>.</summary>
    public ShardedMap(IGrainContext grain, IPersistentStateFactory states, string name, string storage, int shards)
    {
        _shards = [.. Enumerable.Range(0, shards).Select(i => states.Create<MapShard<TValue>>(grain, new ShardConfiguration($"{name}-{i}", storage)))];
        _dirty = new bool[shards];
    }

    public int Count => _shards.Sum(s => s.State.Items.Count);

    public bool IsReadOnly => false;

    public ICollection<string> Keys => [.. _shards.SelectMany(s => s.State.Items.Keys)];

    public ICollection<TValue> Values => [.. _shards.SelectMany(s => s.State.Items.Values)];

    IEnumerable<string> IReadOnlyDictionary<string, TValue>.Keys => Keys;

    IEnumerable<TValue> IReadOnlyDictionary<string, TValue>.Values => Values;

    public TValue this[string key]
    {
        get => Shard(key).Items[key];
        set
        {
            Shard(key, out var index).Items[key] = value;
            _dirty[index] = true;
        }
    }

    /// <summary>
    /// Writes the shards changed since the last write. A shard is marked clean before its write starts, so a change made
    /// while the write is in flight (a reentrant grain's next batch) marks it again and is written by the next call; a
    /// failed write marks it again too.
    /// </summary>
    public async Task WriteChangesAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _shards.Length; i++)
        {
            if (_dirty[i])
            {
                _dirty[i] = false;
                try
                {
                    await _shards[i].WriteStateAsync(cancellationToken);
                }
                catch
                {
                    _dirty[i] = true;
                    throw;
                }
            }
        }
    }

    /// <summary>Whether any shard changed since its last write.</summary>
    public bool HasChanges => Array.IndexOf(_dirty, true) >= 0;

    public void Add(string key, TValue value)
    {
        Shard(key, out var index).Items.Add(key, value);
        _dirty[index] = true;
    }

    public bool ContainsKey(string key) => Shard(key).Items.ContainsKey(key);

    public bool Remove(string key) => Remove(key, out _);

    public bool Remove(string key, [MaybeNullWhen(false)] out TValue value)
    {
        if (!Shard(key, out var index).Items.Remove(key, out value))
        {
            return false;
        }

        _dirty[index] = true;
        return true;
    }

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TValue value) => Shard(key).Items.TryGetValue(key, out value);

    public void Add(KeyValuePair<string, TValue> item) => Add(item.Key, item.Value);

    public void Clear()
    {
        for (var i = 0; i < _shards.Length; i++)
        {
            _dirty[i] |= _shards[i].State.Items.Count > 0;
            _shards[i].State.Items.Clear();
        }
    }

    public bool Contains(KeyValuePair<string, TValue> item) => ((ICollection<KeyValuePair<string, TValue>>)Shard(item.Key).Items).Contains(item);

    public void CopyTo(KeyValuePair<string, TValue>[] array, int arrayIndex)
    {
        foreach (var item in this)
        {
            array[arrayIndex++] = item;
        }
    }

    public bool Remove(KeyValuePair<string, TValue> item) => Contains(item) && Remove(item.Key);

    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator() => _shards.SelectMany(s => s.State.Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private MapShard<TValue> Shard(string key) => Shard(key, out _);

    private MapShard<TValue> Shard(string key, out int index)
    {
        index = ShardOf(key, _shards.Length);
        return _shards[index].State;
    }

    /// <summary>The shard of <paramref name="key"/> among <paramref name="shards"/>: the same in every process and after every restart.</summary>
    internal static int ShardOf(string key, int shards)
    {
        // FNV-1a: string.GetHashCode is randomised per process, and a key must find its shard again after a restart.
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)shards);
    }

    private sealed record ShardConfiguration(string StateName, string StorageName) : IPersistentStateConfiguration;
}
