using System.Collections.Immutable;

namespace ComputeGrid.Domain.Resources;

/// <summary>
/// An amount of capacity: CPU millicores, memory MiB and GPUs counted per model. Used for capacity, use and free. Every
/// sum and difference is checked: a result that does not fit throws <see cref="OverflowException"/> instead of wrapping
/// round to a negative capacity.
/// </summary>
/// <param name="CpuMillicores">CPU in millicores.</param>
/// <param name="MemoryMiB">Memory in MiB.</param>
/// <param name="Gpus">Whole GPUs per model; a model absent from the map counts as zero.</param>
public sealed record ResourceVector(long CpuMillicores, long MemoryMiB, ImmutableSortedDictionary<string, int> Gpus)
{
    /// <summary>No capacity at all.</summary>
    public static ResourceVector Zero { get; } = new(0, 0, ImmutableSortedDictionary<string, int>.Empty);

    /// <summary>Creates a vector from plain values.</summary>
    public static ResourceVector Of(long cpuMillicores, long memoryMiB, IEnumerable<KeyValuePair<string, int>>? gpus = null) =>
        new(cpuMillicores, memoryMiB, (gpus ?? []).Where(g => g.Value != 0).ToImmutableSortedDictionary(StringComparer.Ordinal));

    /// <summary>GPUs of <paramref name="model"/> in this vector.</summary>
    public int GpusOf(string model) => Gpus.TryGetValue(model, out var n) ? n : 0;

    /// <summary>All GPUs of every model (a checked sum).</summary>
    public int TotalGpus => Gpus.Values.Sum();

    /// <summary>True when <paramref name="request"/> fits inside this vector (every dimension).</summary>
    public bool Fits(ResourceRequest request) =>
        request.CpuMillicores <= CpuMillicores
        && request.MemoryMiB <= MemoryMiB
        && (request.EffectiveGpuModel is not { } model || request.Gpus <= GpusOf(model));

    /// <summary>This vector plus a request.</summary>
    public ResourceVector Plus(ResourceRequest request) => Add(request, 1);

    /// <summary>This vector minus a request; may go negative, callers check <see cref="Fits"/> first.</summary>
    public ResourceVector Minus(ResourceRequest request) => Add(request, -1);

    /// <summary>This vector minus another, dimension by dimension.</summary>
    public ResourceVector Minus(ResourceVector other)
    {
        var gpus = Gpus.ToBuilder();
        foreach (var (model, n) in other.Gpus)
        {
            gpus[model] = checked(GpusOf(model) - n);
        }

        return new ResourceVector(checked(CpuMillicores - other.CpuMillicores), checked(MemoryMiB - other.MemoryMiB), Prune(gpus));
    }

    /// <summary>This vector plus another, dimension by dimension.</summary>
    public ResourceVector Plus(ResourceVector other)
    {
        var gpus = Gpus.ToBuilder();
        foreach (var (model, n) in other.Gpus)
        {
            gpus[model] = checked(GpusOf(model) + n);
        }

        return new ResourceVector(checked(CpuMillicores + other.CpuMillicores), checked(MemoryMiB + other.MemoryMiB), Prune(gpus));
    }

    /// <summary>True when no dimension is negative.</summary>
    public bool IsNonNegative => CpuMillicores >= 0 && MemoryMiB >= 0 && Gpus.Values.All(n => n >= 0);

    /// <summary>True when every dimension of this vector is at most the same dimension of <paramref name="other"/>.</summary>
    public bool IsWithin(ResourceVector other) => other.Minus(this).IsNonNegative;

    /// <summary>
    /// The largest share this vector takes of <paramref name="total"/> over CPU, memory and GPUs (dominant resource share,
    /// 0..1 when within). Dimensions the total lacks are ignored.
    /// </summary>
    public double DominantShareOf(ResourceVector total)
    {
        var share = 0.0;
        if (total.CpuMillicores > 0)
        {
            share = Math.Max(share, (double)CpuMillicores / total.CpuMillicores);
        }

        if (total.MemoryMiB > 0)
        {
            share = Math.Max(share, (double)MemoryMiB / total.MemoryMiB);
        }

        if (total.TotalGpus > 0)
        {
            share = Math.Max(share, (double)TotalGpus / total.TotalGpus);
        }

        return share;
    }

    /// <summary>The least of this and <paramref name="other"/>, dimension by dimension (a GPU model one lacks counts as zero there, so a negative count stays).</summary>
    public ResourceVector Least(ResourceVector other) =>
        Of(
            Math.Min(CpuMillicores, other.CpuMillicores),
            Math.Min(MemoryMiB, other.MemoryMiB),
            Gpus.Keys.Union(other.Gpus.Keys).Select(m => KeyValuePair.Create(m, Math.Min(GpusOf(m), other.GpusOf(m)))));

    /// <summary>Value equality that compares the GPU maps by content (a model with 0 equals a model not listed).</summary>
    public bool Equals(ResourceVector? other) =>
        other is not null
        && CpuMillicores == other.CpuMillicores
        && MemoryMiB == other.MemoryMiB
        && Gpus.All(g => other.GpusOf(g.Key) == g.Value)
        && other.Gpus.All(g => GpusOf(g.Key) == g.Value);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(CpuMillicores, MemoryMiB, TotalGpus);

    /// <inheritdoc />
    public override string ToString() =>
        $"{CpuMillicores}m CPU, {MemoryMiB} MiB" + string.Concat(Gpus.Select(g => $", {g.Value}x {g.Key}"));

    private ResourceVector Add(ResourceRequest request, int sign)
    {
        var gpus = Gpus;
        if (request.EffectiveGpuModel is { } model)
        {
            gpus = Prune(gpus.SetItem(model, checked(GpusOf(model) + (sign * request.Gpus))).ToBuilder());
        }

        return new ResourceVector(checked(CpuMillicores + (sign * request.CpuMillicores)), checked(MemoryMiB + (sign * request.MemoryMiB)), gpus);
    }

    private static ImmutableSortedDictionary<string, int> Prune(ImmutableSortedDictionary<string, int>.Builder gpus)
    {
        foreach (var model in gpus.Where(g => g.Value == 0).Select(g => g.Key).ToList())
        {
            gpus.Remove(model);
        }

        return gpus.ToImmutable();
    }
}
