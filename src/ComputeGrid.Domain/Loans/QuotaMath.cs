using System.Collections.Immutable;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>The quota arithmetic of lending and borrowing, dimension by dimension (CPU, memory, GPUs per model).</summary>
public static class QuotaMath
{
    /// <summary>The smaller of two vectors in every dimension; a GPU model missing from either counts as zero.</summary>
    public static ResourceVector Min(ResourceVector a, ResourceVector b) => ResourceVector.Of(
        Math.Min(a.CpuMillicores, b.CpuMillicores),
        Math.Min(a.MemoryMiB, b.MemoryMiB),
        a.Gpus.Where(g => b.Gpus.ContainsKey(g.Key)).Select(g => KeyValuePair.Create(g.Key, Math.Min(g.Value, b.GpusOf(g.Key)))));

    /// <summary>The larger of two vectors in every dimension; a GPU model missing from one counts as zero there.</summary>
    public static ResourceVector Max(ResourceVector a, ResourceVector b) => ResourceVector.Of(
        Math.Max(a.CpuMillicores, b.CpuMillicores),
        Math.Max(a.MemoryMiB, b.MemoryMiB),
        a.Gpus.Keys.Union(b.Gpus.Keys).Select(m => KeyValuePair.Create(m, Math.Max(a.GpusOf(m), b.GpusOf(m)))));

    /// <summary>Negative dimensions set to zero.</summary>
    public static ResourceVector ClipAtZero(ResourceVector v) => ResourceVector.Of(
        Math.Max(0, v.CpuMillicores),
        Math.Max(0, v.MemoryMiB),
        v.Gpus.Where(g => g.Value > 0));

    /// <summary>True when the vector holds nothing usable: no CPU or no memory (a job needs both).</summary>
    public static bool IsUseless(ResourceVector v) => v.CpuMillicores <= 0 || v.MemoryMiB <= 0;

    /// <summary>
    /// <paramref name="v"/> within <paramref name="limit"/>: CPU and memory capped, and each GPU model the limit names capped;
    /// a GPU model the limit does not name is not limited by it (as a Kueue resource without a limit).
    /// </summary>
    public static ResourceVector CapByLimit(ResourceVector v, ResourceVector limit) => ResourceVector.Of(
        Math.Min(v.CpuMillicores, limit.CpuMillicores),
        Math.Min(v.MemoryMiB, limit.MemoryMiB),
        v.Gpus.Select(g => KeyValuePair.Create(g.Key, limit.Gpus.TryGetValue(g.Key, out var cap) ? Math.Min(g.Value, cap) : g.Value)));

    /// <summary>True when <paramref name="v"/> is within <paramref name="limit"/> in CPU, memory and every GPU model the limit names.</summary>
    public static bool WithinLimit(ResourceVector v, ResourceVector limit) =>
        v.CpuMillicores <= limit.CpuMillicores && v.MemoryMiB <= limit.MemoryMiB && limit.Gpus.All(g => v.GpusOf(g.Key) <= g.Value);

    /// <summary>
    /// What is left of a limit's room after <paramref name="used"/>, never below zero: only the dimensions the room names
    /// shrink, and a GPU model used up stays named (with zero room) so that it stays limited.
    /// </summary>
    public static ResourceVector Consume(ResourceVector room, ResourceVector used) => new(
        Math.Max(0, room.CpuMillicores - used.CpuMillicores),
        Math.Max(0, room.MemoryMiB - used.MemoryMiB),
        room.Gpus.ToImmutableSortedDictionary(g => g.Key, g => Math.Max(0, g.Value - used.GpusOf(g.Key)), StringComparer.Ordinal));

    /// <summary>
    /// How much more a hub may lend: its nominal quota within its lending limit (a GPU model the limit does not name: all of
    /// it), minus what it has lent.
    /// </summary>
    public static ResourceVector LendingRoom(HubQuota quota, ResourceVector nominal, ResourceVector lent)
    {
        var limit = quota.LendingLimit is { } l ? CapByLimit(nominal, l) : nominal;
        return ClipAtZero(limit.Minus(lent));
    }

    /// <summary>
    /// How much more a hub may borrow: its borrowing limit minus what it has borrowed, in the dimensions the limit names (a GPU
    /// model it does not name stays unlimited); null when it has no borrowing limit.
    /// </summary>
    public static ResourceVector? BorrowingRoom(HubQuota quota, ResourceVector borrowed) =>
        quota.BorrowingLimit is { } limit ? Consume(limit, borrowed) : null;

    /// <summary>What a lender can offer now: the spare capacity it has, within its lending room, within what was asked.</summary>
    public static ResourceVector Lendable(HubQuota quota, ResourceVector nominal, ResourceVector lent, ResourceVector spare, ResourceVector asked) =>
        Min(Min(LendingRoom(quota, nominal, lent), ClipAtZero(spare)), asked);

    /// <summary><paramref name="ask"/> within <paramref name="room"/> (no cap when room is null; GPU models the room does not name stay as asked).</summary>
    public static ResourceVector Cap(ResourceVector ask, ResourceVector? room) => room is null ? ask : CapByLimit(ask, room);

    /// <summary>The sum of some requests as a vector.</summary>
    public static ResourceVector Sum(IEnumerable<ResourceRequest> requests) =>
        requests.Aggregate(ResourceVector.Zero, (sum, r) => sum.Plus(r));
}
