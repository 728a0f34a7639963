using ComputeGrid.Domain.Loans;

namespace ComputeGrid.Domain.Regions;

/// <summary>
/// Something a region's books decided must happen next, in the order given. The region grain carries them out one after
/// another; an intent whose outcome the book must hear (an accept, an open, a recall, a return) is reported back to it,
/// and the book answers with the intents that follow.
/// </summary>
public abstract record RegionIntent;

/// <summary>
/// Write what the books changed, in <see cref="RegionBook.TakeWritePlan"/>'s order, before any later intent: the
/// crash-safe order of the region's writes and messages (a write with nothing in it costs nothing).
/// </summary>
public sealed record Persist : RegionIntent
{
    /// <summary>The one instance.</summary>
    public static Persist Now { get; } = new();
}

/// <summary>Ask peers for capacity: one capacity request to each, and an offer window that closes the negotiation.</summary>
/// <param name="RequestId">The negotiation's id (each peer's request id is <c>{RequestId}/{peer}</c>).</param>
/// <param name="Peers">The hubs asked.</param>
/// <param name="Demand">What is asked for.</param>
/// <param name="Reason">Why, for the peers and the log.</param>
/// <param name="At">When the request was decided.</param>
public sealed record AskPeers(string RequestId, IReadOnlyList<string> Peers, BorrowDemand Demand, string Reason, DateTimeOffset At) : RegionIntent;

/// <summary>Close a negotiation now (every asked peer answered): its offer window ends early.</summary>
/// <param name="RequestId">The negotiation.</param>
public sealed record CloseWindow(string RequestId) : RegionIntent;

/// <summary>Accept an offer at its loan; the outcome goes back to <see cref="RegionLoanBook.Accepted"/>.</summary>
/// <param name="Offer">The offer's terms.</param>
public sealed record AcceptOffer(LoanTerms Offer) : RegionIntent;

/// <summary>Decline an offer at its loan (the loan releases what it held).</summary>
/// <param name="LoanId">The offer's loan.</param>
/// <param name="Reason">Why.</param>
public sealed record DeclineOffer(string LoanId, string Reason) : RegionIntent;

/// <summary>The lender's side: open the loan with the proposed terms (it holds the slices at the data centers); the outcome goes back to <see cref="RegionLoanBook.Opened"/>.</summary>
/// <param name="Terms">The proposed terms.</param>
/// <param name="At">When the request was answered.</param>
public sealed record OpenLoan(LoanTerms Terms, DateTimeOffset At) : RegionIntent;

/// <summary>Count slices now held for a loan as taken in the region's view of its data centers.</summary>
/// <param name="Slices">The slices held.</param>
public sealed record HoldInView(IReadOnlyList<LoanSlice> Slices) : RegionIntent;

/// <summary>Send the borrower the offer of an opened loan.</summary>
/// <param name="Terms">The loan's terms as opened.</param>
/// <param name="At">When the request was answered.</param>
public sealed record SendOffer(LoanTerms Terms, DateTimeOffset At) : RegionIntent;

/// <summary>Tell a peer that asked that nothing is offered.</summary>
/// <param name="Borrower">The hub that asked.</param>
/// <param name="RequestId">Its negotiation.</param>
/// <param name="Reason">Why nothing is offered.</param>
/// <param name="At">When the request was answered.</param>
public sealed record RefuseRequest(string Borrower, string RequestId, string Reason, DateTimeOffset At) : RegionIntent;

/// <summary>Recall a lent loan at its loan grain; the outcome goes back to <see cref="RegionLoanBook.Recalling"/>.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Reason">Why (the waiting job that needs the capacity).</param>
public sealed record RecallLoan(string LoanId, string Reason) : RegionIntent;

/// <summary>Give a borrowed loan back early at its loan grain; the outcome goes back to <see cref="RegionLoanBook.Returning"/>.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Reason">Why.</param>
public sealed record ReturnLoan(string LoanId, string Reason) : RegionIntent;

/// <summary>Try the queue again (capacity came back home).</summary>
public sealed record DrainQueue : RegionIntent
{
    /// <summary>The one instance.</summary>
    public static DrainQueue Now { get; } = new();
}
