using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Loans;

/// <summary>One step of a <see cref="LoanBook"/>'s plan, carried out by the loan grain in order.</summary>
public abstract record LoanIntent;

/// <summary>Write the loan's state; nothing after it in the plan happens before it is durable.</summary>
public sealed record WriteLoan : LoanIntent
{
    /// <summary>The one instance.</summary>
    public static WriteLoan Instance { get; } = new();
}

/// <summary>Tell the federation's book of loans the loan's latest summary (one way; it keeps the highest version).</summary>
public sealed record AnnounceLoan : LoanIntent
{
    /// <summary>The one instance.</summary>
    public static AnnounceLoan Instance { get; } = new();
}

/// <summary>Ask a lender data center to hold a slice for the borrower; its answer (what it held) goes to <see cref="LoanBook.Held"/>.</summary>
/// <param name="Slice">The slice as proposed.</param>
/// <param name="Borrower">The borrowing hub.</param>
public sealed record HoldSlice(LoanSlice Slice, string Borrower) : LoanIntent;

/// <summary>Open the held slice at a data center to the borrower's placements.</summary>
/// <param name="DataCenterId">The lender's data center.</param>
public sealed record OpenSlice(string DataCenterId) : LoanIntent;

/// <summary>Close the slice at a data center to new placements; whether it emptied goes to <see cref="LoanBook.Closed"/>.</summary>
/// <param name="DataCenterId">The lender's data center.</param>
/// <param name="Preempt">True when borrowed jobs on it are preempted.</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record CloseSlice(string DataCenterId, bool Preempt, string Reason) : LoanIntent;

/// <summary>A protocol message to a hub's inbox (best effort: a hub that misses it reconciles from the loan).</summary>
/// <param name="ToHub">The receiving hub.</param>
/// <param name="MessageId">Unique per loan and step, so a repeat is recognised.</param>
/// <param name="FromHub">The hub the message speaks for.</param>
/// <param name="At">When (federation clock).</param>
public abstract record TellHub(string ToHub, string MessageId, string FromHub, DateTimeOffset At) : LoanIntent;

/// <summary>The borrower accepted: the lender's loan is Active.</summary>
public sealed record TellAccepted(string ToHub, string MessageId, string FromHub, DateTimeOffset At) : TellHub(ToHub, MessageId, FromHub, At);

/// <summary>The offer was declined or lapsed: its held capacity is free again.</summary>
/// <param name="ToHub">The lender.</param>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The borrower.</param>
/// <param name="At">When.</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record TellDeclined(string ToHub, string MessageId, string FromHub, DateTimeOffset At, string Reason) : TellHub(ToHub, MessageId, FromHub, At);

/// <summary>The lender recalled the loan: borrowed jobs still on it at <paramref name="EffectiveAt"/> are preempted.</summary>
/// <param name="ToHub">The borrower.</param>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The lender.</param>
/// <param name="At">When.</param>
/// <param name="EffectiveAt">When the notice ends.</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record TellRecall(string ToHub, string MessageId, string FromHub, DateTimeOffset At, DateTimeOffset EffectiveAt, string Reason) : TellHub(ToHub, MessageId, FromHub, At);

/// <summary>The borrower gave the loan back early.</summary>
/// <param name="ToHub">The lender.</param>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The borrower.</param>
/// <param name="At">When.</param>
/// <param name="Reason">Why, in a sentence.</param>
public sealed record TellReturned(string ToHub, string MessageId, string FromHub, DateTimeOffset At, string Reason) : TellHub(ToHub, MessageId, FromHub, At);

/// <summary>The loan reached its final state and its capacity is back with the lender; the usage is final.</summary>
/// <param name="ToHub">The lender or the borrower (both are told).</param>
/// <param name="MessageId">Message id (the same for both).</param>
/// <param name="FromHub">The lender.</param>
/// <param name="At">When.</param>
/// <param name="Final">Returned, Expired, Recalled or Declined.</param>
/// <param name="Usage">What was used, and the charge.</param>
public sealed record TellSettled(string ToHub, string MessageId, string FromHub, DateTimeOffset At, LoanState Final, LoanUsage Usage) : TellHub(ToHub, MessageId, FromHub, At);

/// <summary>What the data centers answered to a plan's <see cref="HoldSlice"/> and <see cref="CloseSlice"/> steps.</summary>
public sealed class LoanReplies
{
    /// <summary>Each slice asked for, with what its data center held.</summary>
    public List<(LoanSlice Slice, ResourceVector Amount)> Held { get; } = [];

    /// <summary>The data centers whose slice closed empty.</summary>
    public List<string> Emptied { get; } = [];
}
