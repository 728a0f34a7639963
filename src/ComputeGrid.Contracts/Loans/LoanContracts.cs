using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Contracts.Loans;

/// <summary>One step in a loan's history.</summary>
/// <param name="Sequence">1, 2, 3, ... in order.</param>
/// <param name="State">The state entered.</param>
/// <param name="At">When (federation clock).</param>
/// <param name="Detail">Why, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.LoanEvent")]
public sealed record LoanEvent([property: Id(0)] int Sequence, [property: Id(1)] LoanState State, [property: Id(2)] DateTimeOffset At, [property: Id(3)] string Detail);

/// <summary>A loan as its grain, the single source of truth, holds it.</summary>
/// <param name="Terms">The terms as offered (amount per data center, price, term, notice).</param>
/// <param name="State">Its state now.</param>
/// <param name="OfferedAt">When it was offered.</param>
/// <param name="AcceptedAt">When the borrower accepted it; null before.</param>
/// <param name="EndsAt">When its term ends; null before acceptance.</param>
/// <param name="RecallEffectiveAt">When a recall's notice ends; null unless recalled.</param>
/// <param name="Usage">Settled use so far.</param>
/// <param name="History">Every state it entered, in order.</param>
/// <param name="Version">Grows with every change, usage included.</param>
[GenerateSerializer, Immutable, Alias("cg.LoanSnapshot")]
public sealed record LoanSnapshot(
    [property: Id(0)] LoanTerms Terms,
    [property: Id(1)] LoanState State,
    [property: Id(2)] DateTimeOffset OfferedAt,
    [property: Id(3)] DateTimeOffset? AcceptedAt,
    [property: Id(4)] DateTimeOffset? EndsAt,
    [property: Id(5)] DateTimeOffset? RecallEffectiveAt,
    [property: Id(6)] LoanUsage Usage,
    [property: Id(7)] IReadOnlyList<LoanEvent> History,
    [property: Id(8)] long Version)
{
    /// <summary>The loan's id.</summary>
    public string LoanId => Terms.LoanId;

    /// <summary>A summary for listings.</summary>
    public LoanSummary Summarize() =>
        new(Terms.LoanId, Terms.Lender, Terms.Borrower, Terms.Amount, State, Terms.Price, Usage, OfferedAt, AcceptedAt, Version);
}

/// <summary>A loan in listings and balances.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="Amount">Capacity lent.</param>
/// <param name="State">Its state.</param>
/// <param name="Price">Its price.</param>
/// <param name="Usage">Settled use so far.</param>
/// <param name="OfferedAt">When offered.</param>
/// <param name="AcceptedAt">When accepted; null if never.</param>
/// <param name="Version">Grows with every change of the loan, usage included; the book keeps the highest.</param>
[GenerateSerializer, Immutable, Alias("cg.LoanSummary")]
public sealed record LoanSummary(
    [property: Id(0)] string LoanId,
    [property: Id(1)] string Lender,
    [property: Id(2)] string Borrower,
    [property: Id(3)] ResourceVector Amount,
    [property: Id(4)] LoanState State,
    [property: Id(5)] LoanPrice Price,
    [property: Id(6)] LoanUsage Usage,
    [property: Id(7)] DateTimeOffset OfferedAt,
    [property: Id(8)] DateTimeOffset? AcceptedAt,
    [property: Id(9)] long Version);

/// <summary>A page of loans, newest first.</summary>
[GenerateSerializer, Immutable, Alias("cg.LoanPage")]
public sealed record LoanPage([property: Id(0)] IReadOnlyList<LoanSummary> Loans, [property: Id(1)] string? NextCursor);

/// <summary>A hub's position in the federation's loans.</summary>
/// <param name="HubId">The hub.</param>
/// <param name="LentNow">Capacity lent out in open loans now.</param>
/// <param name="BorrowedNow">Capacity borrowed in open loans now.</param>
/// <param name="LoansLent">Loans it has made (accepted ones, any state).</param>
/// <param name="LoansBorrowed">Loans it has taken (accepted ones, any state).</param>
/// <param name="LentUsage">What borrowers used of its capacity.</param>
/// <param name="BorrowedUsage">What it used of others' capacity, with what that saved against running at home.</param>
/// <param name="EarnedCny">Charges owed to it.</param>
/// <param name="PaidCny">Charges it owes.</param>
[GenerateSerializer, Immutable, Alias("cg.HubBalance")]
public sealed record HubBalance(
    [property: Id(0)] string HubId,
    [property: Id(1)] ResourceVector LentNow,
    [property: Id(2)] ResourceVector BorrowedNow,
    [property: Id(3)] int LoansLent,
    [property: Id(4)] int LoansBorrowed,
    [property: Id(5)] LoanUsage LentUsage,
    [property: Id(6)] LoanUsage BorrowedUsage,
    [property: Id(7)] double EarnedCny,
    [property: Id(8)] double PaidCny)
{
    /// <summary>Earned minus paid, CNY.</summary>
    public double BalanceCny => EarnedCny - PaidCny;
}

/// <summary>The borrower's attempt to accept an offer.</summary>
public enum AcceptOutcome
{
    /// <summary>Committed now: the loan is Active.</summary>
    Accepted,

    /// <summary>This borrower had already accepted it (idempotent retry).</summary>
    AlreadyAccepted,

    /// <summary>The offer lapsed or was declined; nothing was lent.</summary>
    Lapsed,

    /// <summary>No such offer, or it was made to another hub.</summary>
    NotYours,
}

/// <summary>The answer to an accept.</summary>
[GenerateSerializer, Immutable, Alias("cg.AcceptResult")]
public sealed record AcceptResult([property: Id(0)] AcceptOutcome Outcome, [property: Id(1)] LoanSnapshot? Loan)
{
    /// <summary>True when the loan is the borrower's to use.</summary>
    public bool Holds => Outcome is AcceptOutcome.Accepted or AcceptOutcome.AlreadyAccepted;
}

/// <summary>A loan's slice as the lender's data center holds it.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="Amount">Capacity held for the loan.</param>
/// <param name="Used">Borrowed jobs' use of it.</param>
/// <param name="Open">True while it takes new borrowed jobs.</param>
/// <param name="Jobs">Borrowed jobs on it.</param>
/// <param name="HighestPriority">The highest priority among them; null when none.</param>
[GenerateSerializer, Immutable, Alias("cg.LoanSliceUse")]
public sealed record LoanSliceUse(
    [property: Id(0)] string LoanId,
    [property: Id(1)] string Borrower,
    [property: Id(2)] ResourceVector Amount,
    [property: Id(3)] ResourceVector Used,
    [property: Id(4)] bool Open,
    [property: Id(5)] int Jobs,
    [property: Id(6)] int? HighestPriority);

/// <summary>A hub's own view of its loans (lent and borrowed), for operators and tests.</summary>
/// <param name="HubId">The hub.</param>
/// <param name="Nominal">Its nominal quota: its data centers' capacity.</param>
/// <param name="Lent">Open loans it lent, by id, with their amounts.</param>
/// <param name="Borrowed">Open loans it borrowed, by id, with their amounts.</param>
/// <param name="LendingRoom">How much more it may lend under its lending limit.</param>
/// <param name="BorrowingRoom">How much more it may borrow; null: no limit.</param>
[GenerateSerializer, Immutable, Alias("cg.RegionLoans")]
public sealed record RegionLoans(
    [property: Id(0)] string HubId,
    [property: Id(1)] ResourceVector Nominal,
    [property: Id(2)] IReadOnlyDictionary<string, ResourceVector> Lent,
    [property: Id(3)] IReadOnlyDictionary<string, ResourceVector> Borrowed,
    [property: Id(4)] ResourceVector LendingRoom,
    [property: Id(5)] ResourceVector? BorrowingRoom);
