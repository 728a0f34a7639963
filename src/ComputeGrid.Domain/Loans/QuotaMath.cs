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

    /// <summary>Negative dimensions set to zero.</summary>
    public static ResourceVector ClipAtZero(ResourceVector v) => ResourceVector.Of(
        Math.Max(0, v.CpuMillicores),
        Math.Max(0, v.MemoryMiB),
        v.Gpus.Where(g => g.Value > 0));

    /// <summary>True when the vector holds nothing usable: no CPU or no memory (a job needs both).</summary>
    public static bool IsUseless(ResourceVector v) => v.CpuMillicores <= 0 || v.MemoryMiB <= 0;

    /// <summary>
    /// How much more a hub may lend: its lending limit (or its whole nominal quota) minus what it has lent, never more
    /// than its nominal quota minus what it has lent.
    /// </summary>
    public static ResourceVector LendingRoom(HubQuota quota, ResourceVector nominal, ResourceVector lent)
    {
        var limit = quota.LendingLimit is { } l ? Min(l, nominal) : nominal;
        return ClipAtZero(limit.Minus(lent));
    }

    /// <summary>How much more a hub may borrow; null when it has no borrowing limit.</summary>
    public static ResourceVector? BorrowingRoom(HubQuota quota, ResourceVector borrowed) =>
        quota.BorrowingLimit is { } limit ? ClipAtZero(limit.Minus(borrowed)) : null;

    /// <summary>What a lender can offer now: the spare capacity it has, within its lending room, within what was asked.</summary>
    public static ResourceVector Lendable(HubQuota quota, ResourceVector nominal, ResourceVector lent, ResourceVector spare, ResourceVector asked) =>
        Min(Min(LendingRoom(quota, nominal, lent), ClipAtZero(spare)), asked);

    /// <summary><paramref name="ask"/> capped by <paramref name="room"/> (no cap when room is null).</summary>
    public static ResourceVector Cap(ResourceVector ask, ResourceVector? room) => room is null ? ask : Min(ask, room);

    /// <summary>The sum of some requests as a vector.</summary>
    public static ResourceVector Sum(IEnumerable<ResourceRequest> requests) =>
        requests.Aggregate(ResourceVector.Zero, (sum, r) => sum.Plus(r));
}
