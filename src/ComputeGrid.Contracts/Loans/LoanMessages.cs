using ComputeGrid.Domain.Jobs;
using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Contracts.Loans;

// The loan protocol's messages. They travel on the receiving region's inbox stream (namespace
// GridStreams.RegionInboxNamespace, key = hub id). Streams are at-least-once in cluster mode, so every message carries an
// id and every receiver is idempotent: a duplicate or a message overtaken by a later one changes nothing.

/// <summary>A message of the loan protocol.</summary>
/// <param name="MessageId">Unique per message; duplicates carry the same id.</param>
/// <param name="FromHub">The sending hub.</param>
/// <param name="SentAt">When it was sent (federation clock).</param>
[GenerateSerializer, Immutable, Alias("cg.LoanMessage")]
public abstract record LoanMessage(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string FromHub,
    [property: Id(2)] DateTimeOffset SentAt);

/// <summary>A borrower asks a peer for capacity.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The borrower.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="RequestId">The request; offers answer it by this id.</param>
/// <param name="Amount">What it wants: CPU, memory and GPUs per model.</param>
/// <param name="Term">For how long, once accepted.</param>
/// <param name="MaxLatencyMs">The strictest latency bound of the waiting jobs, from the borrower's hub, ms; null: any.</param>
/// <param name="Ceiling">The most it will pay per core-hour and GPU-hour.</param>
/// <param name="Policy">How it will choose between offers.</param>
/// <param name="Reason">Why it asks (policy or queue pressure), in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.CapacityRequest")]
public sealed record CapacityRequest(
    string MessageId,
    string FromHub,
    DateTimeOffset SentAt,
    [property: Id(0)] string RequestId,
    [property: Id(1)] ResourceVector Amount,
    [property: Id(2)] TimeSpan Term,
    [property: Id(3)] double? MaxLatencyMs,
    [property: Id(4)] LoanPrice Ceiling,
    [property: Id(5)] PlacementPolicy Policy,
    [property: Id(6)] string Reason) : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>A lender offers capacity, held for the borrower until <see cref="LoanTerms.OfferExpiresAt"/>.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The lender.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="RequestId">The request it answers.</param>
/// <param name="Terms">Amount per data center, price, carbon and latency of that capacity, term and offer expiry.</param>
[GenerateSerializer, Immutable, Alias("cg.CapacityOffer")]
public sealed record CapacityOffer(
    string MessageId,
    string FromHub,
    DateTimeOffset SentAt,
    [property: Id(0)] string RequestId,
    [property: Id(1)] LoanTerms Terms) : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>A peer has nothing to offer; lets the borrower close its offer window early.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The peer.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="RequestId">The request it answers.</param>
/// <param name="Reason">Why, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.CapacityRefused")]
public sealed record CapacityRefused(
    string MessageId,
    string FromHub,
    DateTimeOffset SentAt,
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Reason) : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>The borrower accepted an offer; the loan is Active (sent by the loan once committed).</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The borrower.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="LoanId">The loan.</param>
[GenerateSerializer, Immutable, Alias("cg.OfferAccepted")]
public sealed record OfferAccepted(string MessageId, string FromHub, DateTimeOffset SentAt, [property: Id(0)] string LoanId)
    : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>The borrower declined an offer, or it lapsed; the held capacity is free again.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The borrower.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="LoanId">The loan.</param>
/// <param name="Reason">Why, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.OfferDeclined")]
public sealed record OfferDeclined(string MessageId, string FromHub, DateTimeOffset SentAt, [property: Id(0)] string LoanId, [property: Id(1)] string Reason)
    : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>The lender recalls a loan: no new placements; borrowed jobs still on it at <paramref name="EffectiveAt"/> are preempted.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The lender.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="LoanId">The loan.</param>
/// <param name="EffectiveAt">When the notice ends.</param>
/// <param name="Reason">Why, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.RecallNotice")]
public sealed record RecallNotice(
    string MessageId,
    string FromHub,
    DateTimeOffset SentAt,
    [property: Id(0)] string LoanId,
    [property: Id(1)] DateTimeOffset EffectiveAt,
    [property: Id(2)] string Reason) : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>The borrower gives a loan back before its term ends.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The borrower.</param>
/// <param name="SentAt">When sent.</param>
/// <param name="LoanId">The loan.</param>
/// <param name="Reason">Why, in a sentence.</param>
[GenerateSerializer, Immutable, Alias("cg.LoanReturned")]
public sealed record LoanReturned(string MessageId, string FromHub, DateTimeOffset SentAt, [property: Id(0)] string LoanId, [property: Id(1)] string Reason)
    : LoanMessage(MessageId, FromHub, SentAt);

/// <summary>The loan reached its final state and its capacity is back with the lender; the usage is final.</summary>
/// <param name="MessageId">Message id.</param>
/// <param name="FromHub">The lender (the loan speaks for it).</param>
/// <param name="SentAt">When sent.</param>
/// <param name="LoanId">The loan.</param>
/// <param name="Final">Returned, Expired, Recalled or Declined.</param>
/// <param name="Usage">What was used, and the charge.</param>
[GenerateSerializer, Immutable, Alias("cg.LoanSettled")]
public sealed record LoanSettled(
    string MessageId,
    string FromHub,
    DateTimeOffset SentAt,
    [property: Id(0)] string LoanId,
    [property: Id(1)] LoanState Final,
    [property: Id(2)] LoanUsage Usage) : LoanMessage(MessageId, FromHub, SentAt);
