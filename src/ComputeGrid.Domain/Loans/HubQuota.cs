using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>What a lender may do when its own waiting work needs capacity it has lent out (Kueue's reclaimWithinCohort).</summary>
public enum ReclaimPolicy
{
    /// <summary>Never recall: lent capacity comes back only when the loan is returned or expires.</summary>
    Never,

    /// <summary>Recall loans that are unused or whose borrowed jobs all have a lower priority than the waiting job.</summary>
    LowerPriority,

    /// <summary>Recall any loan, whatever runs on it.</summary>
    Any,
}

/// <summary>
/// A hub's quota, per resource, in the sense of Kueue's ClusterQueue quotas. The hub's <em>nominal quota</em> is its own
/// capacity: the sum of its data centers' capacity, which it always may use itself.
/// </summary>
/// <param name="LendingLimit">
/// The most the hub lends out at any one time, summed over all its open loans (offered, active, recalling or draining).
/// Null: all of its nominal quota may be lent. Its nominal quota minus this limit is <em>protected</em>: never lent, always
/// there for the hub's own work. CPU and memory are always limited; a GPU model the vector does not name is not limited
/// (all of it may be lent, as a Kueue resource without a lendingLimit); name it with 0 to lend none.
/// </param>
/// <param name="BorrowingLimit">
/// The most the hub borrows at any one time, summed over all its open loans from every peer. Null: no limit beyond what
/// peers lend. CPU and memory are always limited; a GPU model the vector does not name is not limited; name it with 0 to
/// borrow none.
/// </param>
/// <param name="Reclaim">When the hub recalls lent capacity for its own waiting work.</param>
public sealed record HubQuota(ResourceVector? LendingLimit, ResourceVector? BorrowingLimit, ReclaimPolicy Reclaim)
{
    /// <summary>No limits, and recall from lower-priority borrowers: the default of a hub whose topology entry has no quota.</summary>
    public static HubQuota Default { get; } = new(null, null, ReclaimPolicy.LowerPriority);
}
