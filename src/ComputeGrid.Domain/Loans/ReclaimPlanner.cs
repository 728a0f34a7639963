using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>One lent slice as the lender sees it when deciding a recall.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Amount">Capacity the slice holds in this data center.</param>
/// <param name="HighestBorrowedPriority">The highest priority among borrowed jobs on the slice; null when none runs there.</param>
/// <param name="Since">When the loan became active (newer loans are recalled first).</param>
public sealed record LentSlice(string LoanId, ResourceVector Amount, int? HighestBorrowedPriority, DateTimeOffset Since);

/// <summary>One of the lender's own data centers that could run the waiting job.</summary>
/// <param name="DataCenterId">The data center.</param>
/// <param name="Free">Its free capacity now (not counting lent slices).</param>
/// <param name="Lent">The slices lent out of it.</param>
public sealed record ReclaimSite(string DataCenterId, ResourceVector Free, IReadOnlyList<LentSlice> Lent);

/// <summary>Which loans a lender recalls for its own waiting work (Kueue's reclaimWithinCohort, translated to hubs).</summary>
public static class ReclaimPlanner
{
    /// <summary>
    /// The loans to recall so that <paramref name="waiting"/> (priority <paramref name="priority"/>) fits in one of
    /// <paramref name="sites"/>, or none. A lender reclaims only within its nominal quota: when its own use plus the
    /// waiting job exceeds <paramref name="nominal"/>, it recalls nothing. Under <see cref="ReclaimPolicy.LowerPriority"/>
    /// only unused slices and slices whose borrowed jobs all have a lower priority qualify; under
    /// <see cref="ReclaimPolicy.Any"/> every slice does. Unused slices go first, then lower priorities, then newer loans;
    /// slices a later one made unnecessary are kept; the site needing the fewest recalls wins; a site that cannot be freed
    /// enough recalls nothing.
    /// </summary>
    public static IReadOnlyList<string> Choose(
        ReclaimPolicy policy,
        ResourceRequest waiting,
        int priority,
        ResourceVector ownUse,
        ResourceVector nominal,
        IEnumerable<ReclaimSite> sites)
    {
        if (policy == ReclaimPolicy.Never || !ownUse.Plus(waiting).IsWithin(nominal))
        {
            return [];
        }

        List<string>? best = null;
        foreach (var site in sites)
        {
            if (site.Free.Fits(waiting))
            {
                return [];
            }

            var eligible = site.Lent
                .Where(s => policy == ReclaimPolicy.Any || s.HighestBorrowedPriority is not { } p || p < priority)
                .OrderBy(s => s.HighestBorrowedPriority.HasValue ? 1 : 0)
                .ThenBy(s => s.HighestBorrowedPriority ?? int.MinValue)
                .ThenByDescending(s => s.Since)
                .ThenBy(s => s.LoanId, StringComparer.Ordinal);
            // As Kueue does with preemption victims: the fewest slices, last taken given back first when not needed.
            if (RoomMaking.Choose(site.Free, waiting, eligible, s => s.Amount) is not { } chosen)
            {
                continue;
            }

            if (best is null || chosen.Count < best.Count)
            {
                best = [.. chosen.Select(c => c.LoanId)];
            }
        }

        return best ?? [];
    }
}
