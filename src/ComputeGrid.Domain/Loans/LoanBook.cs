using ComputeGrid.Domain.Accounting;
using ComputeGrid.Domain.Resources;
using ComputeGrid.Domain.Topology;

namespace ComputeGrid.Domain.Loans;

/// <summary>
/// A loan's state as its book reads and writes it. The loan grain's persisted record is one, so the book changes
/// exactly what the grain writes and there is one copy of the loan in memory.
/// </summary>
public interface ILoanSheet
{
    /// <summary>The terms as offered (slices as held); null before the loan is opened.</summary>
    LoanTerms? Terms { get; set; }

    /// <summary>Where the loan is in its life.</summary>
    LoanState State { get; set; }

    /// <summary>When it was offered.</summary>
    DateTimeOffset OfferedAt { get; set; }

    /// <summary>When the borrower accepted it; null before.</summary>
    DateTimeOffset? AcceptedAt { get; set; }

    /// <summary>When its term ends; null before acceptance.</summary>
    DateTimeOffset? EndsAt { get; set; }

    /// <summary>When a recall's notice ends; null unless recalled.</summary>
    DateTimeOffset? RecallAt { get; set; }

    /// <summary>The terminal state a draining loan settles in.</summary>
    LoanState? DrainingTo { get; set; }

    /// <summary>True when the close that started the drain preempts borrowed jobs.</summary>
    bool DrainPreempts { get; set; }

    /// <summary>The lender's data centers whose slice is empty and back with them.</summary>
    ISet<string> Drained { get; }

    /// <summary>Borrowed jobs already settled (<c>dataCenter/job/ranForTicks</c>), so a repeated settlement books nothing.</summary>
    ISet<string> SettledJobs { get; }

    /// <summary>What the loan's capacity was used for so far.</summary>
    LoanUsage Usage { get; set; }

    /// <summary>Bumped by every change, so the federation's book can tell a late announcement from a newer one.</summary>
    long Version { get; set; }

    /// <summary>How many steps the loan's history has.</summary>
    int Steps { get; }

    /// <summary>Appends one step to the history.</summary>
    void Add(LoanStep step);
}

/// <summary>One step of a loan's history.</summary>
/// <param name="Sequence">1, 2, 3, ... in order.</param>
/// <param name="State">The state entered (or, for the offer's terms, the state it stays in).</param>
/// <param name="At">When (federation clock).</param>
/// <param name="Detail">Why, in a sentence.</param>
public sealed record LoanStep(int Sequence, LoanState State, DateTimeOffset At, string Detail);

/// <summary>How a loan's slices close, and the terminal state it settles in once every slice is empty.</summary>
/// <param name="Final">Returned, Expired, Recalled, or Declined (an offer that lapsed: its holds are released).</param>
/// <param name="Preempt">True when borrowed jobs on the slices are preempted rather than left to finish.</param>
/// <param name="Reason">Why, in a sentence (told to the data centers).</param>
/// <param name="StayRecalling">A recall's first close: the loan stays Recalling (its notice runs) unless nothing is on it.</param>
public sealed record LoanClosing(LoanState Final, bool Preempt, string Reason, bool StayRecalling = false);

/// <summary>The book's answer to a borrower's accept.</summary>
public enum LoanAcceptVerdict
{
    /// <summary>Committed now: the loan is Active once the plan is carried out.</summary>
    Accepted,

    /// <summary>This borrower had accepted it already (an idempotent retry).</summary>
    AlreadyAccepted,

    /// <summary>The offer lapsed or was declined; nothing was lent.</summary>
    Lapsed,

    /// <summary>No such offer, or it was made to another hub.</summary>
    NotYours,
}

/// <summary>An answer to a call, the plan that carries it out, and a close that follows the plan.</summary>
/// <param name="Answer">What the caller is told once the plan is carried out.</param>
/// <param name="Plan">The steps, in order.</param>
/// <param name="Then">Slices to close after the plan (see <see cref="LoanBook.Close"/>); null for none.</param>
public sealed record LoanDecision<T>(T Answer, IReadOnlyList<LoanIntent> Plan, LoanClosing? Then = null);

/// <summary>
/// One loan's book: its whole lifecycle (offered, active, recalling, draining, settled) and its settlement. Each call
/// changes the sheet and returns a plan: the intents to carry out in order, with <see cref="WriteLoan"/> where the sheet
/// must be durable (nothing after a write is done or told before it). Every transition is idempotent: a repeated call
/// finds the loan past it and plans nothing new.
/// </summary>
/// <remarks>
/// The book changes the sheet before the plan runs and never undoes it: when a step before the plan's last write fails,
/// the grain lets its activation go, so a change that never became durable is never acted on.
/// </remarks>
public sealed class LoanBook(string loanId, ILoanSheet sheet)
{
    /// <summary>The loan's id.</summary>
    public string LoanId { get; } = loanId;

    /// <summary>True while the loan has deadlines to watch (offer lapse, term end, recall notice end, settling).</summary>
    public bool HasDeadlines => sheet.Terms is not null && !sheet.State.IsTerminal();

    /// <summary>
    /// Opens the offer with the proposed terms and asks each lender data center to hold its slice (see <see cref="Held"/>).
    /// The proposal is durable before anything is held: a crash while holding leaves an offer whose lapse releases the
    /// holds. Empty for a loan that is open already (an idempotent retry).
    /// </summary>
    public IReadOnlyList<LoanIntent> Propose(LoanTerms proposed, DateTimeOffset now)
    {
        if (sheet.Terms is not null)
        {
            return [];
        }

        sheet.Terms = proposed with { LoanId = LoanId };
        sheet.State = LoanState.Offered;
        sheet.OfferedAt = now;
        return [WriteLoan.Instance, .. proposed.Slices.Select(s => new HoldSlice(s, proposed.Borrower))];
    }

    /// <summary>
    /// What the data centers held: the offer keeps the useful slices as held, or is Declined when nothing could be held.
    /// </summary>
    public IReadOnlyList<LoanIntent> Held(IEnumerable<(LoanSlice Slice, ResourceVector Amount)> held, DateTimeOffset now)
    {
        var terms = sheet.Terms!;
        var slices = held.Where(h => !QuotaMath.IsUseless(h.Amount)).Select(h => h.Slice with { Amount = h.Amount }).ToList();
        sheet.Terms = terms = terms with { Slices = slices };
        if (slices.Count == 0)
        {
            Enter(LoanState.Declined, "nothing could be held: the lender's data centers are full", now);
        }
        else
        {
            Append(LoanState.Offered, $"offered {terms.Amount} in {string.Join(", ", slices.Select(s => s.DataCenterId))} until {terms.OfferExpiresAt:O}", now);
        }

        return [WriteLoan.Instance, AnnounceLoan.Instance];
    }

    /// <summary>
    /// The borrower accepts: exactly once, and only before the offer lapses (an offer found lapsed is declined first).
    /// The slices open before the acceptance is durable: should the loan crash in between, the offer lapses and closes
    /// them again, and the borrower, never told Accepted, placed nothing there.
    /// </summary>
    public LoanDecision<LoanAcceptVerdict> Accept(string borrower, DateTimeOffset now)
    {
        if (sheet.Terms is not { } terms || terms.Borrower != borrower)
        {
            return new(LoanAcceptVerdict.NotYours, []);
        }

        var plan = sheet.State == LoanState.Offered && now >= terms.OfferExpiresAt ? Decline("the offer lapsed before it was accepted", now) : [];
        if (sheet.State != LoanState.Offered)
        {
            return new(sheet.AcceptedAt is null ? LoanAcceptVerdict.Lapsed : LoanAcceptVerdict.AlreadyAccepted, plan);
        }

        sheet.AcceptedAt = now;
        sheet.EndsAt = now + terms.Term;
        Enter(LoanState.Active, $"accepted by {borrower}; term ends {sheet.EndsAt:O}", now);
        return new(LoanAcceptVerdict.Accepted,
        [
            .. terms.Slices.Select(s => new OpenSlice(s.DataCenterId)),
            WriteLoan.Instance,
            new TellAccepted(terms.Lender, MessageId("accepted"), borrower, now),
            AnnounceLoan.Instance,
        ]);
    }

    /// <summary>True when <paramref name="borrower"/> may decline the loan now: it is an offer made to it.</summary>
    public bool MayDecline(string borrower) => sheet.Terms?.Borrower == borrower && sheet.State == LoanState.Offered;

    /// <summary>
    /// The lender recalls an active loan: Recalling with the loan's notice, the borrower told, then its slices close to
    /// new placements (an unused loan comes back at once). True also for a loan already Recalling (a retry).
    /// </summary>
    public LoanDecision<bool> Recall(string lender, string reason, DateTimeOffset now)
    {
        if (sheet.Terms is not { } terms || terms.Lender != lender || sheet.State != LoanState.Active)
        {
            return new(sheet.State == LoanState.Recalling, []);
        }

        var effective = now + terms.RecallNotice;
        sheet.RecallAt = effective;
        Enter(LoanState.Recalling, $"recalled by {lender}: {reason}; borrowed jobs still on it at {effective:O} are preempted", now);
        return new(true,
            [WriteLoan.Instance, new TellRecall(terms.Borrower, MessageId("recall"), lender, now, effective, reason), AnnounceLoan.Instance],
            new LoanClosing(LoanState.Recalled, false, reason, StayRecalling: true));
    }

    /// <summary>The borrower gives an active or recalling loan back early: the lender is told, then the slices close.</summary>
    public LoanDecision<bool> Return(string borrower, string reason, DateTimeOffset now)
    {
        if (sheet.Terms is not { } terms || terms.Borrower != borrower || sheet.State is not (LoanState.Active or LoanState.Recalling))
        {
            return new(false, []);
        }

        return new(true,
            [new TellReturned(terms.Lender, MessageId("returned"), borrower, now, reason)],
            new LoanClosing(LoanState.Returned, false, $"returned by {borrower}: {reason}"));
    }

    /// <summary>What the deadlines ask for at <paramref name="now"/>; null when nothing is due.</summary>
    public LoanClosing? Due(DateTimeOffset now) => sheet.Terms is not { } terms ? null : sheet.State switch
    {
        LoanState.Offered when now >= terms.OfferExpiresAt => new(LoanState.Declined, false, "the offer lapsed unanswered"),
        LoanState.Active when now >= sheet.EndsAt => new(LoanState.Expired, terms.OnExpiry == ExpiryTerms.Preempt, "the loan's term ended"),
        LoanState.Recalling when now >= sheet.RecallAt => new(LoanState.Recalled, true, "the recall's notice ended"),

        // Repeats the close (idempotent) so that a lost preemption or drain signal cannot leave the loan open forever.
        LoanState.Draining => new(sheet.DrainingTo ?? LoanState.Expired, sheet.DrainPreempts, "settling"),
        _ => null,
    };

    /// <summary>
    /// Starts a close: Draining (written and announced before any slice closes), then a <see cref="CloseSlice"/> for each
    /// slice not yet empty; report which closed with <see cref="Closed"/>. A Declined close is the decline of an offer.
    /// </summary>
    public IReadOnlyList<LoanIntent> Close(LoanClosing closing, DateTimeOffset now)
    {
        if (closing.Final == LoanState.Declined)
        {
            return Decline(closing.Reason, now);
        }

        var plan = new List<LoanIntent>();
        if (!closing.StayRecalling && sheet.State != LoanState.Draining)
        {
            sheet.DrainingTo = closing.Final;
            sheet.DrainPreempts = closing.Preempt;
            Enter(LoanState.Draining, closing.Preempt ? $"{closing.Reason}; borrowed jobs on it are preempted" : $"{closing.Reason}; no new placements, jobs on it run to their end", now);
            plan.AddRange([WriteLoan.Instance, AnnounceLoan.Instance]);
        }

        plan.AddRange(sheet.Terms!.Slices.Where(s => !sheet.Drained.Contains(s.DataCenterId)).Select(s => new CloseSlice(s.DataCenterId, closing.Preempt, closing.Reason)));
        return plan;
    }

    /// <summary>
    /// The slices that closed empty (their capacity back with the lender) after <see cref="Close"/>: recorded, and once
    /// every slice is empty the loan settles in its final state and both hubs are told.
    /// </summary>
    public IReadOnlyList<LoanIntent> Closed(LoanClosing closing, IEnumerable<string> emptied, DateTimeOffset now)
    {
        if (sheet.Terms is not { } terms || sheet.State.IsTerminal())
        {
            return [];
        }

        var plan = new List<LoanIntent>();
        var changed = false;
        foreach (var dataCenterId in emptied)
        {
            changed |= sheet.Drained.Add(dataCenterId);
        }

        if (changed)
        {
            plan.Add(WriteLoan.Instance);
        }

        if (closing.StayRecalling && sheet.Drained.Count == terms.Slices.Count)
        {
            sheet.DrainingTo = closing.Final;
            Enter(LoanState.Draining, "nothing runs on it: it comes back at once", now);
        }

        return Then(plan, Settle(now));
    }

    /// <summary>A closed slice emptied later (its last borrowed job left): recorded, and the loan settles once all are.</summary>
    public IReadOnlyList<LoanIntent> SliceDrained(string dataCenterId, DateTimeOffset now) =>
        sheet.Terms is null || !sheet.Drained.Add(dataCenterId) ? [] : Then([WriteLoan.Instance], Settle(now));

    /// <summary>
    /// A borrowed job left a slice: its use is booked once (by data center, job and run time), with the footprint the
    /// same work would have had at the borrower's own data centers. A settled loan's usage is final (its slices were
    /// empty when it settled, so nothing is lost).
    /// </summary>
    public IReadOnlyList<LoanIntent> SettleJob(string dataCenterId, string jobId, ResourceRequest resources, TimeSpan ranFor, Footprint footprint, NationalTopology topology)
    {
        if (sheet.Terms is not { } terms || sheet.State.IsTerminal() || !sheet.SettledJobs.Add($"{dataCenterId}/{jobId}/{ranFor.Ticks}"))
        {
            return [];
        }

        sheet.Usage += LoanUsage.Of(resources, ranFor, footprint, AtHome(topology, terms.Borrower, resources, ranFor), terms.Price);
        sheet.Version++;
        return [WriteLoan.Instance, AnnounceLoan.Instance];
    }

    /// <summary>
    /// The footprint of running <paramref name="resources"/> for <paramref name="ranFor"/> in <paramref name="hubId"/>'s own
    /// data centers: their energy profiles weighted by CPU capacity; zero for a hub without data centers.
    /// </summary>
    public static Footprint AtHome(NationalTopology topology, string hubId, ResourceRequest resources, TimeSpan ranFor)
    {
        var home = topology.DataCentersOf(hubId).ToList();
        var cpu = home.Sum(d => (double)d.Capacity.CpuMillicores);
        if (home.Count == 0 || cpu <= 0)
        {
            return Footprint.Zero;
        }

        var energy = new EnergyProfile(
            home.Sum(d => d.Energy.Pue * d.Capacity.CpuMillicores) / cpu,
            home.Sum(d => d.Energy.GridKgCo2PerKwh * d.Capacity.CpuMillicores) / cpu,
            home.Sum(d => d.Energy.GreenShare * d.Capacity.CpuMillicores) / cpu,
            home.Sum(d => d.Energy.PriceCnyPerKwh * d.Capacity.CpuMillicores) / cpu);
        return FootprintCalculator.Of(resources, ranFor, energy, topology.Power);
    }

    /// <summary>
    /// Declines the offer: every held slice is released first, then Declined is written, the lender told and the loan
    /// settled (nothing was lent).
    /// </summary>
    private List<LoanIntent> Decline(string reason, DateTimeOffset now)
    {
        var terms = sheet.Terms!;
        Enter(LoanState.Declined, reason, now);
        return
        [
            .. terms.Slices.Select(s => new CloseSlice(s.DataCenterId, false, reason)),
            WriteLoan.Instance,
            new TellDeclined(terms.Lender, MessageId("declined"), terms.Borrower, now, reason),
            .. Settled(now),
        ];
    }

    private List<LoanIntent> Settle(DateTimeOffset now)
    {
        if (sheet.State != LoanState.Draining || sheet.Drained.Count < sheet.Terms!.Slices.Count)
        {
            return [];
        }

        var usage = sheet.Usage;
        Enter(sheet.DrainingTo ?? LoanState.Expired, $"settled: {usage.Jobs} jobs, {usage.CoreHours:0.##} core-h, {usage.GpuHours:0.##} GPU-h, {usage.ChargeCny:0.##} CNY", now);
        return [WriteLoan.Instance, .. Settled(now)];
    }

    /// <summary>Both hubs learn the final state and usage (the loan speaks for the lender), then the federation's book.</summary>
    private List<LoanIntent> Settled(DateTimeOffset now)
    {
        var terms = sheet.Terms!;
        var id = MessageId("settled");
        return
        [
            new TellSettled(terms.Lender, id, terms.Lender, now, sheet.State, sheet.Usage),
            new TellSettled(terms.Borrower, id, terms.Lender, now, sheet.State, sheet.Usage),
            AnnounceLoan.Instance,
        ];
    }

    /// <summary><paramref name="plan"/> followed by <paramref name="next"/>, with one write where two would follow each other.</summary>
    private static List<LoanIntent> Then(List<LoanIntent> plan, List<LoanIntent> next)
    {
        plan.AddRange(plan.Count > 0 && plan[^1] is WriteLoan && next.FirstOrDefault() is WriteLoan ? next.Skip(1) : next);
        return plan;
    }

    private void Enter(LoanState next, string detail, DateTimeOffset now)
    {
        if (!LoanStateMachine.CanTransition(sheet.State, next))
        {
            throw new InvalidOperationException($"Loan {LoanId} cannot go from {sheet.State} to {next}.");
        }

        sheet.State = next;
        Append(next, detail, now);
    }

    private void Append(LoanState state, string detail, DateTimeOffset now)
    {
        sheet.Add(new LoanStep(sheet.Steps + 1, state, now, detail));
        sheet.Version++;
    }

    /// <summary>Unique per loan and step, so that a hub's inbox recognises a message sent again.</summary>
    private string MessageId(string kind) => $"{LoanId}/{kind}/{sheet.Steps}";
}
