using ComputeGrid.Contracts.Loans;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Regions;
using ComputeGrid.Grains.Hosting;

namespace ComputeGrid.Grains.Regions;

/// <summary>A loan this region lent, as stored: <see cref="LentLoan"/>'s persisted shape.</summary>
[GenerateSerializer, Alias("cg.LentLoanRecord")]
internal sealed record LentLoanRecord(
    [property: Id(0)] string Borrower,
    [property: Id(1)] IReadOnlyList<LoanSlice> Slices,
    [property: Id(2)] LoanState State,
    [property: Id(3)] DateTimeOffset Since);

/// <summary>A loan this region borrowed, as stored: <see cref="BorrowedLoan"/>'s persisted shape.</summary>
[GenerateSerializer, Alias("cg.BorrowedLoanRecord")]
internal sealed record BorrowedLoanRecord([property: Id(0)] LoanTerms Terms, [property: Id(1)] LoanState State, [property: Id(2)] DateTimeOffset EndsAt);

/// <summary>
/// A region's persisted state, apart from its queue and its placed jobs: those grow with the work in flight, so each is
/// a <see cref="Persistence.ShardedMap{TValue}"/> of its own (ids 0 and 2 were theirs when they lived here). The loans
/// are the <see cref="RegionLoanBook"/>'s, copied into the record's shapes for each write of the record
/// (<see cref="RegionMapping.Store"/>); a surrogate would change the bytes of records already stored.
/// </summary>
[GenerateSerializer, Alias("cg.RegionRecord")]
internal sealed class RegionRecord
{
    [Id(1)] public long NextSequence { get; set; }

    [Id(3)] public Dictionary<string, LentLoanRecord> Lent { get; set; } = new(StringComparer.Ordinal);

    [Id(4)] public Dictionary<string, BorrowedLoanRecord> Borrowed { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Capacity requests already answered, by request id (duplicates are ignored).</summary>
    [Id(5)] public Dictionary<string, DateTimeOffset> Answered { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Loans that settled, by id (a late message about them changes nothing).</summary>
    [Id(6)] public Dictionary<string, DateTimeOffset> Closed { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Between the grain's stored, wire and options types and the region books' plain ones.</summary>
internal static class RegionMapping
{
    /// <summary>The loan book over a restored record (its answered and closed memories are kept, not copied).</summary>
    public static RegionLoanBook LoadLoans(this RegionRecord record, string hubId, HubQuota quota, LoanOptions options, RegionBook jobs) =>
        new(
            hubId,
            quota,
            options.ToRules(),
            jobs,
            record.Lent.ToDictionary(l => l.Key, l => new LentLoan(l.Value.Borrower, l.Value.Slices, l.Value.State, l.Value.Since), StringComparer.Ordinal),
            record.Borrowed.ToDictionary(b => b.Key, b => new BorrowedLoan(b.Value.Terms, b.Value.State, b.Value.EndsAt), StringComparer.Ordinal),
            record.Answered,
            record.Closed);

    /// <summary>Copies the loan book's loans into the record, before the record is written.</summary>
    public static void Store(this RegionRecord record, RegionLoanBook loans)
    {
        record.Lent = loans.Lent.ToDictionary(l => l.Key, l => new LentLoanRecord(l.Value.Borrower, l.Value.Slices, l.Value.State, l.Value.Since), StringComparer.Ordinal);
        record.Borrowed = loans.Borrowed.ToDictionary(b => b.Key, b => new BorrowedLoanRecord(b.Value.Terms, b.Value.State, b.Value.EndsAt), StringComparer.Ordinal);
    }

    public static RegionLoanRules ToRules(this LoanOptions o) =>
        new(o.Enabled, o.OfferTtl, o.AskBackoff, o.QueuePressureThreshold, o.MaxJobsPerRequest, o.TermFactor, o.MinTerm, o.MaxTerm, o.Ceiling, o.PriceMargin, o.RecallNotice, o.OnExpiry, o.ArrivalWindow, o.ForecastHorizon);

    public static CapacityAsk ToAsk(this CapacityRequest r) => new(r.RequestId, r.FromHub, r.Amount, r.Term, r.MaxLatencyMs);

    public static SliceUse ToUse(this LoanSliceUse u) => new(u.LoanId, u.Amount, u.HighestPriority);
}
