namespace ComputeGrid.Replay.Mapping;

/// <summary>Weighted choices by a hash of a name that is the same in every process and .NET version, so a replay is repeatable.</summary>
internal static class StableHash
{
    /// <summary>Picks one of <paramref name="weighted"/> (positive weights, in a fixed order) in proportion to its weight, by <paramref name="key"/>.</summary>
    public static T Pick<T>(string key, IReadOnlyList<KeyValuePair<T, double>> weighted)
    {
        var point = Fraction(key) * weighted.Sum(w => w.Value);
        foreach (var (item, weight) in weighted)
        {
            point -= weight;
            if (point < 0)
            {
                return item;
            }
        }

        return weighted[^1].Key;
    }

    // FNV-1a, stable across processes and .NET versions unlike string.GetHashCode, then MurmurHash3's finaliser: names
    // that differ only in their last characters ("user17", "user18") would otherwise land close together.
    private static double Fraction(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        hash ^= hash >> 16;
        hash = unchecked(hash * 0x85ebca6bu);
        hash ^= hash >> 13;
        hash = unchecked(hash * 0xc2b2ae35u);
        hash ^= hash >> 16;
        return hash / ((double)uint.MaxValue + 1);
    }
}
