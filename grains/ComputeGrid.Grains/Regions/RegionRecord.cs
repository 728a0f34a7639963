using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Regions;

/// <summary>
/// A region's persisted state, apart from its queue and its placed jobs: those grow with the work in flight, so each is
/// a <see cref="Persistence.ShardedMap{TValue}"/> of its own (ids 0 and 2 were theirs when they lived here). The loan
/// maps are the <see cref="RegionLoanBook"/>'s, stored in the shapes of RegionSurrogates.cs.
/// </summary>
[GenerateSerializer, Alias("cg.RegionRecord")]
internal sealed class RegionRecord
{
    [Id(1)] public long NextSequence { get; set; }

    [Id(3)] public Dictionary<string, LentLoan> Lent { get; set; } = new(StringComparer.Ordinal);

    [Id(4)] public Dictionary<string, BorrowedLoan> Borrowed { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Capacity requests already answered, by request id (duplicates are ignored).</summary>
    [Id(5)] public Dictionary<string, DateTimeOffset> Answered { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Loans that settled, by id (a late message about them changes nothing).</summary>
    [Id(6)] public Dictionary<string, DateTimeOffset> Closed { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Between the grain's wire and options types and the region books' plain ones.</summary>
internal static class RegionMapping
{
    public static RegionLoanRules ToRules(this LoanOptions o) =>
        new(o.Enabled, o.OfferTtl, o.AskBackoff, o.QueuePressureThreshold, o.MaxJobsPerRequest, o.TermFactor, o.MinTerm, o.MaxTerm, o.Ceiling, o.PriceMargin, o.RecallNotice, o.OnExpiry);

    public static CapacityAsk ToAsk(this CapacityRequest r) => new(r.RequestId, r.FromHub, r.Amount, r.Term, r.MaxLatencyMs);

    public static SliceUse ToUse(this LoanSliceUse u) => new(u.LoanId, u.Amount, u.HighestPriority);
}
